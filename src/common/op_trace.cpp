// OpTrace over torch::autograd::profiler's Kineto entry points. The trace file is written here
// from the profiler's events rather than by Kineto, which Debian's LibTorch is built without.
#include "common/op_trace.h"

#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/version.h>
#include <nlohmann/json.hpp>

#include <set>

#include "common/atomic_file.h"

namespace gat {
namespace {

namespace profiler = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

// LibTorch 2 reports nanoseconds where 1.13 reported microseconds; Chrome traces count microseconds.
#if TORCH_VERSION_MAJOR >= 2
double start_us(const profiler::KinetoEvent& e) { return static_cast<double>(e.startNs()) / 1e3; }
double duration_us(const profiler::KinetoEvent& e) { return static_cast<double>(e.durationNs()) / 1e3; }
#else
double start_us(const profiler::KinetoEvent& e) { return static_cast<double>(e.startUs()); }
double duration_us(const profiler::KinetoEvent& e) { return static_cast<double>(e.durationUs()); }
#endif

}  // namespace

OpTrace::OpTrace(bool cuda, bool shapes) {
  const ProfilerConfig config(ProfilerState::KINETO, /*report_input_shapes=*/shapes);
  std::set<ActivityType> activities{ActivityType::CPU};
  if (cuda) activities.insert(ActivityType::CUDA);
  profiler::prepareProfiler(config, activities);
  profiler::enableProfiler(config, activities);
  recording_ = true;
}

OpTrace::~OpTrace() {
  if (recording_) profiler::disableProfiler();  // a trace never saved is dropped
}

void OpTrace::save(const std::string& path) {
  const std::unique_ptr<profiler::ProfilerResult> result = profiler::disableProfiler();
  recording_ = false;
  // One complete event ("ph": "X") each: host ops under pid "host" by thread, GPU kernels and
  // copies under pid "gpu" by stream. Kineto links a GPU activity to the op it ran under: the
  // kernel's linked id is that op's correlation id. CUDA's runtime calls, host events too, carry
  // CUPTI's ids, counted apart from the ops'.
  nlohmann::json events = nlohmann::json::array();
  for (const profiler::KinetoEvent& e : result->events()) {
    const bool on_gpu = e.deviceType() == c10::DeviceType::CUDA;
    nlohmann::json args = nlohmann::json::object();
    if (on_gpu) {
      if (e.linkedCorrelationId() != 0) args["op"] = e.linkedCorrelationId();
    } else {
      args["correlation"] = e.correlationId();
      if (e.hasShapes()) args["shapes"] = std::vector<std::vector<int64_t>>(e.shapes().begin(), e.shapes().end());
    }
    events.push_back({{"name", e.name()},
                      {"ph", "X"},
                      {"ts", start_us(e)},
                      {"dur", duration_us(e)},
                      {"pid", on_gpu ? "gpu" : "host"},
                      {"tid", on_gpu ? static_cast<uint64_t>(e.deviceResourceId()) : e.startThreadId()},
                      {"args", args}});
  }
  write_file_atomically(path, nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() + "\n");
}

}  // namespace gat

// A timeline of one stretch of a run, from LibTorch's Kineto profiler: every LibTorch op on the
// host and, on a GPU, every kernel and copy with its stream, in Chrome's trace format (open it
// in ui.perfetto.dev or chrome://tracing; bench/trace_summary.py prints the totals). Steps are
// marked by the caller with RECORD_USER_SCOPE. Each host op carries its correlation id, and each GPU
// kernel the id of the op that launched it, so that a kernel can be named by its op: by its input
// shapes too where they are recorded (which product a GEMM kernel is).
#pragma once

#include <string>

namespace gat {

class OpTrace {
 public:
  // Starts recording on this thread (and its autograd threads); `cuda` adds the GPU's activity,
  // `shapes` each op's input shapes, at some cost in the host's time.
  OpTrace(bool cuda, bool shapes);
  OpTrace(const OpTrace&) = delete;
  OpTrace& operator=(const OpTrace&) = delete;
  // Stops recording and writes the trace to `path`, whole or not at all.
  void save(const std::string& path);
  ~OpTrace();

 private:
  bool recording_ = false;
};

}  // namespace gat

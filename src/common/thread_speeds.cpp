#include "common/thread_speeds.h"

#include <algorithm>
#include <numeric>

namespace gat {

std::vector<double> ThreadSpeeds::cuts(int parts, double work) const {
  std::vector<double> speed(parts, 1.0);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (int p = 0; p < parts && p < static_cast<int>(speed_.size()); ++p) speed[p] = speed_[p];
  }
  const double total = std::accumulate(speed.begin(), speed.end(), 0.0);
  std::vector<double> cut(parts + 1, work);
  cut[0] = 0;
  double before = 0;
  for (int p = 1; p < parts; ++p) cut[p] = work * ((before += speed[p - 1]) / total);
  return cut;
}

void ThreadSpeeds::record(const std::vector<double>& work, const std::vector<double>& seconds) {
  const size_t parts = work.size();
  if (parts < 2) return;
  std::vector<double> rate(parts);
  for (size_t p = 0; p < parts; ++p) {
    if (work[p] <= 0 || seconds[p] < kLeastSeconds) return;
    rate[p] = work[p] / seconds[p];
  }
  const double mean = std::accumulate(rate.begin(), rate.end(), 0.0) / parts;
  const std::lock_guard<std::mutex> lock(mutex_);
  if (speed_.size() < parts) speed_.resize(parts, 1.0);
  for (size_t p = 0; p < parts; ++p) {
    const double measured = std::clamp(rate[p] / mean, 1 / kMostSkew, kMostSkew);
    speed_[p] += kWeight * (measured - speed_[p]);
  }
}

ThreadSpeeds& thread_speeds() {
  static ThreadSpeeds speeds;
  return speeds;
}

}  // namespace gat

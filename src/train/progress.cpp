// Drawing the progress line.
#include "train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace gat::train {
namespace {

constexpr int kBarWidth = 20;

std::string rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f}M", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.1f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

}  // namespace

std::string ProgressLine::render(const StepProgress& p) {
  const int filled = static_cast<int>(kBarWidth * p.step / std::max<int64_t>(p.steps, 1));
  const double seconds = std::max(p.seconds, 1e-9);
  const double per_step = seconds / static_cast<double>(std::max<int64_t>(p.steps_timed, 1));
  const auto eta = static_cast<int64_t>(per_step * static_cast<double>(p.steps - p.step) + 0.5);
  return fmt::format("seed {} epoch {} [{}{}] {}/{}  loss {:.4f}  {} graphs/s  {} edges/s  ETA {}:{:02d}", p.seed,
                     p.epoch, std::string(filled, '#'), std::string(kBarWidth - filled, '-'), p.step, p.steps, p.loss,
                     rate(p.graphs / seconds), rate(p.edges / seconds), eta / 60, eta % 60);
}

void ProgressLine::step(const StepProgress& p) {
  if (!enabled_) return;
  std::fputs(("\r\x1b[2K" + render(p)).c_str(), stderr);  // back to the line's start, erase it, redraw
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_) return;
  std::fputs("\r\x1b[2K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace gat::train

// A small SVG line chart with error bars, one panel per variable, for tools that summarise runs
// (gat_sweep's summary.svg) without a plotting library.
#pragma once

#include <string>
#include <vector>

namespace gat {

// One line across a panel's x values: a mean with a ± spread at each (NaN: no point there).
struct PlotSeries {
  std::string name;
  std::vector<double> mean, spread;
};

// A panel: x values as categories, in order, and the series drawn over them.
struct PlotPanel {
  std::string title;
  std::vector<std::string> x;
  std::vector<PlotSeries> series;
};

// The panels side by side as one SVG document, each with its own y range, `y_label` on the y axes
// and the series' names in a legend.
std::string svg_plot(const std::vector<PlotPanel>& panels, const std::string& y_label);

}  // namespace gat

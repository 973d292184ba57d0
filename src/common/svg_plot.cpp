// The panels laid out left to right; coordinates in SVG user units (pixels).
#include "common/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace gat {
namespace {

constexpr double kPanelWidth = 320, kPanelHeight = 240;
constexpr double kLeft = 60, kRight = 15, kTop = 30, kBottom = 60;
const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

std::string escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string number(double v) {
  std::ostringstream s;
  s.precision(4);
  s << v;
  return s.str();
}

void draw_panel(std::ostringstream& svg, const PlotPanel& panel, double x0, const std::string& y_label) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& series : panel.series)
    for (size_t i = 0; i < series.mean.size(); ++i) {
      if (std::isnan(series.mean[i])) continue;
      const double spread = std::isnan(series.spread[i]) ? 0 : series.spread[i];
      lo = std::min(lo, series.mean[i] - spread);
      hi = std::max(hi, series.mean[i] + spread);
    }
  if (!(lo <= hi)) lo = 0, hi = 1;
  if (hi - lo < 1e-9) lo -= 0.005, hi += 0.005;
  const double pad = 0.08 * (hi - lo);
  lo -= pad, hi += pad;
  const double plot_w = kPanelWidth - kLeft - kRight, plot_h = kPanelHeight - kTop - kBottom;
  const size_t n = std::max<size_t>(panel.x.size(), 1);
  auto px = [&](size_t i) { return x0 + kLeft + plot_w * (i + 0.5) / n; };
  auto py = [&](double v) { return kTop + plot_h * (hi - v) / (hi - lo); };

  svg << "<text x=\"" << x0 + kLeft + plot_w / 2 << "\" y=\"18\" text-anchor=\"middle\" font-weight=\"bold\">"
      << escaped(panel.title) << "</text>\n";
  svg << "<rect x=\"" << x0 + kLeft << "\" y=\"" << kTop << "\" width=\"" << plot_w << "\" height=\"" << plot_h
      << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + (hi - lo) * t / 4;
    svg << "<text x=\"" << x0 + kLeft - 4 << "\" y=\"" << py(v) + 4 << "\" text-anchor=\"end\" font-size=\"10\">"
        << number(v) << "</text>\n";
  }
  svg << "<text transform=\"translate(" << x0 + 14 << "," << kTop + plot_h / 2
      << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">" << escaped(y_label) << "</text>\n";
  for (size_t i = 0; i < panel.x.size(); ++i)
    svg << "<text x=\"" << px(i) << "\" y=\"" << kTop + plot_h + 16 << "\" text-anchor=\"middle\" font-size=\"10\">"
        << escaped(panel.x[i]) << "</text>\n";
  for (size_t s = 0; s < panel.series.size(); ++s) {
    const PlotSeries& series = panel.series[s];
    const char* colour = kColours[s % std::size(kColours)];
    std::string points;
    for (size_t i = 0; i < series.mean.size(); ++i) {
      if (std::isnan(series.mean[i])) continue;
      const double spread = std::isnan(series.spread[i]) ? 0 : series.spread[i];
      points += number(px(i)) + "," + number(py(series.mean[i])) + " ";
      svg << "<line x1=\"" << px(i) << "\" x2=\"" << px(i) << "\" y1=\"" << py(series.mean[i] - spread) << "\" y2=\""
          << py(series.mean[i] + spread) << "\" stroke=\"" << colour << "\"/>\n";
      svg << "<circle cx=\"" << px(i) << "\" cy=\"" << py(series.mean[i]) << "\" r=\"3\" fill=\"" << colour << "\"/>\n";
    }
    svg << "<polyline points=\"" << points << "\" fill=\"none\" stroke=\"" << colour << "\"/>\n";
    svg << "<text x=\"" << x0 + kLeft + 8 + 90 * s << "\" y=\"" << kPanelHeight - 12 << "\" font-size=\"11\" fill=\""
        << colour << "\">" << escaped(series.name) << "</text>\n";
  }
}

}  // namespace

std::string svg_plot(const std::vector<PlotPanel>& panels, const std::string& y_label) {
  std::ostringstream svg;
  const double width = kPanelWidth * std::max<size_t>(panels.size(), 1);
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << kPanelHeight
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t p = 0; p < panels.size(); ++p) draw_panel(svg, panels[p], kPanelWidth * p, y_label);
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace gat

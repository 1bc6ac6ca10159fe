#include "planner/timeline.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "model/swarm.hpp"
#include "planner/trial.hpp"

namespace swarmplan::planner {

namespace {

Timeline::Point Sample(const model::Swarm& w, double t) {
  StateCounts c = CountState(w);
  Timeline::Point p{t, std::move(c.used), std::move(c.running), std::move(c.waiting_new), std::move(c.rejected), {}, {}, {}, {}};
  const std::size_t n = w.nodes.size();
  p.node_up.resize(n);
  p.node_lb.resize(n);
  p.node_running.assign(n, 0);
  p.node_starting.assign(n, 0);
  for (const model::Node& node : w.nodes) {
    p.node_up[node.id] = node.member && node.engine_running && node.state == model::NodeState::kReady;
    for (std::size_t k = 1; k < node.attach.size(); ++k) p.node_lb[node.id] |= node.attach[k] != model::kNoAddr;
  }
  for (const model::Task& task : w.tasks) {
    if (task.node == model::kNoId) continue;
    if (task.state == model::TaskState::kRunning) ++p.node_running[task.node];
    if (task.state >= model::TaskState::kAssigned && task.state < model::TaskState::kRunning) ++p.node_starting[task.node];
  }
  return p;
}

bool SameValues(const Timeline::Point& a, const Timeline::Point& b) {
  return a.used == b.used && a.running == b.running && a.waiting_new == b.waiting_new && a.rejected == b.rejected &&
         a.node_up == b.node_up && a.node_lb == b.node_lb && a.node_running == b.node_running &&
         a.node_starting == b.node_starting;
}

std::string Num(double v, int digits = 1) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The CSV quoting of one field.
std::string Field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string MarkupEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // Control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  return out;
}

Timeline RecordTimeline(const model::Scenario& s, const Plan& p, std::uint64_t seed) {
  Timeline tl;
  tl.seed = seed;
  for (const auto& n : s.networks) tl.networks.push_back(n.name);
  for (const auto& svc : s.services) tl.services.push_back(svc.name);
  for (const auto& n : s.nodes) tl.nodes.push_back(n.name);
  double start = -1;
  TrialOptions opt;
  const auto record = [&](const model::Swarm& w) {
    if (start < 0) return;
    Timeline::Point pt = Sample(w, sim::ToSeconds(w.Now()) - start);
    if (!tl.points.empty() && SameValues(tl.points.back(), pt)) return;
    if (tl.points.size() > 1 && tl.points.back().t == pt.t) {  // the first point is the state before the plan
      tl.points.back() = std::move(pt);  // several changes at one instant: the last state
    } else {
      tl.points.push_back(std::move(pt));
    }
  };
  opt.on_event = record;
  opt.on_step = [&](const model::Swarm& w, std::size_t i, const std::string& desc) {
    if (start < 0) {
      start = sim::ToSeconds(w.Now());
      for (std::size_t k = 1; k < w.networks.size(); ++k) tl.capacity.push_back(w.networks[k].pool.capacity());
      for (const auto& svc : w.services) tl.desired.push_back(svc.desired());
      tl.points.push_back(Sample(w, 0));
    }
    tl.marks.push_back({sim::ToSeconds(w.Now()) - start, i, desc});
  };
  const TrialResult r = RunTrial(s, p, seed, opt);
  tl.end = r.plan_s;
  if (tl.capacity.empty()) tl.capacity.assign(tl.networks.size(), 0);  // a plan with no step
  if (tl.desired.empty()) tl.desired.assign(tl.services.size(), 0);
  return tl;
}

std::string TimelineCsv(const Timeline& tl) {
  std::ostringstream o;
  o << "t_s";
  for (const auto& n : tl.networks) o << "," << Field("used:" + n);
  for (const auto& n : tl.services) o << "," << Field("running:" + n) << "," << Field("new:" + n) << "," << Field("rejected:" + n);
  o << ",step\n";
  std::size_t m = 0;
  const Timeline::Point* written = nullptr;
  for (std::size_t i = 0; i < tl.points.size(); ++i) {
    const auto& p = tl.points[i];
    // Steps that start before the next point are named on this row.
    std::string steps;
    const double next = i + 1 < tl.points.size() ? tl.points[i + 1].t : 1e300;
    while (m < tl.marks.size() && tl.marks[m].t < next) {
      steps += (steps.empty() ? "" : "; ") + std::to_string(tl.marks[m].index + 1) + " " + tl.marks[m].step;
      ++m;
    }
    // A point where only a node changed (the HTML's lanes) says nothing new
    // in these columns.
    if (written != nullptr && steps.empty() && p.used == written->used && p.running == written->running &&
        p.waiting_new == written->waiting_new && p.rejected == written->rejected) {
      continue;
    }
    written = &p;
    o << Num(p.t, 3);
    for (auto u : p.used) o << "," << u;
    for (std::size_t k = 0; k < p.running.size(); ++k) o << "," << p.running[k] << "," << p.waiting_new[k] << "," << p.rejected[k];
    o << "," << Field(steps) << "\n";
  }
  return o.str();
}

std::string TimelineSvg(const Timeline& tl, const std::string& title) {
  const double width = 960, left = 70, right = 20, panel_h = 120, gap = 46, top = 54;
  const std::size_t panels = tl.networks.size() + tl.services.size();
  const double height = top + static_cast<double>(panels) * (panel_h + gap) + 30;
  const double t_end = std::max({tl.end, tl.points.empty() ? 0.0 : tl.points.back().t, 1.0});
  const double plot_w = width - left - right;
  const auto x = [&](double t) { return left + plot_w * t / t_end; };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << Num(height)
    << "\" viewBox=\"0 0 " << width << " " << Num(height) << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o << "<title>" << MarkupEscape(title) << "</title>\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << left << "\" y=\"20\" font-size=\"15\" font-weight=\"bold\">" << MarkupEscape(title) << "</text>\n";
  o << "<text x=\"" << left << "\" y=\"38\" fill=\"#555\">trial seed " << tl.seed << "; time since the plan's first step ("
    << Num(t_end) << " s in all); dashed lines: steps</text>\n";
  // A step line through the points of one series.
  const auto series = [&](double y0, double y_max, const std::function<double(const Timeline::Point&)>& value,
                          const char* colour, const std::string& name) {
    if (tl.points.empty()) return;
    const auto y = [&](double v) { return y0 + panel_h - panel_h * v / y_max; };
    o << "<path class=\"series\" data-name=\"" << MarkupEscape(name) << "\" fill=\"none\" stroke=\"" << colour
      << "\" stroke-width=\"1.6\" d=\"M" << Num(x(tl.points[0].t)) << " " << Num(y(value(tl.points[0])));
    for (std::size_t i = 1; i < tl.points.size(); ++i) {
      o << " H" << Num(x(tl.points[i].t)) << " V" << Num(y(value(tl.points[i])));
    }
    o << " H" << Num(x(t_end)) << "\"><title>" << MarkupEscape(name) << "</title></path>\n";
  };
  const auto frame = [&](double y0, double y_max, const std::string& label) {
    o << "<text x=\"" << left << "\" y=\"" << Num(y0 - 8) << "\" font-weight=\"bold\">" << MarkupEscape(label) << "</text>\n";
    o << "<rect x=\"" << left << "\" y=\"" << Num(y0) << "\" width=\"" << Num(plot_w) << "\" height=\"" << panel_h
      << "\" fill=\"#fafafa\" stroke=\"#bbb\"/>\n";
    for (int k = 0; k <= 2; ++k) {
      const double v = y_max * k / 2, yy = y0 + panel_h - panel_h * v / y_max;
      o << "<text x=\"" << Num(left - 6) << "\" y=\"" << Num(yy + 4) << "\" text-anchor=\"end\" fill=\"#555\">"
        << static_cast<long>(v + 0.5) << "</text>\n";
    }
    for (const auto& m : tl.marks) {
      o << "<line x1=\"" << Num(x(m.t)) << "\" x2=\"" << Num(x(m.t)) << "\" y1=\"" << Num(y0) << "\" y2=\""
        << Num(y0 + panel_h) << "\" stroke=\"#999\" stroke-dasharray=\"3,3\"><title>step " << m.index + 1 << ": "
        << MarkupEscape(m.step) << "</title></line>\n";
    }
    o << "<text x=\"" << Num(left + plot_w) << "\" y=\"" << Num(y0 + panel_h + 14) << "\" text-anchor=\"end\" fill=\"#555\">"
      << Num(t_end) << " s</text>\n";
  };
  double y0 = top + 20;
  for (std::size_t k = 0; k < tl.networks.size(); ++k) {
    const double cap = static_cast<double>(tl.capacity[k]);
    double peak = 0;
    for (const auto& p : tl.points) peak = std::max(peak, static_cast<double>(p.used[k]));
    const double y_max = std::max({cap, peak, 1.0}) * 1.1;
    frame(y0, y_max, "addresses in use on " + tl.networks[k] + " (capacity " + std::to_string(tl.capacity[k]) +
                         ", peak " + std::to_string(static_cast<long>(peak)) + ")");
    const double yc = y0 + panel_h - panel_h * cap / y_max;
    o << "<line class=\"capacity\" x1=\"" << left << "\" x2=\"" << Num(left + plot_w) << "\" y1=\"" << Num(yc)
      << "\" y2=\"" << Num(yc) << "\" stroke=\"#c00\" stroke-width=\"1\"><title>capacity " << tl.capacity[k]
      << "</title></line>\n";
    series(y0, y_max, [k](const Timeline::Point& p) { return static_cast<double>(p.used[k]); }, "#1f5fbf",
           "used:" + tl.networks[k]);
    y0 += panel_h + gap;
  }
  for (std::size_t k = 0; k < tl.services.size(); ++k) {
    double top_v = tl.desired[k];
    for (const auto& p : tl.points) top_v = std::max({top_v, double(p.running[k]), double(p.waiting_new[k]), double(p.rejected[k])});
    const double y_max = std::max(top_v, 1.0) * 1.1;
    frame(y0, y_max, tl.services[k] + ": running (green), NEW (orange), rejected so far (red); desired " +
                         std::to_string(tl.desired[k]));
    series(y0, y_max, [k](const Timeline::Point& p) { return double(p.running[k]); }, "#2a9d3a", "running:" + tl.services[k]);
    series(y0, y_max, [k](const Timeline::Point& p) { return double(p.waiting_new[k]); }, "#e08a00", "new:" + tl.services[k]);
    series(y0, y_max, [k](const Timeline::Point& p) { return double(p.rejected[k]); }, "#c00", "rejected:" + tl.services[k]);
    y0 += panel_h + gap;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace swarmplan::planner

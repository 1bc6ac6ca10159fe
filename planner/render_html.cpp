#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "planner/render.hpp"
#include "planner/timeline.hpp"

namespace swarmplan::planner {

namespace {

// JSON inside <script>: "</" would end the element early.
std::string ScriptSafe(const std::string& json) {
  std::string out;
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += json[i];
    }
  }
  return out;
}

std::string Fixed1(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// One lane per node over the example trial: grey while it is down, green
// as dark as the share of the most tasks any node ran, amber while tasks
// are on their way to it, and a blue band on top while it holds a
// load-balancer address on a user overlay; the steps as ticks.
std::string NodeLanes(const Timeline& tl) {
  const double width = 900, label = 110, lane = 26, gap = 6;
  const double end = std::max(tl.end, tl.points.empty() ? 1.0 : tl.points.back().t) + 1e-9;
  const double plot = width - label - 10;
  const auto x = [&](double t) { return label + plot * std::clamp(t / end, 0.0, 1.0); };
  std::uint32_t most = 1;
  for (const auto& p : tl.points) {
    for (std::uint32_t v : p.node_running) most = std::max(most, v);
  }
  const double height = 24 + static_cast<double>(tl.nodes.size()) * (lane + gap);
  std::ostringstream o;
  o << "<svg id=\"lanes\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" role=\"img\" aria-label=\"each node over the example trial\">\n";
  for (const auto& m : tl.marks) {
    o << "<line class=\"step\" x1=\"" << Fixed1(x(m.t)) << "\" x2=\"" << Fixed1(x(m.t)) << "\" y1=\"0\" y2=\"" << height - 20
      << "\" stroke=\"#bbb\" stroke-width=\"0.5\"><title>step " << m.index + 1 << ": " << MarkupEscape(m.step)
      << "</title></line>\n";
  }
  for (std::size_t n = 0; n < tl.nodes.size(); ++n) {
    const double y = static_cast<double>(n) * (lane + gap);
    o << "<g class=\"lane\" data-node=\"" << MarkupEscape(tl.nodes[n]) << "\">\n<text x=\"0\" y=\"" << Fixed1(y + lane * 0.7)
      << "\" font-size=\"12\">" << MarkupEscape(tl.nodes[n]) << "</text>\n";
    o << "<rect x=\"" << label << "\" y=\"" << y << "\" width=\"" << plot << "\" height=\"" << lane
      << "\" fill=\"#f4f4f4\"/>\n";
    for (std::size_t i = 0; i < tl.points.size(); ++i) {
      const auto& p = tl.points[i];
      if (n >= p.node_up.size()) continue;
      const double t0 = p.t, t1 = i + 1 < tl.points.size() ? tl.points[i + 1].t : end;
      const double x0 = x(t0), w = std::max(0.0, x(t1) - x0);
      if (w <= 0) continue;
      std::string fill;
      double opacity = 1;
      if (!p.node_up[n]) {
        fill = "#9e9e9e";
      } else if (p.node_starting[n] > 0) {
        fill = "#f0a830";
      } else if (p.node_running[n] > 0) {
        fill = "#2e7d32";
        opacity = 0.25 + 0.75 * static_cast<double>(p.node_running[n]) / most;
      }
      if (!fill.empty()) {
        o << "<rect class=\"state\" x=\"" << Fixed1(x0) << "\" y=\"" << y + 5 << "\" width=\"" << Fixed1(w) << "\" height=\""
          << lane - 5 << "\" fill=\"" << fill << "\" fill-opacity=\"" << Fixed1(opacity) << "\"><title>"
          << MarkupEscape(tl.nodes[n]) << " " << Fixed1(t0) << "-" << Fixed1(t1) << " s: "
          << (p.node_up[n] ? std::to_string(p.node_running[n]) + " running, " + std::to_string(p.node_starting[n]) + " starting"
                           : std::string("down"))
          << "</title></rect>\n";
      }
      if (p.node_lb[n]) {
        o << "<rect class=\"lb\" x=\"" << Fixed1(x0) << "\" y=\"" << y << "\" width=\"" << Fixed1(w)
          << "\" height=\"4\" fill=\"#1565c0\"/>\n";
      }
    }
    o << "</g>\n";
  }
  o << "<text x=\"" << label << "\" y=\"" << height - 6 << "\" font-size=\"11\">0 s</text><text x=\"" << width - 60 << "\" y=\""
    << height - 6 << "\" font-size=\"11\">" << Fixed1(end) << " s</text>\n</svg>\n";
  return o.str();
}

// Trials by the number of tasks they rejected.
std::string RejectionHistogram(const Report& r) {
  const double width = 600, height = 180, base = 150;
  std::uint64_t most = 1;
  for (const auto& [k, n] : r.rejected_per_trial) most = std::max(most, n);
  const double bar = std::min(60.0, (width - 40) / std::max<std::size_t>(1, r.rejected_per_trial.size()));
  std::ostringstream o;
  o << "<svg id=\"rejections\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" role=\"img\" aria-label=\"trials by tasks rejected\">\n";
  double x = 30;
  for (const auto& [k, n] : r.rejected_per_trial) {
    const double h = std::max(1.0, (base - 10) * static_cast<double>(n) / static_cast<double>(most));
    o << "<rect class=\"bar\" data-rejected=\"" << k << "\" data-trials=\"" << n << "\" x=\"" << Fixed1(x) << "\" y=\""
      << Fixed1(base - h) << "\" width=\"" << Fixed1(bar * 0.8) << "\" height=\"" << Fixed1(h) << "\" fill=\""
      << (k == 0 ? "#2e7d32" : "#c62828") << "\"><title>" << n << " trial(s) rejected " << k << " task(s)</title></rect>\n";
    o << "<text x=\"" << Fixed1(x + bar * 0.4) << "\" y=\"" << base + 14 << "\" font-size=\"11\" text-anchor=\"middle\">" << k
      << "</text>\n";
    x += bar;
  }
  o << "<text x=\"0\" y=\"" << height - 2 << "\" font-size=\"11\">tasks rejected in a trial (bar height: trials)</text>\n</svg>\n";
  return o.str();
}

// The sensitivity: how much each timing moves P(a task rejected), in
// points, from its low end to its high end of the plausible range.
std::string SensitivityChart(const Report& r) {
  const auto& v = r.sensitivity;
  double most = 0.01;
  for (const auto& e : v.effects) most = std::max(most, std::abs(e.change));
  const double width = 700, row = 18, mid = 430, half = 250;
  std::ostringstream o;
  o << "<svg id=\"sensitivity\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\""
    << 10 + row * static_cast<double>(v.effects.size()) << "\" role=\"img\" aria-label=\"effect of each timing\">\n";
  for (std::size_t i = 0; i < v.effects.size(); ++i) {
    const auto& e = v.effects[i];
    const double y = 4 + row * static_cast<double>(i), w = half * std::abs(e.change) / most;
    o << "<text x=\"0\" y=\"" << y + 12 << "\" font-size=\"11\">" << MarkupEscape(e.key) << "</text>\n";
    o << "<rect class=\"effect\" data-timing=\"" << MarkupEscape(e.key) << "\" x=\"" << Fixed1(e.change >= 0 ? mid : mid - w)
      << "\" y=\"" << y << "\" width=\"" << Fixed1(std::max(1.0, w)) << "\" height=\"" << row - 4 << "\" fill=\""
      << (e.change >= 0 ? "#c62828" : "#2e7d32") << "\"><title>" << MarkupEscape(e.key) << ": " << (e.change >= 0 ? "+" : "")
      << Fixed1(100 * e.change) << " points, low to high</title></rect>\n";
  }
  o << "<line x1=\"" << mid << "\" x2=\"" << mid << "\" y1=\"0\" y2=\"" << 10 + row * static_cast<double>(v.effects.size())
    << "\" stroke=\"#444\"/>\n</svg>\n";
  return o.str();
}

}  // namespace

std::string RenderHtml(const Report& r, const std::string& text_report, const std::string& svg, const Timeline& tl) {
  std::ostringstream o;
  const std::string verdict = r.safe ? "SAFE" : "AT RISK";
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<title>swarmplan: " << MarkupEscape(r.scenario_name) << ": " << verdict << "</title>\n"
    << "<style>\n"
    << "body{font-family:sans-serif;max-width:1000px;margin:1em auto;color:#222}\n"
    << ".verdict{font-size:1.4em;padding:.4em .8em;border-radius:4px;display:inline-block}\n"
    << ".safe{background:#dff3e0;color:#174d1d}.risk{background:#fbe0e0;color:#7a1010}\n"
    << "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}\n"
    << "pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}\n"
    << ".proven{color:#174d1d}.paper{color:#666}\n"
    << "</style>\n</head>\n<body>\n";
  o << "<h1>swarmplan: " << MarkupEscape(r.scenario_name) << "</h1>\n";
  o << "<p>" << (r.upgrade ? "upgrade " + MarkupEscape(r.from) + " &rarr; " + MarkupEscape(r.to) : "change: " + MarkupEscape(r.change))
    << ", " << r.plan_steps.size() << " steps (" << MarkupEscape(r.plan_origin) << "); seed " << r.seed << ", " << r.trials
    << " trials</p>\n";
  o << "<p class=\"verdict " << (r.safe ? "safe" : "risk") << "\" id=\"verdict\">" << verdict << ": P(a task rejected) = "
    << static_cast<double>(static_cast<long>(r.p_reject * 1000 + 0.5)) / 10 << "% (95% CI "
    << static_cast<double>(static_cast<long>(r.p_reject_lo * 1000 + 0.5)) / 10 << "% - "
    << static_cast<double>(static_cast<long>(r.p_reject_hi * 1000 + 0.5)) / 10 << "%)</p>\n";

  o << "<h2>Address budget</h2>\n<table>\n<tr><th>network</th><th>subnet</th><th>before</th><th>after</th></tr>\n";
  for (const auto& b : r.budget) {
    o << "<tr><td>" << MarkupEscape(b.name) << "</td><td>" << MarkupEscape(b.subnet) << "</td><td>" << MarkupEscape(b.Sum(false))
      << "</td><td>" << MarkupEscape(b.Sum(true)) << "</td></tr>\n";
  }
  o << "</table>\n";

  o << "<h2>Each node over the example trial</h2>\n<p>Trial seed " << tl.seed
    << " (<code>simulate --seed " << tl.seed << "</code>): grey while the node is down, green as dark as the tasks it "
       "runs, amber while tasks are on their way to it, blue on top while it holds a load-balancer address.</p>\n"
    << NodeLanes(tl);
  o << "<h2>Rejections over all " << r.trials << " trials</h2>\n" << RejectionHistogram(r);
  if (r.has_sensitivity) {
    o << "<h2>Sensitivity</h2>\n<p>Over " << r.sensitivity.points << " timing designs x " << r.sensitivity.trials_per_point
      << " trials: P(a task rejected) " << Fixed1(100 * r.sensitivity.p_min) << "% - " << Fixed1(100 * r.sensitivity.p_max)
      << "%. Each bar: how many points P moves from a timing's low end to its high end.</p>\n"
      << SensitivityChart(r);
  }
  o << "<h2>Timeline of one trial</h2>\n<div id=\"timeline\">\n" << svg << "</div>\n";

  if (r.has_fixes || !r.paper_fixes.empty() || !r.recommendations.empty()) {
    o << "<h2>What to change</h2>\n<ul id=\"fixes\">\n";
    for (const auto& f : r.fixes) {
      if (f.proven) {
        o << "<li class=\"proven\">" << MarkupEscape(f.what) << " <em>(proven: " << f.failing << "/" << f.trials
          << " trials at risk, P &le; " << Fixed1(100 * f.p_hi) << "%; cost: " << MarkupEscape(f.cost) << ")</em></li>\n";
      } else {
        o << "<li class=\"paper\">on paper: " << MarkupEscape(f.what) << "</li>\n";
      }
    }
    if (!r.has_fixes) {
      for (const auto& h : r.paper_fixes) o << "<li class=\"paper\">on paper: " << MarkupEscape(h) << "</li>\n";
    }
    for (const auto& h : r.recommendations) o << "<li>" << MarkupEscape(h) << "</li>\n";
    o << "</ul>\n";
  }

  o << "<h2>The plan</h2>\n<ol>\n";
  for (const auto& st : r.plan_steps) o << "<li>" << MarkupEscape(st) << "</li>\n";
  o << "</ol>\n";
  o << "<h2>The whole report</h2>\n<pre>" << MarkupEscape(text_report) << "</pre>\n";
  o << "<script type=\"application/json\" id=\"report-data\">" << ScriptSafe(ReportToJson(r).dump()) << "</script>\n";
  // After layout: what the browser drew (each lane and bar's box), kept
  // in data attributes of the body for a test to read, never shown.
  o << "<script>\n"
    << "(function(){\n"
    << "  function drawn(sel){var n=0;document.querySelectorAll(sel).forEach(function(e){var b=e.getBoundingClientRect();"
       "if(b.width>0&&b.height>0)n++;});return n;}\n"
    << "  var data=JSON.parse(document.getElementById('report-data').textContent);\n"
    << "  var d=document.body.dataset;\n"
    << "  d.lanes=drawn('#lanes g.lane');d.bars=drawn('#rejections rect.bar');d.effects=drawn('#sensitivity rect.effect');\n"
    << "  d.series=drawn('#timeline path.series');d.verdict=data.verdict;\n"
    << "})();\n"
    << "</script>\n";
  o << "</body>\n</html>\n";
  return o.str();
}

}  // namespace swarmplan::planner

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

}  // namespace

std::string RenderHtml(const Report& r, const std::string& text_report, const std::string& svg) {
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

  o << "<h2>Timeline of one trial</h2>\n<div id=\"timeline\">\n" << svg << "</div>\n";
  o << "<p id=\"series-check\">the picture's series are checked by a script when the page loads</p>\n";

  if (r.has_fixes || !r.paper_fixes.empty() || !r.recommendations.empty()) {
    o << "<h2>What to change</h2>\n<ul id=\"fixes\">\n";
    for (const auto& f : r.fixes) {
      if (f.proven) {
        o << "<li class=\"proven\">" << MarkupEscape(f.what) << " <em>(proven: " << f.failing << "/" << f.trials
          << " trials at risk; cost: " << MarkupEscape(f.cost) << ")</em></li>\n";
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
  // Counts the series drawn and their points, and checks the report data
  // parses: the page says what it found, so a test can read it.
  o << "<script>\n"
    << "(function(){\n"
    << "  var paths=document.querySelectorAll('#timeline path.series');\n"
    << "  var points=0;\n"
    << "  paths.forEach(function(p){points+=(p.getAttribute('d').match(/[HV]/g)||[]).length;});\n"
    << "  var data=JSON.parse(document.getElementById('report-data').textContent);\n"
    << "  document.getElementById('series-check').textContent='series: '+paths.length+', segments: '+points+\n"
    << "    ', verdict in data: '+data.verdict;\n"
    << "})();\n"
    << "</script>\n";
  o << "</body>\n</html>\n";
  return o.str();
}

}  // namespace swarmplan::planner

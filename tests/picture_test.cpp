// planner/timeline and the HTML report: the series agree with the trial,
// the SVG is well-formed XML (xmllint), and the HTML page loads in headless
// Chromium without a script error and finds its series.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "helpers.hpp"
#include "planner/plan.hpp"
#include "planner/render.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "planner/timeline.hpp"
#include "planner/trial.hpp"
#include "run_swarmplan.hpp"

using namespace swarmplan;

namespace {

std::string Shell(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

std::string Temp(const std::string& name) { return "picture_" + std::to_string(getpid()) + "_" + name; }

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("timeline: the series follow the trial from its first step to its end", "[unit][picture]") {
  const model::Scenario s = model::DefaultScenario();
  const planner::Plan p = planner::DefaultPlan(s, {18, 9});
  const std::uint64_t seed = planner::RunTrials(s, p, 1, {0, 1}, 1)[0].seed;
  const planner::Timeline tl = planner::RecordTimeline(s, p, seed);
  const planner::TrialResult r = planner::RunTrial(s, p, seed);
  REQUIRE(tl.points.size() > 10);
  REQUIRE(tl.marks.size() == p.steps.size());
  CHECK(tl.points.front().t == 0);
  CHECK(tl.points.front().running[0] == 24);
  CHECK(tl.points.front().used[0] == r.networks[0].used_before);
  for (std::size_t i = 1; i < tl.points.size(); ++i) CHECK(tl.points[i].t >= tl.points[i - 1].t);
  for (std::size_t i = 1; i < tl.marks.size(); ++i) CHECK(tl.marks[i].t >= tl.marks[i - 1].t);
  // The end of the series is the trial's end state, and the peak its peak.
  CHECK(tl.points.back().running[0] == r.services[0].running_after);
  CHECK(tl.points.back().used[0] == r.networks[0].used_after);
  std::uint64_t peak = 0;
  for (const auto& pt : tl.points) peak = std::max(peak, pt.used[0]);
  CHECK(peak == r.networks[0].peak_used);
  CHECK(tl.points.back().rejected[0] == r.metrics.rejected_total());
  CHECK(tl.end == Approx(r.plan_s));

  const std::string csv = planner::TimelineCsv(tl);
  CHECK(csv.rfind("t_s,used:ex_net,running:ex_service,new:ex_service,rejected:ex_service,step\n", 0) == 0);
  // One row per change of its columns (or where a step starts): never two
  // rows alike but for the time.
  std::istringstream rows(csv);
  std::string line, last;
  std::getline(rows, line);  // the header
  std::size_t n = 0;
  while (std::getline(rows, line)) {
    ++n;
    const std::string values = line.substr(line.find(','));
    if (values.back() == ',') CHECK(values != last);  // no step named on it
    last = values;
  }
  CHECK(n >= 2);
  CHECK(n <= tl.points.size());
  CHECK(csv.find("drain manager2") != std::string::npos);
}

TEST_CASE("timeline: the SVG is well-formed XML, names escaped, one series per quantity", "[unit][picture]") {
  REQUIRE(Shell("command -v xmllint").size() > 0);  // scripts/install-deps.sh installs libxml2-utils
  model::Scenario s = testing::Cluster(1, 2, "20.10", "10.0.0.0/27", 26);
  s.name = "a <tricky> & \"quoted\" name";
  const planner::Plan p = *planner::ParseOrder(s, {"drain:w1", "wait"}, {20, 10}, true);
  const planner::Timeline tl = planner::RecordTimeline(s, p, 7);
  const std::string svg = planner::TimelineSvg(tl, s.name);
  const std::string path = Temp("t.svg");
  Write(path, svg);
  const std::string lint = Shell("xmllint --noout " + path + " 2>&1; echo rc=$?");
  INFO(lint);
  CHECK(lint.find("rc=0") != std::string::npos);
  CHECK(Count(svg, "class=\"series\"") == tl.networks.size() + 3 * tl.services.size());
  CHECK(Count(svg, "class=\"capacity\"") == tl.networks.size());
  CHECK(svg.find("a &lt;tricky&gt; &amp; &quot;quoted&quot; name") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("html report: headless Chromium draws the verdict, every node's lane, the histogram, the sensitivity", "[unit][picture]") {
  REQUIRE(Shell("command -v chromium").size() > 0);  // scripts/install-deps.sh installs chromium
  const std::string html = Temp("r.html"), profile = Temp("chromium-profile"), png = Temp("r.png");
  const auto run = testing::RunSwarmplan("plan --trials 50 --html " + html);
  CHECK(run.status == 2);
  const std::string page = testing::Slurp(html);
  REQUIRE(page.find("<svg") != std::string::npos);
  CHECK(page.find("proven: 0/50 trials at risk") != std::string::npos);
  CHECK(page.find("series: ") == std::string::npos);  // no debug text
  const std::size_t bars = Count(page, "<rect class=\"bar\"");
  const std::size_t effects = Count(page, "<rect class=\"effect\"");
  CHECK(bars >= 2);     // the seed scenario: trials rejecting different numbers of tasks
  CHECK(effects >= 3);  // every timing of the design
  const std::string flags =
      "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --enable-logging=stderr --v=0 --user-data-dir=" + profile;
  const std::string dom = Shell("timeout 120 chromium " + flags + " --dump-dom file://$PWD/" + html + " 2>" + html + ".err");
  const std::string err = testing::Slurp(html + ".err");
  INFO(err.substr(0, 2000));
  CHECK(err.find("Uncaught") == std::string::npos);
  // What the browser laid out, as the page's script measured it: every
  // node's lane (the built-in scenario's 5), every bar, every effect and
  // the timeline's series drawn with a size; the verdict from the data.
  const auto attr = [&](const std::string& name) {
    const std::size_t at = dom.find(name + "=\"");
    return at == std::string::npos ? std::string("missing") : dom.substr(at + name.size() + 2, dom.find('"', at + name.size() + 2) - at - name.size() - 2);
  };
  CHECK(attr("data-lanes") == "5");
  CHECK(attr("data-bars") == std::to_string(bars));
  CHECK(attr("data-effects") == std::to_string(effects));
  CHECK(attr("data-series") == "4");
  CHECK(attr("data-verdict") == "at-risk");
  CHECK(dom.find("id=\"verdict\">AT RISK") != std::string::npos);
  // And a picture of it (look at it: the test keeps nothing).
  Shell("timeout 120 chromium " + flags + " --window-size=1000,2600 --screenshot=" + png + " file://$PWD/" + html + " 2>/dev/null");
  std::ifstream shot(png, std::ios::binary | std::ios::ate);
  CHECK(shot.good());
  CHECK(static_cast<long>(shot.tellg()) > 20000);  // a drawn page, not a blank one
  std::system(("rm -rf " + profile + " " + html + " " + html + ".err " + png).c_str());
}

TEST_CASE("plan --svg/--csv/--html: written files, refused with --shard, unwritable paths named", "[unit][picture][cli]") {
  const std::string svg = Temp("p.svg"), csv = Temp("p.csv");
  const auto ok = testing::RunSwarmplan("plan --trials 20 --no-sensitivity --no-fixes --svg " + svg + " --csv " + csv);
  CHECK(ok.status == 2);
  CHECK(testing::Slurp(svg).find("</svg>") != std::string::npos);
  CHECK(testing::Slurp(csv).rfind("t_s,", 0) == 0);
  const auto shard = testing::RunSwarmplan("plan --shard 0/2 --json --svg " + svg);
  CHECK(shard.status == 1);
  CHECK(shard.err.find("leave out --shard") != std::string::npos);
  const auto bad = testing::RunSwarmplan("plan --trials 5 --no-sensitivity --svg /nonexistent-dir/x.svg");
  CHECK(bad.status == 1);
  CHECK(bad.err.find("/nonexistent-dir/x.svg") != std::string::npos);
  const auto sim = testing::RunSwarmplan("simulate --svg " + svg);
  CHECK(sim.status == 2);
  CHECK(testing::Slurp(svg).find("trial seed") != std::string::npos);
  std::remove(svg.c_str());
  std::remove(csv.c_str());
  const auto explain = testing::RunSwarmplan("plan --trials 10 --no-sensitivity --no-fixes --explain");
  CHECK(explain.status == 2);
  CHECK(explain.out.find("The example trial, explained (swarmplan simulate --seed ") != std::string::npos);
  CHECK(explain.out.find(" explain ex_service.") != std::string::npos);
  CHECK(testing::RunSwarmplan("plan --explain --json").status == 1);
}

TEST_CASE("snapshots: the state at chosen times, without changing the trial", "[unit][snapshots]") {
  const model::Scenario s = model::DefaultScenario();
  const planner::Plan p = planner::DefaultPlan(s, {18, 9});
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto plain = planner::RunTrial(s, p, seed);
    planner::TrialOptions opt;
    opt.snapshots = {sim::Ms(1), sim::Sec(15), sim::Minute(24 * 60)};
    const auto snap = planner::RunTrial(s, p, seed, opt);
    CHECK(snap.unseed == plain.unseed);  // the same draws, the same path
    CHECK(snap.metrics.rejected_total() == plain.metrics.rejected_total());
    REQUIRE(snap.snapshots.size() == 3);
    // Just after the first step began: the deployment as it stood.
    CHECK(snap.snapshots[0].running[0] == plain.services[0].running_before);
    // Past the end: the end state.
    CHECK(snap.snapshots[2].running[0] == plain.services[0].running_after);
    CHECK(snap.snapshots[2].used[0] == plain.networks[0].used_after);
    CHECK(snap.snapshots[2].rejected[0] == plain.metrics.rejected_total());
  }
  // Statistics over trials merge like the rest: two halves equal the whole.
  planner::TrialOptions opt;
  opt.snapshots = {sim::Sec(30), sim::Sec(120)};
  const auto all = planner::RunTrialStats(s, p, 9, {0, 40}, 2, {}, opt);
  auto half = planner::RunTrialStats(s, p, 9, {0, 20}, 1, {}, opt);
  half.Merge(planner::RunTrialStats(s, p, 9, {20, 20}, 1, {}, opt));
  REQUIRE(all.snaps.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(all.snaps[i].used == half.snaps[i].used);
    CHECK(all.snaps[i].running == half.snaps[i].running);
    CHECK(all.snaps[i].waiting_new == half.snaps[i].waiting_new);
    CHECK(all.snaps[i].rejected == half.snaps[i].rejected);
    std::uint64_t n = 0;
    for (const auto& [v, c] : all.snaps[i].running[0]) n += c;
    CHECK(n == 40);
  }
  const auto cli = testing::RunSwarmplan("plan --trials 30 --no-sensitivity --no-fixes --at 15s,2m --json");
  CHECK(cli.out.find("\"snapshots\"") != std::string::npos);
  CHECK(cli.out.find("\"at_s\": 120.0") != std::string::npos);
  const auto text = testing::RunSwarmplan("plan --trials 30 --no-sensitivity --no-fixes --at 15s");
  CHECK(text.out.find("at 15.0 s after the first step: ex_net ") != std::string::npos);
  // Through shards: the merged report's snapshots are the unsharded run's.
  const std::string a = Temp("at0.json"), b = Temp("at1.json");
  const std::string run = "plan --trials 30 --no-sensitivity --no-fixes --at 15s,2m --json";
  REQUIRE(testing::RunSwarmplan(run + " --shard 0/2 > " + a).status == 0);
  REQUIRE(testing::RunSwarmplan(run + " --shard 1/2 > " + b).status == 0);
  const auto merged = testing::RunSwarmplan("merge --json " + a + " " + b);
  const auto whole = nlohmann::json::parse(cli.out);
  const auto from_shards = nlohmann::json::parse(merged.out);
  REQUIRE(whole.contains("snapshots"));
  CHECK(from_shards.at("snapshots") == whole.at("snapshots"));
  // Shares of runs with different --at do not merge.
  const std::string c = Temp("at2.json");
  REQUIRE(testing::RunSwarmplan("plan --trials 30 --no-sensitivity --no-fixes --at 15s --json --shard 1/2 > " + c).status == 0);
  const auto mixed = testing::RunSwarmplan("merge " + a + " " + c);
  CHECK(mixed.status == 1);
  CHECK(mixed.err.find("at_us differs") != std::string::npos);
  for (const auto& f : {a, b, c}) std::remove(f.c_str());
}

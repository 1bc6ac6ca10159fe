#include <chrono>
#include <cstdio>
#include <optional>
#include <iostream>
#include <string>
#include <thread>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "model/scenario.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "planner/sequential.hpp"
#include "planner/search.hpp"
#include "planner/timeline.hpp"
#include "cli/output_file.hpp"
#include "planner/render.hpp"
#include "planner/pipeline.hpp"
#include "planner/shard.hpp"
#include "model/scenario_json.hpp"

namespace swarmplan::cli {

int Fail(const std::string& what) {
  std::cerr << "swarmplan: error: " << what << "\n";
  return kExitError;
}

// `--at 15s,90s,2m`: up to 16 times after the first step, each a whole
// number with a unit (ms, s, m, h), more than 0 and at most 24 h.
std::expected<std::vector<sim::Time>, std::string> ParseAt(const std::string& text) {
  std::vector<sim::Time> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    std::size_t digits = 0;
    while (digits < item.size() && item[digits] >= '0' && item[digits] <= '9') ++digits;
    const std::string unit = item.substr(digits);
    const sim::Time scale = unit == "ms" ? sim::kMillisecond : unit == "s" ? sim::kSecond
                          : unit == "m" ? sim::Minute(1) : unit == "h" ? sim::Minute(60) : 0;
    if (digits == 0 || digits > 9 || scale == 0) {
      return std::unexpected("--at: \"" + item + "\" is not a time: write a whole number and a unit, e.g. 15s,90s,2m");
    }
    const sim::Time t = static_cast<sim::Time>(std::stoll(item.substr(0, digits))) * scale;
    if (t <= 0 || t > sim::Minute(24 * 60)) return std::unexpected("--at: \"" + item + "\" is outside (0, 24h]");
    out.push_back(t);
    if (out.size() > 16) return std::unexpected("--at: at most 16 times");
    start = comma + 1;
  }
  return out;
}

// `plan --search`: the plan found (nullopt: nothing to upgrade, the plan
// as given is judged), with its progress and summary on stderr.
std::expected<std::optional<planner::SearchResult>, std::string> Search(const model::Scenario& scenario,
                                                                        std::uint64_t seed, std::uint64_t trials,
                                                                        std::uint64_t verify_trials, unsigned threads,
                                                                        const planner::FaultSpec& faults) {
  planner::SearchOptions so = planner::SearchOptionsFor(scenario, seed, trials, verify_trials, threads, faults);
  const auto t0 = std::chrono::steady_clock::now();
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  auto said = t0;
  so.progress = [&](std::uint64_t n) {
    if (tty) {
      std::cerr << "\rswarmplan: search: " << n << " candidates simulated   " << std::flush;
      return;
    }
    // Not a terminal (a log, CI): a line after 10 s, then every 30 s.
    const auto now = std::chrono::steady_clock::now();
    if (now - t0 < std::chrono::seconds(10) || (said != t0 && now - said < std::chrono::seconds(30))) return;
    said = now;
    std::cerr << "swarmplan: search: " << n << " candidates simulated in "
              << std::chrono::duration_cast<std::chrono::seconds>(now - t0).count() << " s, still searching\n";
  };
  if (planner::NodesToUpgrade(scenario, so.to) == 0) {
    std::cerr << "swarmplan: --search: nothing to search: every node that is up already runs " << so.to.ToString()
              << " or newer; judging the plan as given\n";
    return std::nullopt;
  }
  auto r = planner::SearchPlan(scenario, so);
  if (tty) std::cerr << "\r" << std::string(50, ' ') << "\r";
  if (!r) return std::unexpected("--search: " + r.error());
  if (auto ok = planner::CheckPlan(scenario, r->plan); !ok) {
    return std::unexpected("--search found a plan the checks refuse (a bug): " + ok.error());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!scenario.upgrade.order.empty()) {
    std::cerr << "swarmplan: --search: the scenario's upgrade.order is set aside for the order found\n";
  }
  std::cerr << "swarmplan: search: " << r->evaluated << " candidates (" << r->trials_run << " trials) over "
            << r->vertices << " states in " << static_cast<long>(secs * 10) / 10.0
            << " s; the plan found is judged below\n";
  r->plan.notes.clear();
  return std::optional<planner::SearchResult>(std::move(*r));
}

int RunPlan(const PlanArgs& args) {
  auto prepared = args.scenario.Prepare();
  if (!prepared) return Fail(prepared.error());
  const model::Scenario& scenario = prepared->scenario;
  planner::Plan plan = prepared->plan;
  const std::uint64_t seed = prepared->seed;
  ScenarioOptions shown = args.scenario;  // what the reproduce line repeats
  auto trials = ParseCount(args.trials.empty() ? "1000" : args.trials, "--trials", 1, 10'000'000);
  if (!trials) return Fail(trials.error());
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (!args.threads.empty()) {
    auto t = ParseCount(args.threads, "--threads", 1, 1024);
    if (!t) return Fail(t.error());
    threads = static_cast<unsigned>(*t);
  }
  planner::TrialRange range{0, *trials};
  std::uint64_t shard_index = 0, shard_count = 1;
  if (!args.shard.empty()) {
    const auto slash = args.shard.find('/');
    if (slash == std::string::npos) return Fail("--shard must be I/N, e.g. 0/4 for the first of four shares");
    auto n = ParseCount(args.shard.substr(slash + 1), "--shard's N", 1, 100000);
    if (!n) return Fail(n.error());
    auto i = ParseCount(args.shard.substr(0, slash), "--shard's I", 0, *n - 1);
    if (!i) return Fail(i.error() + " (shares are numbered from 0)");
    if (!args.scenario.json) return Fail("--shard writes a share for `swarmplan merge`: add --json");
    if (!args.svg.empty() || !args.csv.empty() || !args.html.empty()) {
      return Fail("--svg, --csv and --html draw a whole run's report: leave out --shard");
    }
    shard_index = *i;
    shard_count = *n;
    range = planner::Shard(*trials, shard_index, shard_count);
  }
  // Every flag is checked before anything runs, the output paths too.
  for (const std::string* out : {&args.svg, &args.csv, &args.html}) {
    if (out->empty()) continue;
    if (auto ok = CheckOutputPath(*out); !ok) return Fail(ok.error());
  }
  planner::TrialOptions topt;
  topt.pair_calm = plan.faults.count > 0;  // the risk with faults beside the same seeds without
  if (!args.at.empty()) {
    auto at = ParseAt(args.at);
    if (!at) return Fail(at.error());
    topt.snapshots = std::move(*at);
  }
  if (args.explain && args.scenario.json) return Fail("--explain writes text: leave out --json (or use simulate --json)");
  std::uint64_t search_trials = 0;
  if (args.search) {
    if (!args.scenario.order.empty()) return Fail("--search finds the order itself: drop --order");
    if (!args.shard.empty()) return Fail("--search and --shard do not go together: search once, then shard its --order");
    auto st = ParseCount(args.search_trials, "--search-trials", 1, 100000);
    if (!st) return Fail(st.error());
    search_trials = *st;
  }
  std::cerr << "swarmplan: seed " << seed << ", " << range.count << " trials on " << threads << " threads\n";

  std::optional<planner::SearchResult> found;
  if (args.search) {
    auto r = Search(scenario, seed, search_trials, range.count, threads, plan.faults);
    if (!r) return Fail(r.error());
    found = std::move(*r);
    if (found) {
      plan = found->plan;
      shown.order.clear();
      for (const auto& w : planner::PlanWords(scenario, plan)) shown.order += (shown.order.empty() ? "" : ",") + w;
    }
  }

  if (!args.shard.empty()) {
    // A share lists every trial's record (merge checks each one): its size
    // grows with the share, so shares are the way to split a big run.
    planner::ShareHead head;
    head.seed = seed;
    head.trials_total = *trials;
    head.index = shard_index;
    head.count = shard_count;
    head.range = range;
    head.scenario = scenario;
    head.plan = plan;
    head.reproduce_args = args.scenario.ReproduceArgs();
    head.sensitivity = !args.no_sensitivity;
    head.fixes = !args.no_fixes;
    head.at = topt.snapshots;
    const nlohmann::json j = planner::ShareToJson(head, planner::RunTrials(scenario, plan, seed, range, threads, topt));
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitSafe;
  }
  // Statistics only, in memory that does not grow with --trials. After a
  // second, a run that will take long says so (always), and shows its
  // progress on a terminal.
  const auto start = std::chrono::steady_clock::now();
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  bool warned = false, drew = false;
  const auto progress = [&](std::uint64_t done) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (done == 0 || elapsed < 1) return;
    const double left = elapsed * static_cast<double>(*trials - done) / static_cast<double>(done);
    if (!warned && left > 60) {
      warned = true;
      std::cerr << "swarmplan: these " << (args.trials.empty() ? "up to " : "") << *trials << " trials will take "
                << (args.trials.empty() ? "at most " : "") << "about " << static_cast<long>(left / 60 + 1)
                << " more minutes" << (args.trials.empty() ? " (they stop once the verdict is decided)" : "")
                << "; fewer --trials (or --shard across machines) answer sooner\n";
    }
    if (tty && elapsed > 3) {
      std::cerr << "\rswarmplan: " << done << "/" << *trials << " trials, about " << static_cast<long>(left)
                << " s left   " << std::flush;
      drew = true;
    }
  };
  topt.heartbeat = LongTrialProgress();
  // The default count may stop early on an expensive plan (planner/sequential.hpp).
  planner::SequentialRun run;
  if (args.trials.empty()) {
    run = planner::RunSequential(scenario, plan, seed, *trials, threads, progress, topt);
  } else {
    run.stats = planner::RunTrialStats(scenario, plan, seed, range, threads, progress, topt);
  }
  const planner::TrialStats& stats = run.stats;
  if (drew) std::cerr << "\r" << std::string(60, ' ') << "\r" << std::flush;
  if (!run.stopped.empty()) std::cerr << "swarmplan: stopped after " << stats.n << " trials, decided: " << run.stopped << "\n";
  planner::JudgeOptions judge;
  judge.trials = stats.n;
  judge.trials_budget = *trials;
  judge.stopped_early = run.stopped;
  judge.threads = threads;
  judge.sensitivity = !args.no_sensitivity;
  judge.fixes = !args.no_fixes;
  judge.snapshots = topt.snapshots;
  if (found) judge.plan_for = planner::SearchedPlanFor(scenario, seed, search_trials, *trials, threads, plan.faults);
  const planner::Report rep = planner::Judge(scenario, plan, seed, stats, judge);
  const std::string text = planner::RenderText(rep, shown.Reproduce("simulate", rep.example_seed));
  if (!args.svg.empty() || !args.csv.empty() || !args.html.empty()) {
    // The example trial (the worst, or the first): the one the reproduce
    // line replays.
    const planner::Timeline tl = planner::RecordTimeline(scenario, plan, rep.example_seed);
    const std::string svg = planner::TimelineSvg(tl, scenario.name + ": " + (rep.safe ? "SAFE" : "AT RISK"));
    const std::pair<const std::string&, std::string> outputs[] = {
        {args.svg, svg}, {args.csv, planner::TimelineCsv(tl)}, {args.html, planner::RenderHtml(rep, text, svg, tl)}};
    for (const auto& [path, body] : outputs) {
      if (path.empty()) continue;
      if (auto ok = WriteOutputFile(path, body); !ok) return Fail(ok.error());
    }
  }
  if (args.scenario.json) {
    nlohmann::json j = planner::ReportToJson(rep);
    j["reproduce"] = shown.Reproduce("simulate", rep.example_seed);
    if (found) j["search"] = planner::SearchToJson(*found, shown.order, search_trials);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    if (found) std::cout << planner::RenderSearchText(*found, shown.order);
    std::cout << text;
    if (args.explain) {
      // The example trial again, with the scheduler's reasons.
      model::Trace trace(true, true);
      planner::TrialOptions explain_opt;
      explain_opt.explain = true;
      planner::RunTrial(scenario, plan, rep.example_seed, explain_opt, &trace);
      std::cout << "\nThe example trial, explained (" << shown.Reproduce("simulate", rep.example_seed)
                << " --explain):\n";
      char buf[32];
      for (const auto& e : trace.events()) {
        std::snprintf(buf, sizeof buf, "%10.3f s  %-7s ", sim::ToSeconds(e.time), e.kind.c_str());
        std::cout << buf << e.text << "\n";
      }
    }
  }
  return rep.safe ? kExitSafe : kExitAtRisk;
}

}  // namespace swarmplan::cli

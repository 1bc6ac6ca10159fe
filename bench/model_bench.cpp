// The model at scale: scheduler placements, a whole rolling upgrade of
// large clusters, and trials of the seed scenario.
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <chrono>
#include <fstream>
#include <string>

#include "bench/large_cluster.hpp"
#include "model/swarm.hpp"
#include "planner/pipeline.hpp"
#include "planner/plan.hpp"
#include "planner/runner.hpp"
#include "planner/search.hpp"
#include "planner/sequential.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;
using namespace swarmplan::model;

namespace {

// Minor page faults of this process so far: first touches of memory.
double MinorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_minflt);
}

double PeakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// `nodes` nodes (3 managers), `services` services spread evenly with
// `tasks` tasks in all, over `networks` overlays sized to hold them.
Scenario Big(int nodes, int services, int tasks, int networks, const char* engine) {
  Scenario s;
  s.name = "bench";
  const auto v = *EngineVersion::Parse(engine);
  for (int i = 0; i < nodes; ++i) {
    NodeSpec n;
    n.role = i < 3 ? Role::kManager : Role::kWorker;
    n.name = "n" + std::to_string(i);
    n.engine = v;
    s.nodes.push_back(n);
  }
  s.ingress = *Ipv4Cidr::Parse("10.255.0.0/16");
  for (int k = 0; k < networks; ++k) {
    // A /14 each: 262,144 addresses, room for the tasks, replacements and LBs.
    s.networks.push_back({"net" + std::to_string(k),
                          *Ipv4Cidr::Parse("10." + std::to_string(4 * k) + ".0.0/14")});
  }
  for (int i = 0; i < services; ++i) {
    ServiceSpec svc;
    svc.name = "svc" + std::to_string(i);
    svc.replicas = static_cast<std::uint32_t>(tasks / services);
    if (networks > 0) svc.networks = {"net" + std::to_string(i % networks)};
    s.services.push_back(svc);
  }
  s.timings.converge_timeout = sim::Minute(10);
  return s;
}

// Scheduler: deploy and count placements until every task is assigned.
void BM_SchedulerPlacements(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int tasks = static_cast<int>(state.range(1));
  const Scenario s = Big(nodes, 100, tasks, 0, "18.09");
  std::uint64_t placed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Swarm w(s, 1);
    state.ResumeTiming();
    w.Deploy();
    w.engine().RunUntil(sim::Ms(1100));  // one scheduler batch (at most 1 s)
    state.PauseTiming();
    std::uint64_t n = 0;
    for (const auto& t : w.tasks) n += t.state >= TaskState::kAssigned;
    if (n != static_cast<std::uint64_t>(tasks)) state.SkipWithError("not every task was placed");
    placed += n;
    state.ResumeTiming();
  }
  state.counters["placements_per_s"] = benchmark::Counter(static_cast<double>(placed), benchmark::Counter::kIsRate);
}

// Whole upgrade: drain, stop, upgrade, start, activate, wait, node by node.
// BM_WholeUpgrade times one trial and nothing before it: run alone in its
// process (a filter naming one size), it is the process's first trial, cold:
// every page of its memory touched for the first time, the per-thread
// storage pools empty. BM_WholeUpgradeWarm runs one untimed trial first,
// then times the next ones: the steady state of `plan`'s trials.
void WholeUpgrade(benchmark::State& state, bool warm) {
  const int nodes = static_cast<int>(state.range(0));
  const Scenario s = Big(nodes, 20, 50 * nodes, 10, "18.09");
  const planner::Plan p = planner::DefaultPlan(s, EngineVersion{19, 3});
  if (warm) {
    const auto r = planner::RunTrial(s, p, 1);
    benchmark::DoNotOptimize(r.events);
  }
  std::uint64_t events = 0, peak_pending = 0;
  const double faults_before = MinorFaults();
  for (auto _ : state) {
    const auto r = planner::RunTrial(s, p, 1);
    if (!r.converged) state.SkipWithError(("did not converge: " + r.plan_error).c_str());
    events += r.events;
    peak_pending = std::max(peak_pending, r.peak_pending);
  }
  state.counters["page_faults"] = (MinorFaults() - faults_before) / static_cast<double>(state.iterations());
  state.counters["peak_pending"] = static_cast<double>(peak_pending);
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(events) / static_cast<double>(state.iterations());
  state.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}
void BM_WholeUpgrade(benchmark::State& state) { WholeUpgrade(state, false); }
void BM_WholeUpgradeWarm(benchmark::State& state) { WholeUpgrade(state, true); }

// A drain of one worker holding N tasks (a manager, two workers, 2N
// replicas on a /14 kept off the manager): its N replacements, teardowns
// and reports crowd the event queue at a few times. ns per event must
// not grow with N (issue 24: 50,000 took 68 s before the calendar's
// in-day link hint, 60,000 took 7 s).
void BM_DrainHugeNode(benchmark::State& state) {
  const int per_node = static_cast<int>(state.range(0));
  Scenario s = Big(3, 1, 2 * per_node, 1, "20.10");
  s.nodes[1].role = Role::kWorker;
  s.nodes[2].role = Role::kWorker;
  s.services[0].constraints = {*Constraint::Parse("node.role==worker")};
  auto p = planner::ParseOrder(s, {"drain:n1", "wait"}, EngineVersion{20, 10}, true);
  if (!p) {
    state.SkipWithError(p.error().c_str());
    return;
  }
  std::uint64_t events = 0;
  for (auto _ : state) {
    const auto r = planner::RunTrial(s, *p, 1);
    events += r.events;
  }
  state.counters["events"] = static_cast<double>(events) / static_cast<double>(state.iterations());
  state.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Trials of the seed scenario (`swarmplan plan` defaults).
void BM_ProcedureTrials(benchmark::State& state) {
  const unsigned threads = static_cast<unsigned>(state.range(0));
  const std::uint64_t batch = static_cast<std::uint64_t>(state.range(1));
  const Scenario s = DefaultScenario();
  const planner::Plan p = planner::DefaultPlan(s, *s.upgrade.to);
  std::uint64_t trials = 0;
  for (auto _ : state) {
    const auto r = planner::RunTrials(s, p, 1, {0, batch}, threads);
    benchmark::DoNotOptimize(r.data());
    trials += r.size();
  }
  state.counters["trials_per_s"] = benchmark::Counter(static_cast<double>(trials), benchmark::Counter::kIsRate);
}

// `plan --search` on a cluster of 3 managers and N workers on 17.06 (the
// seed's /27 widened to keep it feasible): candidates simulated per second.
// N <= 5: every order (exhaustive); more: grouped classes.
void BM_Search(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  Scenario s = DefaultScenario();
  s.nodes.resize(3);
  for (int i = 0; i < workers; ++i) {
    NodeSpec n = s.nodes[0];
    n.role = Role::kWorker;
    n.name = "worker" + std::to_string(i + 1);
    s.nodes.push_back(n);
  }
  s.services[0].replicas = static_cast<std::uint32_t>(3 * (3 + workers));
  s.networks[0].subnet = *Ipv4Cidr::Parse(workers > 20 ? "10.0.0.0/22" : "10.0.0.0/25");
  planner::SearchOptions opt;
  opt.to = *s.upgrade.to;
  opt.threads = 2;
  opt.verify_trials = 100;
  std::uint64_t evaluated = 0;
  for (auto _ : state) {
    auto r = planner::SearchPlan(s, opt);
    if (!r) state.SkipWithError(r.error().c_str());
    else evaluated += r->evaluated;
  }
  state.counters["candidates_per_s"] = benchmark::Counter(static_cast<double>(evaluated), benchmark::Counter::kIsRate);
  state.counters["candidates"] = static_cast<double>(evaluated) / static_cast<double>(state.iterations());
}

// The default `swarmplan plan` of the large-cluster workload (issue 27),
// on both cores: the trials (stopped once decided), the sensitivity
// design and the fixes, as plan_cmd runs them (no rendering, no parsing).
void BM_PlanLargeCluster(benchmark::State& state) {
  const model::Scenario s = bench::LargeCluster(static_cast<int>(state.range(0)));
  const planner::Plan p = planner::DefaultPlan(s, *s.upgrade.to);
  std::uint64_t trials = 0;
  for (auto _ : state) {
    const auto run = planner::RunSequential(s, p, 1, 1000, 2);
    planner::JudgeOptions o;
    o.trials = run.stats.n;
    o.threads = 2;
    const planner::Report rep = planner::Judge(s, p, 1, run.stats, o);
    benchmark::DoNotOptimize(rep.p_reject);
    trials = run.stats.n;
    if (!rep.safe) state.SkipWithError("the workload should be safe");
  }
  state.counters["trials"] = static_cast<double>(trials);
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}

}  // namespace

// The first size of each is the tiny one the test suite runs.
BENCHMARK(BM_SchedulerPlacements)->Args({10, 500})->Args({1000, 50000})->Args({10000, 500000})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WholeUpgrade)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)
    ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_WholeUpgradeWarm)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DrainHugeNode)->Arg(1000)->Arg(10000)->Arg(50000)->Arg(60000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_Search)->Arg(1)->Arg(2)->Arg(5)->Arg(97)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_PlanLargeCluster)->Arg(8)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_ProcedureTrials)->Args({1, 8})->Args({1, 2000})->Args({2, 2000})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();

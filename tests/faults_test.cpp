// Faults (model/faults.hpp, planner/faults.hpp): each kind's mechanism, the
// order words, `plan --faults N` (seeded, paired with the same seeds
// without faults, carried by shards), and apply refusing them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "executor/apply.hpp"
#include "executor/dry_run.hpp"
#include "helpers.hpp"
#include "model/operator.hpp"
#include "planner/plan.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "planner/trial.hpp"
#include "run_swarmplan.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Deployed;
using swarmplan::testing::Cluster;
using swarmplan::testing::ExpectError;
using swarmplan::testing::Swarmplan;

namespace {

// 3 managers + 2 workers on 20.10, 12 replicas on a /24 (room to spare).
Scenario Roomy() { return Cluster(3, 2, "20.10", "10.1.0.0/24", 12); }

int Running(const Swarm& w, NodeId n) {
  int c = 0;
  for (const Task& t : w.tasks) c += t.state == TaskState::kRunning && t.node == n;
  return c;
}

std::vector<TaskId> RunningIds(const Swarm& w, NodeId n) {
  std::vector<TaskId> out;
  for (const Task& t : w.tasks) {
    if (t.state == TaskState::kRunning && t.node == n) out.push_back(t.id);
  }
  return out;
}

// After a fault: every task that ran on the node before it has ended (its
// container stopped, or the task replaced while the node was down) and
// every replica runs again.
void EndedAndBack(const Swarm& w, const std::vector<TaskId>& before) {
  for (TaskId id : before) CHECK(IsTerminal(w.tasks[id].state));
  CHECK(w.services[0].running == 12);
}

planner::Plan Order(const Scenario& s, const std::vector<std::string>& words) {
  auto p = planner::ParseOrder(s, words, {20, 10}, true);
  INFO((p ? std::string() : p.error()));
  REQUIRE(p);
  return *p;
}

}  // namespace

TEST_CASE("faults: a killed engine's start first stops the containers it left, with their 10 s stop timeout", "[unit][faults]") {
  // moby daemon.go restore: busybox `sleep` ignores SIGTERM, so each is
  // killed 10 s after it; with systemd's 2 s and the engine's own start
  // (at least 3 s) the node is away 15 s or more.
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    INFO("reproduce: seed " << seed);
    Scenario s = Roomy();
    s.services[0].exits_on_sigterm = false;
    Deployed d(s, seed);
    Swarm& w = d.w;
    Operator& op = d.op;
    const sim::Time t0 = w.Now();
    REQUIRE(w.faults().Kill(3));
    w.engine().RunUntil(t0 + sim::Sec(2) + sim::Ms(12900));  // systemd's 2 s, engine start >= 3 s, restore > 10 s
    CHECK_FALSE(w.nodes[3].connected);
    CHECK(op.WaitFaultsOver());
    CHECK(w.nodes[3].connected);
    REQUIRE(op.WaitConverged());
    CHECK(w.services[0].running == 12);
  }
}

TEST_CASE("faults: a killed engine is back after systemd's 2 s, its containers gone and replaced", "[unit][faults]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("reproduce: seed " << seed);
    Deployed d(Roomy(), seed);
    Swarm& w = d.w;
    Operator& op = d.op;
    const NodeId n = 3;  // w1
    const std::vector<TaskId> before = RunningIds(w, n);
    REQUIRE(!before.empty());
    const sim::Time killed_at = w.Now();
    REQUIRE(w.faults().Kill(n));
    CHECK_FALSE(w.nodes[n].engine_running);
    CHECK(w.faults().Kill(n).error().find("not running") != std::string::npos);
    w.engine().RunUntil(killed_at + Faults::kSystemdRestart);
    CHECK(w.nodes[n].engine_running);  // systemd started it
    CHECK(op.WaitFaultsOver());
    REQUIRE(op.WaitConverged());
    EndedAndBack(w, before);
  }
}

TEST_CASE("faults: with live-restore a killed engine's running tasks are found running again", "[unit][faults]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("reproduce: seed " << seed);
    Scenario s = Roomy();
    s.nodes[3].live_restore = true;
    // A longer heartbeat grace than the engine's start, so the node is not
    // marked down meanwhile (and its tasks not replaced).
    s.timings.node_down_after = {sim::Sec(30), sim::Sec(40)};
    Deployed d(s, seed);
    Swarm& w = d.w;
    Operator& op = d.op;
    const std::vector<TaskId> before = RunningIds(w, 3);
    REQUIRE(!before.empty());
    const auto failed = w.metrics.failed_other;
    REQUIRE(w.faults().Kill(3));
    CHECK(op.WaitFaultsOver());
    REQUIRE(op.WaitConverged());
    CHECK(RunningIds(w, 3) == before);  // the same tasks, never stopped
    CHECK(w.metrics.failed_other == failed);
  }
}

TEST_CASE("faults: a host down takes the containers even with live-restore, and boots after its time", "[unit][faults]") {
  Scenario s = Roomy();
  s.nodes[4].live_restore = true;
  Deployed d(s, 3);
  Swarm& w = d.w;
  Operator& op = d.op;
  const std::vector<TaskId> before = RunningIds(w, 4);
  REQUIRE(!before.empty());
  const sim::Time t0 = w.Now();
  REQUIRE(w.faults().HostDown(4, sim::Sec(90)));
  CHECK(w.faults().HostDown(4, sim::Sec(90)).error().find("already down") != std::string::npos);
  w.StartEngine(4);  // nothing starts on a host that is off
  CHECK_FALSE(w.nodes[4].engine_running);
  w.engine().RunUntil(t0 + sim::Sec(89));
  CHECK(w.nodes[4].state == NodeState::kDown);  // marked down meanwhile
  CHECK_FALSE(w.nodes[4].engine_running);
  w.engine().RunUntil(t0 + sim::Sec(90));
  CHECK(w.nodes[4].engine_running);  // booted: docker.service starts
  CHECK(op.WaitFaultsOver());
  REQUIRE(op.WaitConverged());
  EndedAndBack(w, before);
}

TEST_CASE("faults: a partitioned worker keeps its tasks and addresses while the managers replace them", "[unit][faults]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("reproduce: seed " << seed);
    Deployed d(Roomy(), seed);
    Swarm& w = d.w;
    Operator& op = d.op;
    const NodeId n = 3;
    const std::vector<TaskId> before = RunningIds(w, n);
    REQUIRE(!before.empty());
    const std::uint64_t used = w.networks[1].pool.used();
    REQUIRE(w.faults().Partition(n, sim::Sec(120)));
    CHECK(w.nodes[n].engine_running);  // the engine runs on
    w.engine().RunUntil(w.Now() + sim::Sec(60));
    CHECK(w.nodes[n].state == NodeState::kDown);
    // The old tasks still hold their addresses (the node cannot report
    // them ended) while the replacements take new ones: the partition
    // costs the overlay one address per task on the node.
    for (TaskId id : before) CHECK(w.tasks[id].state == TaskState::kRunning);
    CHECK(w.networks[1].pool.used() >= used + before.size());
    CHECK(w.services[0].running >= 12);
    CHECK(op.WaitFaultsOver());
    REQUIRE(op.WaitConverged());
    // Healed: the node hears its tasks are to stop; their addresses free.
    for (TaskId id : before) CHECK(IsTerminal(w.tasks[id].state));
    CHECK(w.nodes[n].state == NodeState::kReady);
    CHECK(w.networks[1].pool.used() <= used + 1);  // the node may keep its load-balancer address
  }
}

TEST_CASE("faults: a partitioned leader loses the lead to a manager the others can reach", "[unit][faults]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("reproduce: seed " << seed);
    Deployed d(Roomy(), seed);
    Swarm& w = d.w;
    Operator& op = d.op;
    const NodeId old = w.leader();
    REQUIRE(w.faults().Partition(old, sim::Sec(40)));
    CHECK(w.reachable_managers() == 2);
    CHECK(w.HasQuorum());
    w.engine().RunUntil(w.Now() + sim::Sec(20));
    REQUIRE(w.HasLeader());
    CHECK(w.leader() != old);
    CHECK(op.WaitFaultsOver());
    CHECK(w.reachable_managers() == 3);
    REQUIRE(op.WaitConverged());
  }
}

TEST_CASE("faults: failed installs - an engine that does not start, or the old one kept", "[unit][faults]") {
  const Scenario s = Roomy();
  const auto none = planner::RunTrial(s, Order(s, {"install-fails:w1", "drain:w1", "upgrade:w1:24.0", "activate:w1", "wait"}), 5);
  CHECK(none.plan_failed);
  CHECK(none.plan_error.find("did not come back") != std::string::npos);
  CHECK(none.at_risk());
  // The plan stopped; the swarm is watched to its end: the drained node's
  // tasks run elsewhere, so the services are not hurt.
  CHECK(none.converged);
  CHECK_FALSE(none.hurt());

  Deployed d(s, 5);
  Swarm& w = d.w;
  Operator& op = d.op;
  REQUIRE(w.faults().FailNextInstall(3, /*keeps_old=*/true));
  REQUIRE(op.Drain(3));
  REQUIRE(op.Stop(3));
  REQUIRE(op.Install(3, {24, 0}));
  REQUIRE(op.Start(3));
  CHECK(w.nodes[3].engine == EngineVersion{20, 10});  // kept
  // Only the next install fails.
  REQUIRE(op.Stop(3));
  REQUIRE(op.Install(3, {24, 0}));
  REQUIRE(op.Start(3));
  CHECK(w.nodes[3].engine == EngineVersion{24, 0});
}

TEST_CASE("faults: a slow node takes its factor longer to stop its tasks", "[unit][faults]") {
  const Scenario s = Roomy();
  double calm = 0, slow = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    calm += planner::RunTrial(s, Order(s, {"drain:w1", "wait"}), seed).plan_s;
    slow += planner::RunTrial(s, Order(s, {"slow:w1:4", "drain:w1", "wait"}), seed).plan_s;
  }
  INFO("calm " << calm << " s, slow " << slow << " s over 10 seeds");
  CHECK(slow > calm * 1.5);
}

TEST_CASE("faults: order words parse, read back, and say what is wrong", "[unit][faults]") {
  const Scenario s = Roomy();
  const planner::Plan p = Order(s, {"kill:w1", "kill-leader", "host-down:w2:90", "partition:m2:30", "slow:w1:2.5",
                                    "install-fails:w2", "install-keeps-old:m3", "wait"});
  REQUIRE(p.steps.size() == 8);
  CHECK(p.steps[2].duration == sim::Sec(90));
  CHECK(p.steps[4].slow_pct == 250);
  for (const auto& st : p.steps) CHECK((st.IsFault() || st.action == planner::Action::kWait));
  const auto words = planner::PlanWords(s, p);
  CHECK(words[4] == "slow:w1:2.5");
  CHECK(Order(s, words).steps.size() == p.steps.size());
  CHECK(planner::PlanWords(s, Order(s, words)) == words);
  for (const char* bad : {"partition:w1", "partition:w1:0", "host-down:w1:x", "slow:w1:0.5", "slow:w1:2.555",
                          "slow:w1:101", "kill-leader:m1", "kill:nope", "kill:w1:3"}) {
    INFO(bad);
    CHECK_FALSE(planner::ParseOrder(s, {bad}, {20, 10}, true));
  }
  // Killing an engine the plan has stopped is a mistake of the order.
  const auto stopped = planner::ParseOrder(s, {"stop:w1", "kill:w1", "start:w1"}, {20, 10}, true);
  REQUIRE(stopped);
  CHECK_FALSE(planner::CheckPlan(s, *stopped));
}

TEST_CASE("faults: a trial with faults replays exactly, and runs as without them until the first strikes", "[unit][faults]") {
  const Scenario s = Roomy();
  planner::Plan p = planner::DefaultPlan(s, {24, 0});
  p.faults.count = 2;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    INFO("reproduce: swarmplan simulate --faults 2 --seed " << seed << " (on the test's cluster)");
    Trace a(true), b(true), calm(true);
    const auto ra = planner::RunTrial(s, p, seed, {}, &a);
    const auto rb = planner::RunTrial(s, p, seed, {}, &b);
    CHECK(ra.unseed == rb.unseed);
    CHECK(ra.faults == rb.faults);
    REQUIRE(ra.faults.size() == 2);
    planner::Plan none = p;
    none.faults = {};
    planner::RunTrial(s, none, seed, {}, &calm);
    sim::Time first = INT64_MAX;
    for (const auto& e : a.events()) {
      if (e.kind == "fault") first = std::min(first, e.time);
    }
    REQUIRE(first < INT64_MAX);
    std::size_t i = 0;
    while (i < a.events().size() && a.events()[i].time < first) {
      REQUIRE(i < calm.events().size());
      CHECK(a.events()[i].text == calm.events()[i].text);
      ++i;
    }
    CHECK(i > 0);
  }
}

TEST_CASE("faults: the plan's report - risk with and without, by kind, weakest moments that replay", "[unit][faults]") {
  const Scenario s = Cluster(3, 2, "20.10", "10.1.0.0/27", 16);  // 29 usable: 1 VIP, 5 LBs, 16 tasks, 7 spare
  planner::Plan p = planner::DefaultPlan(s, {24, 0});
  p.faults.count = 1;
  p.faults.kinds = {planner::Action::kPartition, planner::Action::kHostDown};
  planner::TrialOptions o;
  o.pair_calm = true;
  const auto stats = planner::RunTrialStats(s, p, 11, {0, 300}, 2, {}, o);
  const planner::Report rep = planner::Aggregate(s, p, 11, stats);
  REQUIRE(rep.faults);
  const auto& f = *rep.faults;
  CHECK(f.struck_trials == 300);
  CHECK(f.has_without);
  INFO("with " << f.p_with << ", without " << f.p_without);
  CHECK(f.p_without < 0.05);
  CHECK(f.p_with > f.p_without + 0.1);  // holding a partitioned node's addresses costs the /27
  REQUIRE(f.by_kind.size() == 2);
  CHECK(f.by_kind[0].trials + f.by_kind[1].trials == 300);
  REQUIRE_FALSE(f.weakest.empty());
  // The weakest moment's example is a trial at risk with its fault.
  const auto& m = f.weakest[0];
  const auto replay = planner::RunTrial(s, p, m.example_seed);
  CHECK(replay.at_risk());
  REQUIRE(replay.faults.size() == 1);
  CHECK(std::string(planner::ToString(replay.faults[0].kind)) == m.kind);
  CHECK(replay.faults[0].step == m.step);
}

TEST_CASE("faults: apply refuses a plan with faults before it reads or changes anything", "[unit][faults][safety]") {
  const Scenario s = Roomy();
  std::ostringstream out, log;
  executor::DryRunExecutor ex(s, out);
  executor::ApplyOptions opt;
  opt.gate_trials = 2;
  opt.force = true;
  const auto kill = executor::Apply(ex, s, Order(s, {"drain:w1", "kill:w2", "activate:w1"}), opt, log);
  REQUIRE_FALSE(kill);
  CHECK(kill.error().find("step 2") != std::string::npos);
  CHECK(out.str().empty());
  planner::Plan p = Order(s, {"drain:w1", "activate:w1"});
  p.faults.count = 1;
  CHECK_FALSE(executor::Apply(ex, s, p, opt, log));
  CHECK(out.str().empty());
  ExpectError("apply --order drain:worker1,kill:worker2,activate:worker1 --executor dry-run", "is a fault");
}

TEST_CASE("faults: the command line - errors, the reproduce line, shards merge to the single run", "[unit][faults][cli]") {
  ExpectError("plan --fault-kinds kill", "give --faults too");
  ExpectError("plan --faults 1 --fault-kinds kill,meteor", "\"meteor\" is not a fault kind");
  ExpectError("plan --faults 17", "--faults");
  ExpectError("plan --faults 1 --fault-kinds install-fails --order scale:ex_service=20,wait", "installs no engine");
  const auto one = Swarmplan("plan --faults 1 --fault-kinds kill,partition --trials 60 --no-sensitivity --no-fixes --json");
  INFO(one.err);
  REQUIRE((one.status == 0 || one.status == 2));
  const auto j = nlohmann::json::parse(one.out);
  REQUIRE(j.contains("faults"));
  CHECK(j["faults"]["kinds"] == "kill,partition");
  CHECK(j["reproduce"].get<std::string>().find("--faults 1 --fault-kinds kill,partition --seed") != std::string::npos);
  testing::TempDir dir;
  for (int i = 0; i < 2; ++i) {
    const auto sh = Swarmplan("plan --faults 1 --fault-kinds kill,partition --trials 60 --no-sensitivity --no-fixes --json --shard " +
                              std::to_string(i) + "/2 > " + dir.path + "/s" + std::to_string(i) + ".json");
    REQUIRE(sh.status == 0);
  }
  const auto merged = Swarmplan("merge " + dir.path + "/s0.json " + dir.path + "/s1.json --json");
  INFO(merged.err);
  CHECK(merged.out == one.out);
}

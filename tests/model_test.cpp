// Unit tests of the swarm components, each through the Swarm they live in.
#include <catch2/catch.hpp>

#include <map>

#include "helpers.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Cluster;
using swarmplan::testing::Count;

namespace {
sim::Time S(double s) { return static_cast<sim::Time>(s * sim::kSecond); }
std::vector<int> PerNode(const Swarm& w) {
  std::vector<int> c(w.nodes.size(), 0);
  for (const auto& t : w.tasks) {
    if (!IsTerminal(t.state) && t.node != kNoId && t.desired <= TaskState::kRunning) ++c[t.node];
  }
  return c;
}
}  // namespace

TEST_CASE("scheduler spreads a service evenly", "[unit][scheduler]") {
  Swarm w(Cluster(3, 2, "18.09", "10.1.0.0/24", 23), 11);
  w.Deploy();
  w.engine().RunUntil(S(20));
  CHECK(Count(w, TaskState::kRunning) == 23);
  for (int c : PerNode(w)) {
    CHECK(c >= 4);
    CHECK(c <= 5);
  }
}

TEST_CASE("scheduler ties fall out at random", "[unit][scheduler]") {
  // One replica on five equal nodes: where it lands depends on the seed.
  std::set<NodeId> seen;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Swarm w(Cluster(1, 4, "18.09", "10.1.0.0/24", 1), seed);
    w.Deploy();
    w.engine().RunUntil(S(5));
    for (const auto& t : w.tasks) {
      if (t.node != kNoId) seen.insert(t.node);
    }
  }
  CHECK(seen.size() >= 4);
}

TEST_CASE("drain moves tasks away and nothing rebalances on activate", "[unit][scheduler][orchestrator]") {
  Swarm w(Cluster(1, 2, "18.09", "10.1.0.0/24", 6), 5);
  w.Deploy();
  w.engine().RunUntil(S(20));
  REQUIRE(PerNode(w) == std::vector<int>{2, 2, 2});
  REQUIRE(w.SetAvailability(2, Availability::kDrain));
  w.engine().RunUntil(S(60));
  CHECK(Count(w, TaskState::kRunning) == 6);
  CHECK(Count(w, TaskState::kRunning, 2) == 0);
  CHECK(w.LiveTasksOn(2) == 0);
  REQUIRE(w.SetAvailability(2, Availability::kActive));
  w.engine().RunUntil(S(120));
  CHECK(Count(w, TaskState::kRunning, 2) == 0);  // no rebalancing
  CHECK(w.Converged());
}

TEST_CASE("a node failing a service 5 times loses to the others", "[unit][scheduler]") {
  // w1 runs 18.09 under a 17.06 leader: every task sent there is rejected.
  auto sc = Cluster(1, 1, "17.06", "10.1.0.0/24", 4);
  sc.nodes[1].engine = *EngineVersion::Parse("18.09");
  Swarm w(sc, 3);
  w.Deploy();
  w.engine().RunUntil(sim::Minute(4));
  std::uint64_t rejected = w.metrics.rejected_missing_attachments;
  CHECK(rejected >= 5);
  CHECK(Count(w, TaskState::kRunning, 0) == 4);  // all on m1 in the end
  CHECK(PerNode(w)[1] == 0);
}

TEST_CASE("allocator: task addresses at NEW - node LB at assignment - freed when empty", "[unit][allocator]") {
  Swarm w(Cluster(1, 1, "18.09", "10.1.0.0/24", 2), 2);
  w.Deploy();
  const auto& pool = w.networks[1].pool;
  CHECK(pool.used() == 3 + 1);  // VIP at service create
  w.engine().RunUntil(S(0.03));  // allocator batch ran, scheduler not yet
  CHECK(Count(w, TaskState::kPending) == 2);
  CHECK(pool.used() == 3 + 1 + 2);
  CHECK(w.nodes[0].attach[1] == kNoAddr);
  w.engine().RunUntil(S(10));
  CHECK(Count(w, TaskState::kRunning) == 2);
  CHECK(w.nodes[0].attach[1] != kNoAddr);
  CHECK(w.nodes[1].attach[1] != kNoAddr);
  CHECK(pool.used() == 3 + 1 + 2 + 2);
  REQUIRE(w.SetAvailability(1, Availability::kDrain));
  w.engine().RunUntil(S(30));
  CHECK(w.nodes[1].attach[1] == kNoAddr);
  CHECK(pool.used() == 3 + 1 + 2 + 1);
  CHECK(w.nodes[1].attach[0] != kNoAddr);  // ingress stays
}

TEST_CASE("LB addresses follow the leader's engine", "[unit][allocator]") {
  auto old = Cluster(1, 2, "17.06", "10.1.0.0/24", 1);
  Swarm a(old, 1);
  a.Deploy();
  a.engine().RunUntil(S(10));
  for (const auto& n : a.nodes) CHECK(n.attach[1] == kNoAddr);

  auto mid = Cluster(1, 2, "18.06", "10.1.0.0/24", 1);
  mid.nodes[2].availability = Availability::kDrain;
  Swarm b(mid, 1);
  b.Deploy();
  b.engine().RunUntil(S(10));
  for (const auto& n : b.nodes) CHECK(n.attach[1] != kNoAddr);  // drained included
}

TEST_CASE("a task no address can serve stays NEW and is retried when one frees", "[unit][allocator]") {
  // /29: 8 - 3 reserved - 1 VIP = 4; five replicas on an old leader.
  Swarm w(Cluster(1, 0, "17.06", "10.1.0.0/29", 5), 1);
  w.Deploy();
  w.engine().RunUntil(S(10));
  CHECK(Count(w, TaskState::kRunning) == 4);
  CHECK(Count(w, TaskState::kNew) == 1);
  CHECK(w.metrics.allocation_failures >= 1);
  // Stop a running task: its address frees and the waiting task takes it.
  for (auto& t : w.tasks) {
    if (t.state == TaskState::kRunning) {
      w.SetState(t, TaskState::kFailed, "test");
      break;
    }
  }
  w.engine().RunUntil(S(30));
  CHECK(Count(w, TaskState::kRunning) == 4);
  CHECK(Count(w, TaskState::kNew) == 1);  // the failed task's replacement now waits
}

TEST_CASE("agent: 30 s attachment wait then REJECTED with the seed's error", "[unit][agent]") {
  auto sc = Cluster(1, 1, "17.06", "10.1.0.0/24", 1);
  sc.nodes[0].availability = Availability::kDrain;  // force w1
  sc.nodes[1].engine = *EngineVersion::Parse("18.09");
  Swarm w(sc, 9);
  w.Deploy();
  w.engine().RunUntil(S(5));
  const Task& t = w.tasks[0];
  REQUIRE(t.state == TaskState::kPreparing);
  CHECK(t.agent.waiting_attach);
  const sim::Time since = t.state_since;
  w.engine().RunUntil(since + S(29.9));
  CHECK(t.state == TaskState::kPreparing);
  w.engine().RunUntil(since + S(30));
  CHECK(t.report.pending);  // the worker gave up at 30 s...
  w.engine().RunUntil(since + S(30.1));  // ...the dispatcher's next batch commits it
  CHECK(t.state == TaskState::kRejected);
  CHECK(t.err == kErrMissingAttachments);
}

TEST_CASE("agent: a desired-state change ends the attachment wait when it reaches the worker", "[unit][agent]") {
  auto sc = Cluster(1, 1, "17.06", "10.1.0.0/24", 1);
  sc.nodes[0].availability = Availability::kDrain;
  sc.nodes[1].engine = *EngineVersion::Parse("18.09");
  Swarm w(sc, 9);
  w.Deploy();
  w.engine().RunUntil(S(5));
  Task& t = w.tasks[0];
  REQUIRE(t.agent.waiting_attach);
  w.SetDesired(t, TaskState::kShutdown);
  CHECK(t.agent.waiting_attach);  // the dispatcher has not sent the change yet
  // Its stream waits for a quiet assignment_quiet, then the message takes
  // dispatch_latency and the worker worker_accept.
  const sim::Time quiet = w.timings().assignment_quiet;
  w.engine().RunUntil(w.Now() + quiet - 1);
  CHECK(t.agent.waiting_attach);  // still held by the stream
  w.engine().RunUntil(w.Now() + 1 + w.timings().dispatch_latency.hi + w.timings().worker_accept.hi);
  CHECK_FALSE(t.agent.waiting_attach);  // the worker got it: the wait ended there and then
  w.engine().RunUntil(w.Now() + w.timings().dispatcher_batch);
  CHECK(t.state == TaskState::kRejected);
  CHECK(t.err == kErrMissingAttachments);
}

TEST_CASE("restart: a replacement waits READY until the old task stops", "[unit][orchestrator]") {
  auto sc = Cluster(1, 1, "18.09", "10.1.0.0/24", 1);
  sc.nodes[0].availability = Availability::kDrain;
  sc.services[0].exits_on_sigterm = false;  // like `busybox sleep`: 2 s unbind + 10 s grace + 2-3.4 s kill
  Swarm w(sc, 4);
  w.Deploy();
  w.engine().RunUntil(S(10));
  REQUIRE(w.tasks[0].state == TaskState::kRunning);
  REQUIRE(w.SetAvailability(0, Availability::kActive));
  REQUIRE(w.SetAvailability(1, Availability::kDrain));
  const sim::Time t0 = w.Now();
  w.engine().RunUntil(t0 + S(5));
  REQUIRE(w.tasks.size() == 2);
  const Task& repl = w.tasks[1];
  CHECK(repl.desired == TaskState::kReady);
  CHECK(repl.state == TaskState::kReady);
  CHECK(w.tasks[0].state == TaskState::kRunning);  // still in its grace period
  w.engine().RunUntil(t0 + S(20));
  CHECK(w.tasks[0].state == TaskState::kShutdown);
  CHECK(repl.desired == TaskState::kRunning);
  CHECK(repl.state == TaskState::kRunning);
}

TEST_CASE("global services: one task per active node - removed by drain - back on activate", "[unit][orchestrator]") {
  auto sc = Cluster(1, 2, "18.09", "10.1.0.0/24", 0);
  sc.services[0].mode = ServiceMode::kGlobal;
  Swarm w(sc, 2);
  w.Deploy();
  w.engine().RunUntil(S(10));
  CHECK(Count(w, TaskState::kRunning) == 3);
  REQUIRE(w.SetAvailability(2, Availability::kDrain));
  w.engine().RunUntil(S(30));
  CHECK(Count(w, TaskState::kRunning) == 2);
  CHECK(w.Converged());
  REQUIRE(w.SetAvailability(2, Availability::kActive));
  w.engine().RunUntil(S(50));
  CHECK(Count(w, TaskState::kRunning) == 3);
}

TEST_CASE("quorum: two of three managers down leaves no leader", "[unit][quorum]") {
  Swarm w(Cluster(3, 1, "18.09", "10.1.0.0/24", 2), 6);
  w.Deploy();
  w.engine().RunUntil(S(10));
  w.StopEngine(1);
  w.engine().RunUntil(S(20));
  CHECK(w.HasLeader());
  w.StopEngine(0);  // the leader
  w.engine().RunUntil(S(40));
  CHECK_FALSE(w.HasLeader());
  auto r = w.SetAvailability(3, Availability::kDrain);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("no leader") != std::string::npos);
  w.StartEngine(1);
  w.engine().RunUntil(S(60));
  CHECK(w.HasLeader());
  CHECK(w.leader() != 0);  // m1 is still down
}

TEST_CASE("an engine restart without drain keeps addresses until the node is back", "[unit][agent]") {
  Swarm w(Cluster(1, 1, "18.09", "10.1.0.0/24", 2), 8);
  w.Deploy();
  w.engine().RunUntil(S(10));
  const auto used = w.networks[1].pool.used();
  w.StopEngine(1);
  w.engine().RunUntil(S(12));
  // Still RUNNING in the store: nobody reported otherwise.
  CHECK(w.networks[1].pool.used() >= used);
  w.StartEngine(1);
  w.engine().RunUntil(S(120));
  CHECK(Count(w, TaskState::kRunning) == 2);
  CHECK(w.Converged());
}

TEST_CASE("restart: a replacement rejected during its delayed start is replaced only when that start ends", "[unit][orchestrator]") {
  // /28: 16 - 3 reserved - 1 VIP - m1's load balancer = 11 for 8 tasks on
  // m1 (w1 drained at deploy). Then w1 is activated and m1 drained: the old
  // tasks ignore SIGTERM for 120 s, so the replacements wait READY; three
  // get addresses, go to w1, find no address left for w1's load balancer
  // and are rejected after the 30 s wait, while their delayed start (which
  // waits for the old task to stop, at most one minute) is still pending.
  // swarmkit's supervisor (restart.go, Supervisor.Restart -> waitRestart)
  // creates their next replacements only when that delayed start ends, at
  // one minute, not at once.
  auto sc = Cluster(1, 1, "18.09", "10.1.0.0/28", 8);
  sc.nodes[1].availability = Availability::kDrain;
  sc.services[0].exits_on_sigterm = false;
  sc.services[0].stop_grace_period = S(120);
  Swarm w(sc, 11);
  w.Deploy();
  w.engine().RunUntil(S(20));
  REQUIRE(Count(w, TaskState::kRunning, 0) == 8);
  REQUIRE(w.SetAvailability(1, Availability::kActive));
  REQUIRE(w.SetAvailability(0, Availability::kDrain));
  const sim::Time t0 = w.Now();
  w.engine().RunUntil(t0 + S(58));
  std::map<std::uint32_t, int> created_since_drain;
  int rejected = 0;
  for (const Task& t : w.tasks) {
    if (t.created >= t0) ++created_since_drain[t.slot];
    rejected += t.state == TaskState::kRejected;
  }
  CHECK(rejected >= 1);  // the situation arose
  for (const auto& [slot, n] : created_since_drain) {
    INFO("slot " << slot);
    CHECK(n == 1);  // one replacement per slot until the delayed starts end
  }
  // When the delayed starts end, the rejected ones are replaced.
  w.engine().RunUntil(t0 + S(70));
  int replaced_again = 0;
  for (const Task& t : w.tasks) replaced_again += t.created >= t0 + S(58);
  CHECK(replaced_again >= 1);
}

TEST_CASE("scheduler: without failures a batch still spreads evenly", "[unit][scheduler]") {
  auto sc = Cluster(1, 3, "18.09", "10.1.0.0/24", 9);
  sc.nodes[0].availability = Availability::kDrain;
  Swarm w(sc, 3);
  w.Deploy();
  w.engine().RunUntil(S(10));
  const auto per = PerNode(w);
  CHECK(per[1] == 3);
  CHECK(per[2] == 3);
  CHECK(per[3] == 3);
}

TEST_CASE("scheduler: a batch piles onto one node next to a failing one (scheduleNTasksOnNodes)", "[unit][scheduler]") {
  // w2 runs 4 tasks, w1 is activated empty, w3 has 6 recent failures of the
  // service. Scaling 4 -> 16 places 12 tasks in one batch over the nodes
  // sorted [w1 (0), w2 (4), w3 (failing)]: the first pass stays on w1 until
  // w2 is strictly better (w1 at 5), moves to w2, and never moves on to the
  // failing w3, so w2 takes the other 6: 5 / 11 / 0, not the even 8 / 8 a
  // least-loaded choice per task would give.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("reproduce: seed " << seed);
    auto sc = Cluster(1, 3, "20.10", "10.1.0.0/24", 4);
    sc.nodes[0].availability = Availability::kDrain;
    sc.nodes[1].availability = Availability::kPause;
    sc.services[0].recent_failures["w3"] = 6;
    Swarm w(sc, seed);
    w.Deploy();
    w.engine().RunUntil(S(20));
    REQUIRE(PerNode(w)[2] == 4);
    REQUIRE(w.SetAvailability(1, Availability::kActive));
    REQUIRE(w.ScaleService(0, 16));
    w.engine().RunUntil(S(40));
    const auto per = PerNode(w);
    CHECK(per[1] == 5);
    CHECK(per[2] == 11);
    CHECK(per[3] == 0);
  }
}

TEST_CASE("an engine stop lasts as long as its containers take to stop", "[unit][operator]") {
  // Restarting w1 without a drain: its tasks ignore SIGTERM for 30 s, so
  // dockerd's shutdown takes 30 s more and the node, whose heartbeats
  // stopped when the stop began, is marked down (15-20 s) before it is back:
  // its tasks are replaced elsewhere. Tasks that exit on SIGTERM let the
  // engine stop in seconds, and the node is back before anyone notices.
  auto run = [](bool exits_on_sigterm, std::uint64_t seed) {
    auto sc = Cluster(1, 2, "18.09", "10.1.0.0/24", 6);
    sc.services[0].exits_on_sigterm = exits_on_sigterm;
    sc.services[0].stop_grace_period = S(30);
    auto p = planner::ParseOrder(sc, {"restart:w1,wait"}, {18, 9}, true);
    REQUIRE(p);
    model::Trace trace(true);
    (void)planner::RunTrial(sc, *p, seed, {}, &trace);
    bool down = false;
    for (const auto& e : trace.events()) down = down || e.text == "w1 is down (heartbeat expired)";
    return down;
  };
  // The operator's pause between the stop and the start (2-10 s) and the
  // engine's own stop (1-4 s) and start (3-10 s) add up to more than the
  // heartbeat grace (15-20 s) by themselves in about 25% of runs (the
  // chance that U(1,4) + U(2,10) + U(3,10) > U(15,20), plus a fraction of
  // a second of container stops); the 30 s the containers add make it
  // certain. 100 seeds: 25 expected, 13-38 holds the count with 99.8%.
  constexpr int kSeeds = 100;
  int down_ignoring = 0, down_obeying = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    down_ignoring += run(false, seed);
    down_obeying += run(true, seed);
  }
  INFO("marked down: " << down_ignoring << "/" << kSeeds << " ignoring SIGTERM, " << down_obeying << "/" << kSeeds
                       << " obeying (seeds 1-" << kSeeds << ")");
  CHECK(down_ignoring == kSeeds);
  CHECK(down_obeying >= 13);
  CHECK(down_obeying <= 38);
}

TEST_CASE("services: scale up and down - remove - create later", "[unit][orchestrator]") {
  auto sc = Cluster(1, 2, "18.09", "10.1.0.0/24", 6);
  sc.nodes[0].availability = Availability::kDrain;
  model::ServiceSpec later;
  later.name = "later";
  later.replicas = 2;
  later.networks = {"net"};
  later.deployed = false;
  sc.services.push_back(later);
  Swarm w(sc, 7);
  w.Deploy();
  w.engine().RunUntil(S(10));
  CHECK(Count(w, TaskState::kRunning) == 6);
  const std::uint64_t used = w.networks[1].pool.used();  // 3 reserved + 1 VIP + 6 tasks + 2 LB
  CHECK(used == 12);
  // Scale up: new slots 7 and 8 get tasks.
  REQUIRE(w.ScaleService(0, 8));
  w.engine().RunUntil(S(20));
  CHECK(Count(w, TaskState::kRunning) == 8);
  CHECK(w.services[0].slots.size() == 8);
  // Scale down to 3: the copies on the node with most copies go first,
  // leaving 2 / 1 (or 1 / 2), and their addresses come back.
  REQUIRE(w.ScaleService(0, 3));
  w.engine().RunUntil(S(40));
  auto per = PerNode(w);
  CHECK(per[1] + per[2] == 3);
  CHECK(std::abs(per[1] - per[2]) == 1);
  CHECK(w.Converged());
  CHECK(w.networks[1].pool.used() == 3 + 1 + 3 + 2);
  // Scale up again: retired slots are reused first.
  REQUIRE(w.ScaleService(0, 5));
  w.engine().RunUntil(S(60));
  CHECK(w.services[0].slots.size() == 8);
  CHECK(Count(w, TaskState::kRunning) == 5);
  // Create the second service: a VIP and two task addresses.
  REQUIRE(w.CreateService(1));
  w.engine().RunUntil(S(80));
  CHECK(w.services[1].running == 2);
  CHECK(w.networks[1].pool.used() == 3 + 2 + 5 + 2 + 2);
  CHECK_FALSE(w.CreateService(1));  // already there
  // Remove the first: its tasks end and its VIP is freed.
  REQUIRE(w.RemoveService(0));
  w.engine().RunUntil(S(100));
  CHECK(w.services[0].running == 0);
  CHECK(w.Converged());
  CHECK(w.networks[1].pool.used() == 3 + 1 + 2 + 2);
  CHECK_FALSE(w.ScaleService(0, 4));  // gone
}

TEST_CASE("promote and demote: Raft membership, leader, role constraints", "[unit][control]") {
  auto sc = Cluster(3, 2, "20.10", "10.1.0.0/24", 0);
  sc.services[0].mode = ServiceMode::kGlobal;
  sc.services[0].constraints = {*Constraint::Parse("node.role==worker")};
  Swarm w(sc, 3);
  w.Deploy();
  w.engine().RunUntil(S(20));
  CHECK(w.services[0].running == 2);  // one per worker
  CHECK(w.managers() == 3);
  const NodeId leader = w.leader();
  // Demoting the leader: it steps down and another manager is elected.
  REQUIRE(w.SetRole(leader, Role::kWorker));
  CHECK(w.managers() == 2);
  w.engine().RunUntil(S(40));
  REQUIRE(w.HasLeader());
  CHECK(w.leader() != leader);
  CHECK(w.nodes[w.leader()].role == Role::kManager);
  // ... and, now a worker, it gets the global task.
  CHECK(w.services[0].running == 3);
  // Promoting worker 4: its global task goes (the constraint no longer holds).
  REQUIRE(w.SetRole(4, Role::kManager));
  w.engine().RunUntil(S(60));
  CHECK(w.managers() == 3);
  CHECK(w.services[0].running == 2);
  CHECK(Count(w, TaskState::kRunning, 4) == 0);
}

TEST_CASE("promote and demote in plans: quorum and the last manager", "[unit][plan]") {
  const auto to = *EngineVersion::Parse("20.10");
  auto one = Cluster(1, 2, "20.10", "10.1.0.0/24", 3);
  auto last = planner::ParseOrder(one, {"demote:m1"}, to, true);
  REQUIRE(last);
  auto refused = planner::CheckPlan(one, *last);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("last manager") != std::string::npos);
  auto swap = planner::ParseOrder(one, {"promote:w1", "demote:m1", "wait"}, to, true);
  REQUIRE(swap);
  CHECK(planner::CheckPlan(one, *swap));
  CHECK(planner::PlanWords(one, *swap) == std::vector<std::string>{"promote:w1", "demote:m1", "wait"});
  const auto r = planner::RunTrial(one, *swap, 2, {});
  CHECK_FALSE(r.plan_failed);
  CHECK(r.converged);
  auto twice = planner::ParseOrder(one, {"promote:m1"}, to, true);
  REQUIRE(twice);
  CHECK_FALSE(planner::CheckPlan(one, *twice));
  // Three managers, one stopped: demoting a running one leaves 1 of 2 up.
  auto three = Cluster(3, 0, "20.10", "10.1.0.0/24", 3);
  auto q = planner::ParseOrder(three, {"stop:m2", "demote:m3", "start:m2"}, to, true);
  REQUIRE(q);
  auto lost = planner::CheckPlan(three, *q);
  REQUIRE_FALSE(lost);
  CHECK(lost.error().find("quorum") != std::string::npos);
}

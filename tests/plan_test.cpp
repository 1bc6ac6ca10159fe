// planner/plan: order words, the default procedure, the lifecycle and quorum checks.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "planner/capacity.hpp"
#include "planner/plan.hpp"
#include "planner/render.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "planner/shard.hpp"

using namespace swarmplan;

TEST_CASE("plan check: starting a down node is no cycle - real lifecycle violations are refused", "[unit][plan]") {
  model::Scenario s = testing::Cluster(3, 1, "18.09", "10.1.0.0/24", 4);
  s.nodes[3].down = true;  // w1
  auto check = [&](const std::string& order) {
    auto p = planner::ParseOrder(s, {order}, {18, 9}, true);
    REQUIRE(p);
    return planner::CheckPlan(s, *p);
  };
  // The old graph turned a first step on a down node into a self-loop.
  CHECK(check("start:w1,wait"));
  CHECK(check("wait,start:w1,wait"));
  auto stop_down = check("stop:w1");
  REQUIRE_FALSE(stop_down);
  CHECK(stop_down.error().find("the node is down") != std::string::npos);
  auto twice = check("start:w1,start:w1");
  REQUIRE_FALSE(twice);
  CHECK(twice.error().find("step 2") != std::string::npos);
  auto install_running = check("install:m2");
  REQUIRE_FALSE(install_running);
  CHECK(install_running.error().find("must be stopped first") != std::string::npos);
  auto left_stopped = check("stop:m2,install:m2");
  REQUIRE_FALSE(left_stopped);
  CHECK(left_stopped.error().find("stopped at the end") != std::string::npos);
  auto downgrade = check("stop:m2,install:m2:18.06,start:m2");
  REQUIRE_FALSE(downgrade);
  CHECK(downgrade.error().find("not downgrades") != std::string::npos);
}

TEST_CASE("a plan that upgrades only part of the cluster says so", "[unit][plan]") {
  model::Scenario s = testing::Cluster(3, 2, "17.06", "10.1.0.0/24", 4);
  auto p = planner::ParseOrder(s, {"wait"}, {18, 9}, true);
  REQUIRE(p);
  REQUIRE(p->notes.size() == 1);
  CHECK(p->notes[0].find("incomplete") != std::string::npos);
  const auto rep = planner::Aggregate(s, *p, 1, planner::RunTrials(s, *p, 1, {0, 2}, 1));
  CHECK(planner::RenderText(rep, "x").find("the upgrade is incomplete") != std::string::npos);
  CHECK(planner::ReportToJson(rep)["plan"]["notes"].size() == 1);
  auto whole = planner::ParseOrder(s, {"m2,m3,m1,w1,w2"}, {18, 9}, true);
  REQUIRE(whole);
  CHECK(whole->notes.empty());
}

TEST_CASE("service steps: parsed - checked - printed back" , "[unit][plan]") {
  model::Scenario s = testing::Cluster(1, 2, "18.09", "10.1.0.0/24", 4);
  model::ServiceSpec api;
  api.name = "api";
  api.replicas = 2;
  api.networks = {"net"};
  api.deployed = false;
  s.services.push_back(api);
  auto p = planner::ParseOrder(s, {"scale:svc=10,wait,create:api,wait,rm:svc"}, {18, 9}, true);
  REQUIRE(p);
  REQUIRE(p->steps.size() == 5);
  CHECK(p->steps[0].action == planner::Action::kScale);
  CHECK(p->steps[0].replicas == 10);
  CHECK(p->steps[0].Describe(s) == "scale svc to 10");
  CHECK(planner::PlanWords(s, *p) == std::vector<std::string>{"scale:svc=10", "wait", "create:api", "wait", "rm:svc"});
  CHECK(planner::CheckPlan(s, *p));
  CHECK_FALSE(p->Upgrades());
  CHECK(p->notes.empty());  // a change, not an upgrade left half done
  auto err = [&](const std::string& order) {
    auto q = planner::ParseOrder(s, {order}, {18, 9}, true);
    if (!q) return q.error();
    auto ok = planner::CheckPlan(s, *q);
    return ok ? std::string() : ok.error();
  };
  CHECK(err("scale:nope=3").find("no service is named \"nope\" (services: svc, api)") != std::string::npos);
  CHECK(err("scale:svc").find("scale:SERVICE=N") != std::string::npos);
  CHECK(err("scale:svc=-1").find("from 0 to 1000000") != std::string::npos);
  CHECK(err("scale:svc=0x10").find("from 0 to 1000000") != std::string::npos);
  CHECK(err("create:svc").find("already exists") != std::string::npos);
  CHECK(err("scale:api=3").find("does not exist") != std::string::npos);
  CHECK(err("rm:svc,rm:svc").find("step 2") != std::string::npos);
  CHECK(err("create:api,scale:api=4").empty());
  // The budget after the plan counts what it leaves.
  const auto b = planner::Budget(s, {18, 9}, {18, 9}, &*p);
  CHECK(b[0].tasks == 4);
  CHECK(b[0].vips == 1);
  CHECK(b[0].tasks_after == 2);  // svc removed, api created with 2
  CHECK(b[0].vips_after == 1);
}

TEST_CASE("a change plan is simulated and reported as a change" , "[unit][plan]") {
  // 24 replicas fit a /27 on 5 nodes of 18.09 only with one node left
  // empty; scaling to 26 cannot fit: tasks stay NEW.
  model::Scenario s = testing::Cluster(1, 1, "18.09", "10.1.0.0/27", 20);
  auto p = planner::ParseOrder(s, {"scale:svc=30,wait"}, {18, 9}, true);
  REQUIRE(p);
  const auto rep = planner::Aggregate(s, *p, 1, planner::RunTrials(s, *p, 1, {0, 4}, 1));
  CHECK_FALSE(rep.upgrade);
  CHECK(rep.change == "scale svc to 30");
  CHECK(rep.budget[0].tasks_after == 30);
  CHECK(rep.budget[0].free_after() < 0);
  CHECK(rep.p_not_converged == 1.0);
  CHECK_FALSE(rep.safe);
  const std::string text = planner::RenderText(rep, "x");
  CHECK(text.find("change (no engine upgrade, engines 18.09): scale svc to 30") != std::string::npos);
  CHECK(text.find("upgrade 18.09") == std::string::npos);
}

TEST_CASE("a plan cannot roll back a service it created, unchecked reservations are said", "[unit][plan][safety]") {
  model::Scenario s = testing::Cluster(1, 2, "20.10", "10.5.0.0/24", 4);
  s.services[0].previous_spec = true;  // the running service was updated once
  // Removed and created again: the new service has nothing to roll back to.
  auto p = planner::ParseOrder(s, {"rm:" + s.services[0].name, "wait", "create:" + s.services[0].name, "wait",
                                   "rollback:" + s.services[0].name},
                               {20, 10}, true);
  REQUIRE(p);
  auto checked = planner::CheckPlan(s, *p);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().find("no previous spec") != std::string::npos);
  // A service the plan creates cannot come with a previous spec.
  model::Scenario c = s;
  c.services[0].deployed = false;
  c.tasks.clear();
  auto v = c.Validate();
  REQUIRE_FALSE(v);
  CHECK(v.error().find("previous_spec") != std::string::npos);
  // Reservations on nodes that declare no memory: a note, for the spec and its update.
  model::Scenario r = testing::Cluster(1, 2, "20.10", "10.5.0.0/24", 4);
  r.services[0].reserve_memory_bytes = 64 << 20;
  auto upd = std::make_shared<model::ServiceSpec>(r.services[0]);
  upd->reserve_memory_bytes = 128 << 20;
  r.services[0].update_to = upd;
  auto q = planner::ParseOrder(r, {"update:" + r.services[0].name, "wait"}, {20, 10}, true);
  REQUIRE(q);
  std::string notes;
  for (const auto& n : q->notes) notes += n + "\n";
  CHECK(notes.find("service " + r.services[0].name + " reserves 64 MiB") != std::string::npos);
  CHECK(notes.find("the update of service " + r.services[0].name + " reserves 128 MiB") != std::string::npos);
  // Nodes that declare their memory: the scheduler checks it, no note.
  for (auto& n : r.nodes) n.memory_bytes = std::int64_t{4} << 30;
  auto q2 = planner::ParseOrder(r, {"update:" + r.services[0].name, "wait"}, {20, 10}, true);
  REQUIRE(q2);
  for (const auto& n : q2->notes) CHECK(n.find("reserves") == std::string::npos);
}

TEST_CASE("a long trial reports its progress, and the report changes nothing", "[unit][plan]") {
  model::Scenario s = testing::Cluster(3, 12, "17.06", "10.4.0.0/22", 600);
  const planner::Plan p = planner::DefaultPlan(s, {18, 9});
  planner::TrialOptions quiet, loud;
  std::uint64_t beats = 0, last_events = 0;
  sim::Time last_now = -1;
  loud.heartbeat = [&](sim::Time now, std::uint64_t events) {
    ++beats;
    CHECK(events > last_events);
    CHECK(now >= last_now);
    last_events = events;
    last_now = now;
  };
  const auto a = planner::RunTrial(s, p, 7, quiet);
  const auto b = planner::RunTrial(s, p, 7, loud);
  REQUIRE(a.events > 3 * 4096);
  CHECK(beats >= 3);  // one per 4,096 events of the whole run, settling included
  CHECK(beats <= a.events / 4096 + 1);
  CHECK(planner::TrialToJson(a) == planner::TrialToJson(b));
}

// apply's safety under a second run, a signal and a crash: the journal's
// lock, steps left in doubt, a resumed rehearsal, and the commands apply
// prints for a person to paste.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "executor/apply.hpp"
#include "executor/dry_run.hpp"
#include "executor/interrupt.hpp"
#include "executor/journal.hpp"
#include "helpers.hpp"
#include "model/scenario_json.hpp"
#include "planner/plan.hpp"
#include "run_swarmplan.hpp"

using namespace swarmplan;
using swarmplan::testing::RunSwarmplan;
using swarmplan::testing::Slurp;
using swarmplan::testing::TempDir;

namespace {

// An executor that changes nothing and answers what the cluster "is" as the
// test sets it: a witness of which operations apply asked for.
class FakeExecutor final : public executor::Executor {
 public:
  std::vector<std::string> calls;
  executor::NodeSeen node;                 // what ReadNode answers for any node
  std::string interrupt_on;                // an operation that "gets" SIGINT midway
  std::string_view name() const override { return "fake"; }
  bool gated() const override { return false; }
  std::string cluster_id() const override { return "fake-cluster"; }
  std::expected<model::Scenario, std::string> Snapshot() override { return std::unexpected("no snapshot"); }
  std::expected<void, std::string> Call(const std::string& what) {
    calls.push_back(what);
    if (what == interrupt_on) {
      executor::SetStopSignal(SIGINT);
      return std::unexpected("interrupted by SIGINT during the upgrade command");
    }
    return {};
  }
  std::expected<void, std::string> Drain(const std::string& n) override { return Call("drain " + n); }
  std::expected<void, std::string> SetAvailability(const std::string& n, model::Availability a) override {
    return Call(std::string(model::ToString(a)) + " " + n);
  }
  std::expected<void, std::string> SetRole(const std::string& n, model::Role) override { return Call("role " + n); }
  std::expected<void, std::string> StopEngine(const std::string& n) override { return Call("stop " + n); }
  std::expected<void, std::string> InstallEngine(const std::string& n, model::EngineVersion v) override {
    return Call("install " + n + " " + v.ToString());
  }
  std::expected<void, std::string> StartEngine(const std::string& n) override { return Call("start " + n); }
  std::expected<void, std::string> CreateService(const model::ServiceSpec& s) override { return Call("create " + s.name); }
  std::expected<void, std::string> RemoveService(const std::string& s) override { return Call("rm " + s); }
  std::expected<void, std::string> ScaleService(const std::string& s, std::uint32_t) override { return Call("scale " + s); }
  std::expected<void, std::string> UpdateService(const std::string& s) override { return Call("update " + s); }
  std::expected<void, std::string> RollbackService(const std::string& s) override { return Call("rollback " + s); }
  std::expected<void, std::string> ChangeNetwork(const std::string& s, const std::string&, bool) override {
    return Call("network " + s);
  }
  std::expected<void, std::string> JoinNode(const std::string& n, model::Role) override { return Call("join " + n); }
  std::expected<void, std::string> LeaveNode(const std::string& n) override { return Call("leave " + n); }
  std::expected<void, std::string> RemoveNode(const std::string& n) override { return Call("node-rm " + n); }
  std::expected<bool, std::string> WaitConverged() override {
    calls.push_back("wait");
    return true;
  }
  std::expected<void, std::string> Sleep(sim::Time) override { return Call("sleep"); }
  executor::Observation Observe() override { return {}; }
  std::expected<executor::NodeSeen, std::string> ReadNode(const std::string&) override { return node; }
};

struct Fixture {
  model::Scenario s;
  planner::Plan plan;
  Fixture() {
    auto sc = model::ScenarioFromFile(std::string(SWARMPLAN_DATA) + "/default.json");
    REQUIRE(sc);
    s = *sc;
    s.networks[0].subnet = *model::Ipv4Cidr::Parse("10.0.0.0/26");
    auto p = planner::ParseOrder(s, {"drain:worker1", "stop:worker1", "install:worker1:18.09", "start:worker1",
                                     "activate:worker1", "wait"},
                                 model::EngineVersion{18, 9}, true);
    REQUIRE(p);
    plan = *p;
  }
};

std::size_t Count(const std::vector<std::string>& v, const std::string& x) {
  return static_cast<std::size_t>(std::count(v.begin(), v.end(), x));
}

}  // namespace

TEST_CASE("journal: one run at a time - a second open is refused, naming the holder", "[unit][safety][journal]") {
  TempDir dir;
  const std::string path = dir.path + "/up.journal";
  const executor::JournalKey key{"abc", 4, "sim", "sim"};
  auto first = executor::Journal::Open(path, key);
  REQUIRE(first);
  // From another process: the swarmplan program is refused, and told who.
  const auto r = RunSwarmplan("apply --subnet 10.0.0.0/26 --executor sim --gate-trials 2 --journal " + path);
  CHECK(r.status == 1);
  CHECK(r.err.find("another apply is running on this journal") != std::string::npos);
  CHECK(r.err.find("pid " + std::to_string(getpid())) != std::string::npos);
  // In this process (last: closing its descriptor drops the naming lock,
  // never the one that decides): a second open conflicts (open-file-description locks).
  auto second = executor::Journal::Open(path, key);
  REQUIRE_FALSE(second);
  CHECK(second.error().find("another apply is running on this journal") != std::string::npos);
  // The first holder's records were not touched by the refused run.
  REQUIRE(first->Record(0, "drain worker1"));
  CHECK(Slurp(path).find("done 0 drain worker1\n") != std::string::npos);
  // Released when the holder ends: the next open succeeds and sees step 0.
  first = std::unexpected(std::string("closed"));
  auto again = executor::Journal::Open(path, key);
  REQUIRE(again);
  CHECK(again->Done(0));
}

TEST_CASE("journal: a FIFO, a device or a directory is never a journal", "[unit][safety][journal]") {
  TempDir dir;
  const std::string fifo = dir.path + "/j.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  const executor::JournalKey key{"abc", 4, "sim", "sim"};
  auto f = executor::Journal::Open(fifo, key);  // must return, not wait for a writer
  REQUIRE_FALSE(f);
  CHECK(f.error().find("not a regular file") != std::string::npos);
  auto d = executor::Journal::Open("/dev/null", key);
  REQUIRE_FALSE(d);
  CHECK(d.error().find("not a regular file") != std::string::npos);
  auto dd = executor::Journal::Open(dir.path, key);
  REQUIRE_FALSE(dd);
  CHECK(dd.error().find("is a directory") != std::string::npos);
}

TEST_CASE("apply: a signal mid-step leaves it in doubt, the resume reads the node before it redoes, skips or stops",
          "[unit][safety][apply]") {
  Fixture fx;
  TempDir dir;
  executor::ApplyOptions opt;
  opt.gate_trials = 4;
  opt.journal = dir.path + "/up.journal";
  std::ostringstream log;
  // Interrupted during the install: apply stops there, the step in doubt.
  {
    FakeExecutor ex;
    ex.interrupt_on = "install worker1 18.09";
    auto r = executor::Apply(ex, fx.s, fx.plan, opt, log);
    executor::SetStopSignal(0);
    REQUIRE(r);
    CHECK(r->outcome == executor::ApplyOutcome::kInterrupted);
    CHECK(r->signal == SIGINT);
    CHECK(r->message.find("in doubt") != std::string::npos);
    CHECK(Count(ex.calls, "start worker1") == 0);  // no step after it started
    const std::string j = Slurp(opt.journal);
    CHECK(j.find("begin 2 ") != std::string::npos);
    CHECK(j.find("done 2 ") == std::string::npos);
    CHECK(j.find("done 1 ") != std::string::npos);
  }
  const std::string interrupted = Slurp(opt.journal);
  auto resume = [&](const executor::NodeSeen& seen, FakeExecutor& ex) {
    std::ofstream(opt.journal, std::ios::trunc) << interrupted;
    ex.node = seen;
    log.str("");
    return executor::Apply(ex, fx.s, fx.plan, opt, log);
  };
  executor::NodeSeen seen;
  seen.present = true;
  seen.availability = model::Availability::kDrain;
  SECTION("the node reports the new engine: the upgrade took effect, skipped") {
    FakeExecutor ex;
    seen.state = "down";
    seen.engine = model::EngineVersion{18, 9};
    auto r = resume(seen, ex);
    REQUIRE(r);
    CHECK(r->outcome == executor::ApplyOutcome::kDone);
    CHECK(Count(ex.calls, "install worker1 18.09") == 0);
    CHECK(Count(ex.calls, "drain worker1") == 0);  // finished steps are never repeated
    CHECK(Count(ex.calls, "start worker1") == 1);
    CHECK(log.str().find("skipping it") != std::string::npos);
  }
  SECTION("ready on its old engine: the upgrade did not happen, redone") {
    FakeExecutor ex;
    seen.state = "ready";
    seen.engine = model::EngineVersion{17, 6};
    auto r = resume(seen, ex);
    REQUIRE(r);
    CHECK(r->outcome == executor::ApplyOutcome::kDone);
    CHECK(Count(ex.calls, "install worker1 18.09") == 1);
    CHECK(log.str().find("redoing it") != std::string::npos);
  }
  SECTION("down on its old engine: the command may still run, the resume stops and says what to check") {
    FakeExecutor ex;
    seen.state = "down";
    seen.engine = model::EngineVersion{17, 6};
    auto r = resume(seen, ex);
    REQUIRE(r);
    CHECK(r->outcome == executor::ApplyOutcome::kStopped);
    CHECK(r->message.find("may still be running") != std::string::npos);
    CHECK(ex.calls.empty());
  }
  SECTION("a crash between the records (kill -9): the same as a signal") {
    // The journal as a killed run leaves it: the begin record, no done.
    FakeExecutor ex;
    seen.state = "ready";
    seen.engine = model::EngineVersion{17, 6};
    auto r = resume(seen, ex);
    REQUIRE(r);
    CHECK(Count(ex.calls, "install worker1 18.09") == 1);
    const std::string j = Slurp(opt.journal);
    CHECK(j.find("done 2 ") != std::string::npos);
  }
}

TEST_CASE("apply: a signal between steps starts no further step", "[unit][safety][apply]") {
  Fixture fx;
  FakeExecutor ex;
  executor::ApplyOptions opt;
  opt.gate_trials = 4;
  std::ostringstream log;
  executor::SetStopSignal(SIGTERM);
  auto r = executor::Apply(ex, fx.s, fx.plan, opt, log);
  executor::SetStopSignal(0);
  REQUIRE(r);
  CHECK(r->outcome == executor::ApplyOutcome::kInterrupted);
  CHECK(r->message.find("SIGTERM") != std::string::npos);
  CHECK(ex.calls.empty());
}

TEST_CASE("apply: a resumed rehearsal replays its journal on the simulator first", "[unit][safety][apply]") {
  TempDir dir;
  const std::string full = dir.path + "/full.journal", part = dir.path + "/part.journal";
  const std::string plan = "apply --subnet 10.0.0.0/26 --executor sim --gate-trials 8 --max-risk 0 ";
  const auto whole = RunSwarmplan(plan + "--journal " + full);
  REQUIRE(whole.status == 0);
  // The first half of the uninterrupted run's records: as if it stopped there.
  std::istringstream in(Slurp(full));
  std::string line, kept;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  REQUIRE(lines.size() > 10);
  std::size_t done = 0;
  for (std::size_t i = 0; i < lines.size() && done < (lines.size() - 1) / 4; ++i) {
    kept += lines[i] + "\n";
    done += lines[i].rfind("done ", 0) == 0;
  }
  std::ofstream(part) << kept;
  const auto resumed = RunSwarmplan(plan + "--journal " + part);
  INFO(resumed.err);
  CHECK(resumed.status == 0);
  CHECK(resumed.err.find("replaying step 1/") != std::string::npos);
  CHECK(resumed.err.find("swarmplan apply: done") != std::string::npos);
  CHECK(resumed.err.find("predicted risk") == std::string::npos);
}

TEST_CASE("apply --executor dry-run: every printed command is safe to paste", "[unit][safety][apply]") {
  TempDir dir;
  auto sc = model::ScenarioFromFile(std::string(SWARMPLAN_DATA) + "/default.json");
  REQUIRE(sc);
  const std::string evil = "$(touch " + dir.path + "/pwned)";
  sc->nodes[3].name = evil;
  sc->services[0].name = "svc;touch${IFS}" + dir.path + "/pwned2";
  sc->networks[0].subnet = *model::Ipv4Cidr::Parse("10.0.0.0/26");
  const std::string file = dir.path + "/evil scenario.json";
  std::ofstream(file) << model::ScenarioToJson(*sc).dump(2);
  const auto r = RunSwarmplan("apply '" + file + "' --order drain:'" + evil + "',scale:'" + sc->services[0].name +
                              "=20',wait");
  INFO(r.err);
  REQUIRE(r.status == 0);
  // Run each printed docker command with a `docker` that prints its arguments.
  const std::string bin = dir.path + "/bin";
  REQUIRE(::mkdir(bin.c_str(), 0755) == 0);
  std::ofstream(bin + "/docker") << "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> " << dir.path
                                 << "/args\n";
  ::chmod((bin + "/docker").c_str(), 0755);
  std::istringstream lines(r.out);
  std::string line;
  int run = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("docker ", 0) != 0) continue;
    const std::string script = dir.path + "/line.sh";
    std::ofstream(script) << line << "\n";
    CHECK(std::system(("PATH=" + bin + ":$PATH /bin/sh " + script).c_str()) == 0);
    ++run;
  }
  CHECK(run >= 2);
  CHECK_FALSE(std::ifstream(dir.path + "/pwned").good());
  CHECK_FALSE(std::ifstream(dir.path + "/pwned2").good());
  const std::string args = Slurp(dir.path + "/args");
  CHECK(args.find("\n" + evil + "\n") != std::string::npos);  // reached docker as one word
  CHECK(args.find(sc->services[0].name + "=20\n") != std::string::npos);
  // The plan's reproduce line quotes its path too.
  const auto p = RunSwarmplan("plan '" + file + "' --trials 2 --no-sensitivity --no-fixes");
  CHECK(p.out.find("swarmplan simulate '" + file + "'") != std::string::npos);
}

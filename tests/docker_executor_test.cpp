// executor/command and the docker executor: templates, the node commands and signals.
#include <catch2/catch.hpp>

#include "docker_fakes.hpp"

using namespace swarmplan;
using namespace swarmplan::executor;
using namespace swarmplan::docker;
using namespace swarmplan::testing;
using nlohmann::json;

TEST_CASE("command templates substitute quoted values and refuse typos", "[live][executor]") {
  auto e = ExpandTemplate("ssh {addr} upgrade {node} to {version}", "node 1", "10.0.0.7", "abc", "24.0");
  REQUIRE(e);
  CHECK(*e == "ssh '10.0.0.7' upgrade 'node 1' to '24.0'");
  auto q = ExpandTemplate("echo {node}", "it's", "", "", "");
  REQUIRE(q);
  CHECK(*q == "echo 'it'\\''s'");
  auto typo = ExpandTemplate("ssh {adress}", "n", "a", "i", "v");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().find("{adress}") != std::string::npos);
  CHECK_FALSE(ExpandTemplate("ssh {addr", "n", "a", "i", "v"));
  auto st = ExpandStackCommand("docker -H {host} stack deploy -c {file} {stack}", "my stack.yml", "web", "unix:///s");
  REQUIRE(st);
  CHECK(*st == "docker -H 'unix:///s' stack deploy -c 'my stack.yml' 'web'");
  auto wrong = ExpandStackCommand("deploy {node}", "f", "s", "h");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().find("--stack-command") != std::string::npos);
  CHECK(wrong.error().find("{node}") != std::string::npos);
}

TEST_CASE("docker executor: a signal reaches the running upgrade command's group, which gets a bounded time to end",
          "[live][executor][safety]") {
  const std::string info =
      R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":"c1"}}})";
  const std::string nodes =
      R"([{"ID":"n1","Description":{"Hostname":"worker1","Engine":{"EngineVersion":"20.10.24"}},)"
      R"("Status":{"State":"ready","Addr":"10.0.0.2"},"Spec":{"Role":"worker","Availability":"drain"}}])";
  FakeDaemon d({{"/version", {200, kVersion}}, {"/info", {200, info}}, {"/tasks", {200, "[]"}}, {"/nodes", {200, nodes}}});
  auto ep = DockerEndpoint::Resolve(d.host());
  REQUIRE(ep);
  const std::string dir = "/tmp/swarmplan-sig-" + std::to_string(getpid());
  std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
  DockerExecutorOptions opt;
  // The command and its background child both see the signal: the group
  // got it. (SIGTERM: a non-interactive shell starts background jobs with
  // SIGINT ignored, so only the foreground command could show SIGINT.)
  // The child's handler takes a while (0.3 s): the shell has ended by then,
  // and the grace still belongs to what is left of its group.
  opt.upgrade_command = "trap 'echo got-TERM > " + dir + "/sh; exit 7' TERM; (trap 'sleep 0.3; echo got-TERM > " + dir +
                        "/child; exit 0' TERM; sleep 30 & wait) & sleep 30 & wait; echo finished > " + dir + "/sh";
  opt.interrupt_grace = std::chrono::seconds(5);
  auto ex = DockerExecutor::Open(*ep, opt);
  REQUIRE(ex);
  auto seen = ex->ReadNode("worker1");
  REQUIRE(seen);
  CHECK(seen->present);
  CHECK(seen->state == "ready");
  CHECK(seen->availability == model::Availability::kDrain);
  REQUIRE(seen->engine);
  CHECK(*seen->engine == model::EngineVersion{20, 10});
  std::thread signaller([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    SetStopSignal(SIGTERM);
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = ex->InstallEngine("worker1", model::EngineVersion{24, 0});
  const auto took = std::chrono::steady_clock::now() - start;
  signaller.join();
  SetStopSignal(0);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("interrupted by SIGTERM") != std::string::npos);
  CHECK(r.error().find("exit status 7") != std::string::npos);
  CHECK(took < std::chrono::seconds(8));
  std::ifstream sh(dir + "/sh"), child(dir + "/child");
  std::string a, b;
  std::getline(sh, a);
  std::getline(child, b);
  CHECK(a == "got-TERM");
  CHECK(b == "got-TERM");
  std::system(("rm -rf " + dir).c_str());
}

namespace {
std::map<std::string, std::pair<int, std::string>> ManagerRoutes(const std::string& cluster, const std::string& availability) {
  const std::string info = R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":")" + cluster + R"("}}})";
  const std::string nodes =
      R"([{"ID":"n1","Description":{"Hostname":"worker1","Engine":{"EngineVersion":"20.10.24"}},)"
      R"("Status":{"State":"ready","Addr":"10.0.0.2"},"Spec":{"Role":"worker","Availability":")" + availability + R"("}}])";
  return {{"/version", {200, kVersion}}, {"/info", {200, info}}, {"/tasks", {200, "[]"}}, {"/nodes", {200, nodes}}};
}
}  // namespace

TEST_CASE("docker executor: when the manager stops answering, the next manager of the same swarm takes over",
          "[live][executor][faults]") {
  auto first = std::make_unique<FakeDaemon>(ManagerRoutes("c1", "active"));
  FakeDaemon stranger(ManagerRoutes("c2", "pause"));  // a manager of another swarm: never taken
  FakeDaemon second(ManagerRoutes("c1", "drain"));
  DockerExecutorOptions opt;
  opt.step_timeout = std::chrono::seconds(3);
  opt.poll = std::chrono::milliseconds(50);
  for (const FakeDaemon* d : {&stranger, &second}) {
    auto ep = DockerEndpoint::Resolve(d->host());
    REQUIRE(ep);
    opt.failover.push_back(*ep);
  }
  auto ep = DockerEndpoint::Resolve(first->host());
  REQUIRE(ep);
  auto ex = DockerExecutor::Open(*ep, opt);
  REQUIRE(ex);
  auto seen = ex->ReadNode("worker1");
  REQUIRE(seen);
  CHECK(seen->availability == model::Availability::kActive);  // through the first
  first.reset();  // its engine goes away
  seen = ex->ReadNode("worker1");
  REQUIRE(seen);
  CHECK(seen->availability == model::Availability::kDrain);  // through the second, not the stranger
}

namespace {
std::string NodeAt(int version, const char* state) {
  return std::string(R"([{"ID":"n1","Version":{"Index":)") + std::to_string(version) +
         R"(},"Description":{"Hostname":"worker1","Engine":{"EngineVersion":"20.10.24"}},"Status":{"State":")" + state +
         R"(","Addr":"10.0.0.2"},"Spec":{"Role":"worker","Availability":"drain"}}])";
}
// A fake manager showing worker1 drained and Ready at store version
// `version`, and the options of the start tests (a 2 s step, 50 ms polls).
struct OneWorker {
  explicit OneWorker(int version) : d(Routes(version)), ep(DockerEndpoint::Resolve(d.host()).value()) {
    opt.step_timeout = std::chrono::seconds(2);
    opt.poll = std::chrono::milliseconds(50);
  }
  static std::map<std::string, std::pair<int, std::string>> Routes(int version) {
    auto routes = ManagerRoutes("c1", "drain");
    routes["/nodes"] = {200, NodeAt(version, "ready")};
    return routes;
  }
  FakeDaemon d;
  DockerEndpoint ep;
  DockerExecutorOptions opt;
};
// The fake manager shows `node` from `ms` milliseconds on (a thread; join it).
std::thread ShowLater(FakeDaemon& d, int ms, std::string node) {
  return std::thread([&d, ms, node = std::move(node)] {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    d.Set("/nodes", 200, node);
  });
}
}  // namespace

TEST_CASE("docker executor: a stopped engine's node still shown ready from its old session has not come back",
          "[live][executor][faults]") {
  // A stopped engine's node stays Ready in the managers' store until its
  // heartbeat expires; the engine is back only in a session opened after
  // the stop, which writes the node (its store version moves).
  OneWorker w(14);
  {
    auto ex = DockerExecutor::Open(w.ep, w.opt);
    REQUIRE(ex);
    REQUIRE(ex->StopEngine("worker1"));
    auto r = ex->StartEngine("worker1");
    REQUIRE_FALSE(r);
    CHECK(r.error().find("worker1 has not come back") != std::string::npos);
    CHECK(r.error().find("session it had before its engine was stopped") != std::string::npos);
  }
  {
    auto ex = DockerExecutor::Open(w.ep, w.opt);
    REQUIRE(ex);
    REQUIRE(ex->StopEngine("worker1"));
    w.d.Set("/nodes", 200, NodeAt(15, "down"));  // the heartbeat expired
    std::thread back = ShowLater(w.d, 300, NodeAt(16, "ready"));  // a new session
    auto r = ex->StartEngine("worker1");
    back.join();
    CHECK(r);
  }
  {
    // Restarted before the heartbeat expired: never seen down, but its
    // new session moved its version.
    w.d.Set("/nodes", 200, NodeAt(20, "ready"));
    auto ex = DockerExecutor::Open(w.ep, w.opt);
    REQUIRE(ex);
    REQUIRE(ex->StopEngine("worker1"));
    w.d.Set("/nodes", 200, NodeAt(21, "ready"));
    CHECK(ex->StartEngine("worker1"));
  }
  {
    // A resumed run's start step (nothing read before the stop): Ready at
    // one version is taken as back only after longer than a stopped
    // engine's node can stay Ready; a version that moves says so sooner.
    w.opt.down_detect = std::chrono::milliseconds(2000);
    w.opt.step_timeout = std::chrono::seconds(5);
    auto ex = DockerExecutor::Open(w.ep, w.opt);
    REQUIRE(ex);
    auto start = std::chrono::steady_clock::now();
    CHECK(ex->StartEngine("worker1"));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(2000));
    std::thread back = ShowLater(w.d, 200, NodeAt(22, "ready"));
    start = std::chrono::steady_clock::now();
    CHECK(ex->StartEngine("worker1"));
    back.join();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));
    // Down when the resume begins, then back: its version moved.
    w.d.Set("/nodes", 200, NodeAt(23, "down"));
    std::thread up = ShowLater(w.d, 200, NodeAt(24, "ready"));
    start = std::chrono::steady_clock::now();
    CHECK(ex->StartEngine("worker1"));
    up.join();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));
  }
}

TEST_CASE("docker executor: memos for the journal - a resumed start knows the session before the stop",
          "[live][executor][faults][journal]") {
  OneWorker w(30);
  w.opt.down_detect = std::chrono::milliseconds(300);
  w.opt.upgrade_command = "true";
  {
    auto ex = DockerExecutor::Open(w.ep, w.opt);
    REQUIRE(ex);
    REQUIRE(ex->StopEngine("worker1"));
    REQUIRE(ex->InstallEngine("worker1", model::EngineVersion{20, 10}));
    CHECK(ex->TakeMemos() == std::vector<std::string>{"session 30 worker1", "installed 20.10 worker1"});
    CHECK(ex->TakeMemos().empty());  // taken once
  }
  {
    // The run that stopped the engine died; the resume recalls its memos.
    // The node still shows the old session: not back within the step's
    // time-out when that is shorter than down_detect.
    DockerExecutorOptions strict = w.opt;
    strict.down_detect = std::chrono::seconds(17);
    auto ex = DockerExecutor::Open(w.ep, strict);
    REQUIRE(ex);
    REQUIRE(ex->Recall("session 30 worker1"));
    REQUIRE(ex->Recall("installed 20.10 worker1"));
    auto r = ex->StartEngine("worker1");
    REQUIRE_FALSE(r);
    CHECK(r.error().find("has not come back") != std::string::npos);
    // A new session: back at once (without the memo the resume would wait
    // down_detect), and the memo says so.
    w.d.Set("/nodes", 200, NodeAt(31, "ready"));
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(ex->StartEngine("worker1"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));
    CHECK(ex->TakeMemos() == std::vector<std::string>{"back worker1"});
  }
  {
    // An engine that never stopped (an "upgrade" to the version it had)
    // keeps its session: back once it stayed Ready longer than a stopped
    // engine's node can.
    w.d.Set("/nodes", 200, NodeAt(40, "ready"));
    auto ex = DockerExecutor::Open(w.ep, w.opt);
    REQUIRE(ex);
    REQUIRE(ex->StopEngine("worker1"));
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(ex->StartEngine("worker1"));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  }
  {
    // Recalled in order: a node started again after "back" has no baseline.
    auto ex = DockerExecutor::Open(w.ep, w.opt);
    REQUIRE(ex);
    REQUIRE(ex->Recall("session 30 worker1"));
    REQUIRE(ex->Recall("back worker1"));
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(ex->StartEngine("worker1"));  // the resumed path: Ready past down_detect
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
    for (const char* bad : {"session", "session 12", "session x worker1", "installed 99 worker1", "installed", "back",
                            "forget worker1"}) {
      INFO(bad);
      auto r = ex->Recall(bad);
      REQUIRE_FALSE(r);
      CHECK(r.error().find("cannot read") != std::string::npos);
    }
  }
}

TEST_CASE("docker executor: a manager that does not answer at the start is passed over, and none is an error",
          "[live][executor][faults]") {
  FakeDaemon live(ManagerRoutes("c1", "drain"));
  auto dead = DockerEndpoint::Resolve("unix:///tmp/swarmplan-no-such-manager-" + std::to_string(getpid()) + ".sock");
  auto up = DockerEndpoint::Resolve(live.host());
  REQUIRE(dead);
  REQUIRE(up);
  DockerExecutorOptions opt;
  opt.failover = {*up};
  auto ex = DockerExecutor::Open(*dead, opt);
  REQUIRE(ex);
  auto seen = ex->ReadNode("worker1");
  REQUIRE(seen);
  CHECK(seen->availability == model::Availability::kDrain);
  DockerExecutorOptions none;
  none.failover = {*dead};
  auto nothing = DockerExecutor::Open(*dead, none);
  REQUIRE_FALSE(nothing);
  CHECK(nothing.error().find("swarmplan-no-such-manager") != std::string::npos);
}

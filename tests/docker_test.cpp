// The Engine API side without a daemon: endpoint resolution, the client's
// errors against a fake daemon on a unix socket, and the import/usage
// conversion on answers recorded from a real 3-node swarm (dockerd 20.10,
// tests/data/engine-api/, recorded with tests/realswarm/swarm.sh).
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include "docker/import.hpp"
#include "docker/usage.hpp"
#include "executor/docker_executor.hpp"
#include "executor/interrupt.hpp"
#include "model/operator.hpp"
#include "model/swarm.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"
#include "model/scenario_json.hpp"

using namespace swarmplan;
using namespace swarmplan::executor;
using namespace swarmplan::docker;
using nlohmann::json;

namespace {

json Load(const std::string& name) {
  std::ifstream f(std::string(SWARMPLAN_TESTDATA) + "/engine-api/" + name + ".json");
  REQUIRE(f.good());
  return json::parse(f);
}

ApiState Recorded() {
  ApiState st;
  st.info = Load("info");
  st.nodes = Load("nodes");
  st.networks = Load("networks");
  st.services = Load("services");
  st.tasks = Load("tasks");
  return st;
}

// Sets (or with nullptr unsets) an environment variable for one scope.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~EnvVar() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A fake daemon: answers GET paths (the query string ignored) with canned
// JSON, one request per connection; `silent` accepts and never answers.
class FakeDaemon {
 public:
  FakeDaemon(std::map<std::string, std::pair<int, std::string>> routes, bool silent = false, bool tcp = false)
      : routes_(std::move(routes)), silent_(silent) {
    if (tcp) {
      fd_ = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
      socklen_t len = sizeof a;
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      host_ = "tcp://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    } else {
      path_ = "/tmp/swarmplan-fake-" + std::to_string(getpid()) + "-" + std::to_string(counter_++) + ".sock";
      unlink(path_.c_str());
      fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
      REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
      host_ = "unix://" + path_;
    }
    REQUIRE(listen(fd_, 8) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDaemon() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& host() const { return host_; }

 private:
  void Serve() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[2048];
      while (req.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      if (silent_) {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        close(c);
        return;
      }
      std::string path = req.substr(req.find(' ') + 1);
      path = path.substr(0, path.find(' '));
      path = path.substr(0, path.find('?'));
      if (path.rfind("/v1.", 0) == 0) path = path.substr(path.find('/', 1));
      auto it = routes_.find(path);
      const int status = it == routes_.end() ? 404 : it->second.first;
      const std::string body = it == routes_.end() ? R"({"message":"page not found"})" : it->second.second;
      std::ostringstream out;
      out << "HTTP/1.1 " << status << " X\r\nContent-Type: application/json\r\nContent-Length: " << body.size()
          << "\r\nConnection: close\r\n\r\n" << body;
      const std::string text = out.str();
      (void)!write(c, text.data(), text.size());
      close(c);
    }
  }
  static inline std::atomic<int> counter_{0};
  std::map<std::string, std::pair<int, std::string>> routes_;
  bool silent_;
  std::string path_, host_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

const std::string kVersion = R"({"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12"})";

std::string ConnectError(const std::string& host, DockerApi::Options opt = {}) {
  auto ep = DockerEndpoint::Resolve(host);
  REQUIRE(ep);
  auto api = DockerApi::Connect(*ep, opt);
  if (!api) return api.error();
  auto m = api->RequireManager();
  return m ? std::string() : m.error();
}

}  // namespace

TEST_CASE("the daemon is found as the docker CLI finds it", "[live]") {
  EnvVar h("DOCKER_HOST", nullptr), v("DOCKER_TLS_VERIFY", nullptr), t("DOCKER_TLS", nullptr), c("DOCKER_CERT_PATH", nullptr);
  auto def = DockerEndpoint::Resolve("");
  REQUIRE(def);
  CHECK(def->socket == "/var/run/docker.sock");
  {
    EnvVar env_host("DOCKER_HOST", "tcp://10.1.2.3");
    auto e = DockerEndpoint::Resolve("");
    REQUIRE(e);
    CHECK(e->base_url == "http://10.1.2.3:2375");
    auto flag = DockerEndpoint::Resolve("unix:///run/x.sock");  // --host wins over DOCKER_HOST
    REQUIRE(flag);
    CHECK(flag->socket == "/run/x.sock");
  }
  {
    const std::string dir = "/tmp/swarmplan-certs-" + std::to_string(getpid());
    std::system(("mkdir -p " + dir).c_str());
    EnvVar tls("DOCKER_TLS_VERIFY", "1"), path("DOCKER_CERT_PATH", dir.c_str());
    auto missing = DockerEndpoint::Resolve("tcp://swarm.example:2376");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().find(dir + "/cert.pem") != std::string::npos);
    for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) std::ofstream(dir + "/" + f) << "not a certificate\n";
    auto ok = DockerEndpoint::Resolve("tcp://swarm.example");
    REQUIRE(ok);
    CHECK(ok->base_url == "https://swarm.example:2376");
    CHECK(ok->verify);
    CHECK(ok->ca == dir + "/ca.pem");
    std::system(("rm -rf " + dir).c_str());
  }
  for (const char* bad : {"ssh://me@host", "unix://relative.sock", "tcp://host:99999", "tcp://host:x", "http://host"}) {
    INFO(bad);
    auto e = DockerEndpoint::Resolve(bad);
    REQUIRE_FALSE(e);
    CHECK(e.error().find(bad) != std::string::npos);  // the error names what was given
  }
}

TEST_CASE("the client says clearly why a daemon cannot be used", "[live]") {
  CHECK(ConnectError("unix:///tmp/swarmplan-no-such.sock").find("cannot reach the Docker daemon") != std::string::npos);
  {
    FakeDaemon old({{"/version", {200, R"({"Version":"1.13.1","ApiVersion":"1.26"})"}}});
    const std::string e = ConnectError(old.host());
    CHECK(e.find("speaks API 1.26") != std::string::npos);
    CHECK(e.find("needs API 1.30") != std::string::npos);
  }
  {
    FakeDaemon plain({{"/version", {200, kVersion}},
                      {"/info", {200, R"({"Swarm":{"LocalNodeState":"inactive","ControlAvailable":false}})"}}});
    CHECK(ConnectError(plain.host()).find("is not in a swarm") != std::string::npos);
  }
  {
    FakeDaemon worker({{"/version", {200, kVersion}},
                       {"/info", {200, R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":false}})"}}});
    CHECK(ConnectError(worker.host()).find("is a swarm worker, not a manager") != std::string::npos);
  }
  {
    FakeDaemon manager({{"/version", {200, kVersion}},
                        {"/info", {200, R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":true}})"}},
                        {"/nodes", {503, R"({"message":"rpc error: code = Unknown desc = The swarm does not have a leader."})"}}});
    CHECK(ConnectError(manager.host()).empty());
    auto ep = DockerEndpoint::Resolve(manager.host());
    auto api = DockerApi::Connect(*ep);
    REQUIRE(api);
    auto nodes = api->GetOr("/nodes");
    REQUIRE_FALSE(nodes);
    CHECK(nodes.error().find("does not have a leader") != std::string::npos);
  }
  {
    FakeDaemon junk({{"/version", {200, "<html>hello</html>"}}});
    CHECK(ConnectError(junk.host()).find("not JSON") != std::string::npos);
  }
  {
    FakeDaemon silent({}, true);
    DockerApi::Options quick;
    quick.timeout = std::chrono::milliseconds(300);
    CHECK(ConnectError(silent.host(), quick).find("did not answer in time") != std::string::npos);
  }
}

TEST_CASE("TLS failures are reported as such", "[live]") {
  // A plain-HTTP fake daemon on TCP, reached with TLS on and a bogus client
  // certificate: the handshake cannot succeed.
  FakeDaemon plain({{"/version", {200, kVersion}}}, false, true);
  const std::string dir = "/tmp/swarmplan-certs-tls-" + std::to_string(getpid());
  std::system(("mkdir -p " + dir).c_str());
  for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) std::ofstream(dir + "/" + f) << "not a certificate\n";
  EnvVar tls("DOCKER_TLS_VERIFY", "1"), path("DOCKER_CERT_PATH", dir.c_str()), t("DOCKER_TLS", nullptr);
  const std::string e = ConnectError(plain.host());
  CHECK(e.find("TLS with the Docker daemon at " + plain.host() + " failed") != std::string::npos);
  {
    // Without TLS the same daemon answers.
    EnvVar off("DOCKER_TLS_VERIFY", nullptr);
    auto ep = DockerEndpoint::Resolve(plain.host());
    REQUIRE(ep);
    CHECK(DockerApi::Connect(*ep));
  }
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("a recorded 3-node swarm imports as a scenario plan accepts", "[live][import]") {
  auto imp = ImportScenario(Recorded());
  REQUIRE(imp);
  const model::Scenario& s = imp->scenario;
  REQUIRE(s.Validate());
  REQUIRE(s.nodes.size() == 3);
  CHECK(s.nodes[0].name == "node1");  // managers first
  CHECK(s.nodes[0].role == model::Role::kManager);
  CHECK(s.leader == "node1");
  for (const auto& n : s.nodes) CHECK(n.engine == model::EngineVersion{20, 10});
  CHECK(s.nodes[2].labels.at("zone") == "a");
  REQUIRE(s.ingress);
  CHECK(s.ingress->ToString() == "10.0.0.0/24");
  REQUIRE(s.networks.size() == 2);
  std::map<std::string, const model::ServiceSpec*> svc;
  for (const auto& v : s.services) svc[v.name] = &v;
  REQUIRE(svc.size() == 3);
  CHECK(svc["ex"]->replicas == 6);
  CHECK(svc["ex"]->stop_grace_period == sim::Sec(1));
  CHECK(svc["web"]->mode == model::ServiceMode::kGlobal);
  CHECK(svc["web"]->publish_ingress);
  REQUIRE(svc["web"]->constraints.size() == 1);
  CHECK(svc["web"]->constraints[0].text == "node.role==worker");
  CHECK(svc["dns"]->endpoint_mode == model::EndpointMode::kDnsrr);
  CHECK(svc["dns"]->networks.size() == 2);
  CHECK(svc["dns"]->reserve_memory_bytes == 64LL * 1024 * 1024);
  CHECK(svc["dns"]->restart_condition == model::RestartCondition::kOnFailure);
  // What the containers run, as a Compose redeploy compares it.
  REQUIRE(svc["web"]->container);
  CHECK(*svc["web"]->container == model::ContainerSpec{.image = "local/bb:1", .args = {"httpd", "-f", "-p", "80"}});
  // Live tasks: 6 ex + 2 dns + 2 web, each with its node and address.
  std::map<std::string, int> per_service;
  for (const auto& t : s.tasks) {
    ++per_service[t.service];
    CHECK(t.state == model::TaskState::kRunning);
    CHECK_FALSE(t.node.empty());
    CHECK_FALSE(t.addresses.empty());
  }
  CHECK(per_service == std::map<std::string, int>{{"dns", 2}, {"ex", 6}, {"web", 2}});

  // The JSON round trip is exact, so `swarmplan import -o f; swarmplan plan f` plans this.
  auto back = model::ScenarioFromJson(model::ScenarioToJson(s).dump(), "round trip");
  REQUIRE(back);
  CHECK(model::ScenarioToJson(*back) == model::ScenarioToJson(s));
}

TEST_CASE("the simulated cluster starts from the imported placement", "[live][import]") {
  auto imp = ImportScenario(Recorded());
  REQUIRE(imp);
  model::Scenario s = imp->scenario;
  std::map<std::string, int> real;  // node -> ex tasks
  for (const auto& t : s.tasks) {
    if (t.service == "ex") ++real[t.node];
  }
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    model::Swarm w(s, seed);
    model::Operator op(w);
    w.Deploy();
    REQUIRE(op.WaitConverged(s.timings.settle));
    std::map<std::string, int> sim;
    for (const auto& t : w.tasks) {
      if (t.state == model::TaskState::kRunning && w.services[t.service].spec.name == "ex") ++sim[w.NodeName(t.node)];
    }
    INFO("seed " << seed);
    CHECK(sim == real);
  }
  // Without the tasks the scheduler spreads evenly instead (2 per node),
  // which is not what the recorded cluster had.
  CHECK(real != std::map<std::string, int>{{"node1", 2}, {"node2", 2}, {"node3", 2}});
}

TEST_CASE("usage counts each overlay's addresses from the API", "[live][usage]") {
  auto usage = CountUsage(Recorded());
  REQUIRE(usage);
  std::map<std::string, NetworkUsage> by;
  for (const auto& u : *usage) by[u.name] = u;
  // What the three daemons held when the answers were recorded (each
  // daemon's `docker network inspect`): exnet 8 task endpoints + lb-exnet on
  // all 3 nodes; webnet 4 + 3; ingress 2 task endpoints + 3 ingress-sbox.
  CHECK(by["exnet"].capacity == 32);
  CHECK(by["exnet"].vips == 1);  // ex; dns is dnsrr
  CHECK(by["exnet"].task_addresses == 8);
  CHECK(by["exnet"].node_lb == 3);
  CHECK(by["exnet"].in_use() == 3 + 1 + 8 + 3);
  CHECK(by["exnet"].free() == 32 - 15);
  CHECK(by["webnet"].vips == 1);
  CHECK(by["webnet"].task_addresses == 4);
  CHECK(by["webnet"].node_lb == 3);
  CHECK(by["ingress"].ingress);
  CHECK(by["ingress"].vips == 1);
  CHECK(by["ingress"].task_addresses == 2);
  CHECK(by["ingress"].node_lb == 3);
}

TEST_CASE("odd API answers are errors naming the object, not crashes", "[live][import]") {
  ApiState st = Recorded();
  SECTION("a node on an unknown engine") {
    st.nodes[0]["Description"]["Engine"]["EngineVersion"] = "banana";
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    CHECK(imp.error().find("banana") != std::string::npos);
  }
  SECTION("a field of the wrong type") {
    st.services[0]["Spec"]["Name"] = 42;
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    CHECK(imp.error().find("unexpected answer from the Engine API") != std::string::npos);
  }
  SECTION("not a list") {
    st.tasks = json::object();
    REQUIRE_FALSE(ImportScenario(st));
    REQUIRE(CountUsage(st));  // usage reads tasks as a list of none
  }
  SECTION("an overlay with two subnets") {
    for (auto& n : st.networks) {
      if (n["Name"] == "exnet") n["IPAM"]["Config"].push_back({{"Subnet", "10.99.0.0/24"}});
    }
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    CHECK(imp.error().find("exnet") != std::string::npos);
  }
  SECTION("a service on a network that is not an overlay keeps its overlays, with a note") {
    st.services[0]["Spec"]["TaskTemplate"]["Networks"].push_back({{"Target", "host"}});
    auto imp = ImportScenario(st);
    REQUIRE(imp);
    bool noted = false;
    for (const auto& n : imp->notes) noted = noted || n.find("not a swarm overlay network") != std::string::npos;
    CHECK(noted);
  }
  SECTION("a node that is down is kept, marked down, and left out of the default plan") {
    for (auto& n : st.nodes) {
      if (n["Description"]["Hostname"] == "node3") n["Status"]["State"] = "down";
    }
    auto imp = ImportScenario(st);
    REQUIRE(imp);
    CHECK(imp->scenario.nodes[2].down);
    CHECK_FALSE(imp->notes.empty());
    const auto plan = planner::DefaultPlan(imp->scenario, model::EngineVersion{20, 10});
    for (const auto& step : plan.steps) CHECK(step.node != 2);
    CHECK(planner::CheckPlan(imp->scenario, plan));
    const auto trial = planner::RunTrial(imp->scenario, plan, 7, {});
    CHECK_FALSE(trial.plan_failed);
    CHECK(trial.converged);
    auto forced = planner::ParseOrder(imp->scenario, {"node3"}, model::EngineVersion{20, 10}, true);
    REQUIRE(forced);
    const auto refused = planner::CheckPlan(imp->scenario, *forced);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().find("the node is down") != std::string::npos);
  }
}

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

TEST_CASE("scenario tasks, held addresses and node state are checked", "[live][scenario]") {
  auto imp = ImportScenario(Recorded());
  REQUIRE(imp);
  const json base = model::ScenarioToJson(imp->scenario);
  auto err = [&](auto edit) {
    json j = base;
    edit(j);
    auto s = model::ScenarioFromJson(j.dump(), "t.json");
    return s ? std::string() : s.error();
  };
  CHECK(err([](json& j) { j["tasks"][0]["service"] = "nope"; }).find("/tasks/0/service") != std::string::npos);
  CHECK(err([](json& j) { j["tasks"][0]["state"] = "shutdown"; }).find("not a live task state") != std::string::npos);
  CHECK(err([](json& j) { j["tasks"][0]["node"] = "node9"; }).find("/tasks/0/node") != std::string::npos);
  CHECK(err([](json& j) { j["networks"][0]["held"] = {"10.99.0.5"}; }).find("outside") != std::string::npos);
  CHECK(err([](json& j) { j["networks"][0]["held"] = {j["networks"][0]["subnet"].get<std::string>().substr(0, 6) + "0.1"}; })
            .find("/networks/0/held/0") != std::string::npos);
  CHECK(err([](json& j) { j["nodes"][0]["state"] = "down"; }).find("managers are down") != std::string::npos);
  CHECK(err([](json& j) { j["nodes"][1]["state"] = "sleepy"; }).find("/nodes/1/state") != std::string::npos);
}

TEST_CASE("import reads update configs, a previous spec and recent failures", "[live][import][updater]") {
  ApiState st = Recorded();
  auto base = ImportScenario(st);  // the recorded history has failures of its own
  REQUIRE(base);
  // Two tasks of the first task's service failed on its node 30 s before
  // the daemon's clock, one 10 minutes before (outside the 5-minute window).
  json failed = st.tasks[0];
  failed["Status"] = {{"State", "rejected"}, {"Timestamp", "2026-11-27T22:23:50.5Z"}};
  st.tasks.push_back(failed);
  failed["Status"]["State"] = "failed";
  st.tasks.push_back(failed);
  failed["Status"]["Timestamp"] = "2026-11-27T22:14:20Z";
  st.tasks.push_back(failed);
  std::string name;
  for (json& v : st.services) {
    if (v["ID"] != st.tasks[0]["ServiceID"]) continue;
    name = v["Spec"]["Name"].get<std::string>();
    v["Spec"]["UpdateConfig"] = {{"Parallelism", 2}, {"Delay", 3'000'000'000LL}, {"Order", "start-first"},
                                 {"FailureAction", "rollback"}, {"MaxFailureRatio", 0.5}};
    v["PreviousSpec"] = v["Spec"];
  }
  REQUIRE_FALSE(name.empty());
  auto imp = ImportScenario(st);
  REQUIRE(imp);
  const model::Scenario& s = imp->scenario;
  REQUIRE(s.Validate());
  std::uint32_t before_count = 0, after_count = 0, total_before = 0, total_after = 0;
  for (const auto& v : base->scenario.services) {
    for (const auto& [n, c] : v.recent_failures) total_before += c;
  }
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    const auto& v = s.services[i];
    for (const auto& [n, c] : v.recent_failures) total_after += c;
    if (v.name != name) {
      CHECK(v.update == base->scenario.services[i].update);
      CHECK_FALSE(v.previous_spec);
      continue;
    }
    for (const auto& [n, c] : base->scenario.services[i].recent_failures) before_count += c;
    for (const auto& [n, c] : v.recent_failures) after_count += c;
    CHECK(v.update.parallelism == 2);
    CHECK(v.update.delay == sim::Sec(3));
    CHECK(v.update.order == model::UpdateOrder::kStartFirst);
    CHECK(v.update.failure_action == model::FailureAction::kRollback);
    CHECK(v.update.max_failure_ratio == Approx(0.5));
    CHECK(v.update.monitor == sim::Sec(5));  // left out: swarmkit's default
    CHECK(v.previous_spec);
  }
  CHECK(after_count == before_count + 2);
  CHECK(total_after == total_before + 2);
  // The model starts with those failures (they expire with the window).
  model::Swarm w(s, 1);
  std::uint32_t counted = 0;
  for (const auto& v : w.services) {
    for (const auto& [n, times] : v.failures) counted += static_cast<std::uint32_t>(times.size());
  }
  CHECK(counted == total_after);
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
  opt.upgrade_command = "trap 'echo got-TERM > " + dir + "/sh; exit 7' TERM; (trap 'echo got-TERM > " + dir +
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
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::ifstream sh(dir + "/sh"), child(dir + "/child");
  std::string a, b;
  std::getline(sh, a);
  std::getline(child, b);
  CHECK(a == "got-TERM");
  CHECK(b == "got-TERM");
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("IDs from answers are percent-encoded into URLs: an answer never names another endpoint", "[live][safety]") {
  CHECK(docker::UrlEncode("../../containers/json") == "..%2F..%2Fcontainers%2Fjson");
  CHECK(docker::UrlEncode("..") == "%2E%2E");
  CHECK(docker::UrlEncode(".") == "%2E");
  CHECK(docker::UrlEncode("abc123XYZ-_.~") == "abc123XYZ-_.~");
  CHECK(docker::UrlEncode("a b?c#d&e=f%") == "a%20b%3Fc%23d%26e%3Df%25");
  // A network ID that walks up the path reaches the fake daemon encoded, so
  // it is not found there: /containers/json, which would answer, is never asked.
  const std::string nets = R"([{"Id":"../../containers/json","Name":"n","Driver":"overlay","Scope":"swarm"}])";
  const std::string info = R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":"c1"}}})";
  FakeDaemon d({{"/version", {200, kVersion}}, {"/info", {200, info}}, {"/nodes", {200, "[]"}}, {"/networks", {200, nets}},
                {"/services", {200, "[]"}}, {"/tasks", {200, "[]"}}, {"/containers/json", {200, R"({"Peers":["leak"]})"}}});
  auto st = docker::FetchLive(d.host());
  REQUIRE_FALSE(st);  // the encoded path is not found: an error, never another endpoint's answer
  CHECK(st.error().find("leak") == std::string::npos);
}

TEST_CASE("API answers: a wrong type names the object and the member; odd values are refused, never dropped",
          "[live][import][safety]") {
  auto expect = [](ApiState st, const std::string& a, const std::string& b) {
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    INFO(imp.error());
    CHECK(imp.error().find("[json.exception") == std::string::npos);
    CHECK(imp.error().find(a) != std::string::npos);
    CHECK(imp.error().find(b) != std::string::npos);
  };
  const std::string svc_id = Recorded().services[0]["ID"].get<std::string>();
  const std::string task_id = Recorded().tasks[0]["ID"].get<std::string>();
  const std::string node_id = Recorded().nodes[0]["ID"].get<std::string>();
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["Name"] = 42;
    expect(st, "service " + svc_id, "member \"Name\" is a number, not a string");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["Mode"] = {{"Replicated", {{"Replicas", "3"}}}};
    expect(st, "service " + svc_id + " (web)", "member \"Replicas\" is a string, not a whole number");
  }
  {
    ApiState st = Recorded();
    st.nodes[0]["Description"]["Resources"]["NanoCPUs"] = -4000000000;
    expect(st, "node " + node_id, "\"NanoCPUs\" is -4000000000, outside 0");
  }
  {
    ApiState st = Recorded();
    st.nodes[0]["ManagerStatus"]["Leader"] = "yes";
    expect(st, "node " + node_id, "member \"Leader\" is a string, not a boolean");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["Mode"] = {{"Replicated", {{"Replicas", 4294967297ULL}}}};
    expect(st, "service " + svc_id, "\"Replicas\" is 4294967297, outside 0 to 4294967295");
  }
  {
    // Within 2^32 but beyond what a scenario holds: import refuses what plan would.
    ApiState st = Recorded();
    bool set = false;
    for (auto& v : st.services) {
      if (!set && v["Spec"]["Mode"].contains("Replicated")) {
        v["Spec"]["Mode"]["Replicated"]["Replicas"] = 2000000;
        set = true;
      }
    }
    REQUIRE(set);
    expect(st, "cannot plan", "replicas");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["TaskTemplate"]["RestartPolicy"]["Delay"] = -5;
    expect(st, "service " + svc_id, "\"Delay\" is -5");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = -1;
    expect(st, "service " + svc_id, "\"StopGracePeriod\" is -1");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["TaskTemplate"]["Resources"]["Reservations"]["NanoCPUs"] = -1;
    expect(st, "service " + svc_id, "\"NanoCPUs\" is -1");
  }
  {
    ApiState st = Recorded();
    st.tasks[0].erase("Status");
    expect(st, "task " + task_id, "no Status.State");
  }
  {
    ApiState st = Recorded();
    st.tasks[0]["Spec"]["ContainerSpec"]["Args"] = {1, 2};
    st.services[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] = {"A=1", 7};
    expect(st, "service " + svc_id, "member \"Env\" is a number, not a list of strings");
  }
  {
    // Two live tasks with one address: refused, as a scenario with it is.
    ApiState st = Recorded();
    int live = 0;
    std::string first;
    for (auto& t : st.tasks) {
      if (t["Status"]["State"] != "running" || t["NetworksAttachments"].empty()) continue;
      auto& a = t["NetworksAttachments"][0]["Addresses"][0];
      if (live++ == 0) first = a.get<std::string>();
      else a = first;
    }
    REQUIRE(live >= 2);
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    INFO(imp.error());
    CHECK(imp.error().find(first.substr(0, first.find('/'))) != std::string::npos);
  }
}

TEST_CASE("import reads a manager within one overall deadline", "[live][import][safety]") {
  const std::string info = R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":"c1"}}})";
  FakeDaemon d({{"/version", {200, kVersion}}, {"/info", {200, info}}, {"/nodes", {200, "[]"}}, {"/networks", {200, "[]"}},
                {"/services", {200, "[]"}}, {"/tasks", {200, "[]"}}});
  auto ep = DockerEndpoint::Resolve(d.host());
  REQUIRE(ep);
  auto api = DockerApi::Connect(*ep);
  REQUIRE(api);
  auto late = docker::FetchState(*api, std::chrono::seconds(0));
  REQUIRE_FALSE(late);
  CHECK(late.error().find("answers too slowly") != std::string::npos);
  CHECK(late.error().find("over 0 s in all") != std::string::npos);
  auto api2 = DockerApi::Connect(*ep);
  REQUIRE(api2);
  CHECK(docker::FetchState(*api2));  // the default deadline: a prompt manager is read whole
}

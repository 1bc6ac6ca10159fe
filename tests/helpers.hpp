// Small builders shared by the tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "model/operator.hpp"
#include "model/scenario.hpp"
#include "model/swarm.hpp"

namespace swarmplan::testing {

// `managers` + `workers` nodes on `engine`, one overlay `net` on `subnet`,
// one replicated service `svc` with `replicas` on it.
inline model::Scenario Cluster(int managers, int workers, const char* engine, const char* subnet, unsigned replicas) {
  model::Scenario s;
  s.name = "test";
  const auto v = *model::EngineVersion::Parse(engine);
  for (int i = 0; i < managers + workers; ++i) {
    model::NodeSpec n;
    n.role = i < managers ? model::Role::kManager : model::Role::kWorker;
    n.name = i < managers ? "m" + std::to_string(i + 1) : "w" + std::to_string(i - managers + 1);
    n.engine = v;
    s.nodes.push_back(n);
  }
  s.ingress = *model::Ipv4Cidr::Parse("10.255.0.0/16");
  s.networks.push_back({"net", *model::Ipv4Cidr::Parse(subnet), {}});
  model::ServiceSpec svc;
  svc.name = "svc";
  svc.replicas = replicas;
  svc.networks = {"net"};
  s.services.push_back(svc);
  return s;
}

// The swarm of tests/realswarm/swarm.sh as the model sees it: nodes node1..,
// dockerd 20.10, ingress on 10.0.0.0/24, service "ex" of busybox `sleep`
// (ignores SIGTERM, so each task takes its 2 s stop grace period) on
// overlay "exnet".
inline model::Scenario HarnessScenario(int managers, int workers, const char* subnet, unsigned replicas) {
  model::Scenario s = Cluster(managers, workers, "20.10", subnet, replicas);
  s.ingress = *model::Ipv4Cidr::Parse("10.0.0.0/24");
  for (int i = 0; i < managers + workers; ++i) s.nodes[static_cast<std::size_t>(i)].name = "node" + std::to_string(i + 1);
  s.services[0].name = "ex";
  s.networks[0].name = "exnet";
  s.services[0].networks = {"exnet"};
  s.services[0].stop_grace_period = sim::Sec(2);
  s.services[0].exits_on_sigterm = false;
  return s;
}

// 3 managers + 1 worker on 20.10, a /27 holding global `g` (4 tasks) and
// replicated `svc` (18): 3 reserved + 2 VIPs + 22 tasks + 4 node LB = 31,
// one address left; worker w2 (node 4) defined but not in the swarm.
inline model::Scenario GlobalFullWithSpare() {
  model::Scenario s = Cluster(3, 2, "20.10", "10.1.0.0/27", 18);
  s.nodes[4].joined = false;
  model::ServiceSpec g;
  g.name = "g";
  g.mode = model::ServiceMode::kGlobal;
  g.networks = {"net"};
  s.services.push_back(g);
  return s;
}

// A swarm deployed and converged, with its operator.
struct Deployed {
  model::Swarm w;
  model::Operator op;
  Deployed(const model::Scenario& s, std::uint64_t seed) : w(s, seed), op(w) {
    w.Deploy();
    REQUIRE(op.WaitConverged());
  }
};

// The whole content of a file ("" if it cannot be read).
inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory under the system's temporary one, removed with
// everything in it when the test leaves its scope.
struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "swarmplan-test-XXXXXX").string();
    path = mkdtemp(t.data()) ? t : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Tasks of service 0 in `state` on node `n` (kNoId: any node).
// Seconds as simulated time.
inline sim::Time S(double s) { return static_cast<sim::Time>(s * sim::kSecond); }

// Live tasks (desired running) on each node.
inline std::vector<int> PerNode(const model::Swarm& w) {
  std::vector<int> c(w.nodes.size(), 0);
  for (const auto& t : w.tasks) {
    if (!model::IsTerminal(t.state) && t.node != model::kNoId && t.desired <= model::TaskState::kRunning) ++c[t.node];
  }
  return c;
}

inline int Count(const model::Swarm& w, model::TaskState state, model::NodeId n = model::kNoId) {
  int c = 0;
  for (const auto& t : w.tasks) c += t.state == state && (n == model::kNoId || t.node == n);
  return c;
}

}  // namespace swarmplan::testing

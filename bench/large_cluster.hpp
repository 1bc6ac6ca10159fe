// The large-cluster workload of issue 27: 3 managers and N-3 workers on
// 20.10 upgrading to 24.0 by the default procedure; 20 replicated services
// of N/2 tasks each over 10 overlay networks (two services a network, each
// a /16); nothing else. `large_cluster N` prints it as a scenario file (to
// time `swarmplan plan` as a whole command); BM_PlanLargeCluster runs the
// default plan's pipeline on it.
#pragma once

#include <string>

#include "model/scenario.hpp"

namespace swarmplan::bench {

inline model::Scenario LargeCluster(int nodes) {
  model::Scenario s;
  s.name = "large-" + std::to_string(nodes);
  const auto from = *model::EngineVersion::Parse("20.10");
  for (int i = 0; i < nodes; ++i) {
    model::NodeSpec n;
    n.role = i < 3 ? model::Role::kManager : model::Role::kWorker;
    n.name = i < 3 ? "m" + std::to_string(i + 1) : "w" + std::to_string(i - 2);
    n.engine = from;
    s.nodes.push_back(n);
  }
  s.ingress = *model::Ipv4Cidr::Parse("10.255.0.0/16");
  for (int k = 0; k < 10; ++k) {
    s.networks.push_back({"net" + std::to_string(k), *model::Ipv4Cidr::Parse("10." + std::to_string(k) + ".0.0/16")});
  }
  for (int i = 0; i < 20; ++i) {
    model::ServiceSpec svc;
    svc.name = "svc" + std::to_string(i);
    svc.replicas = static_cast<std::uint32_t>(nodes / 2);
    svc.networks = {"net" + std::to_string(i / 2)};
    s.services.push_back(svc);
  }
  s.upgrade.to = *model::EngineVersion::Parse("24.0");
  return s;
}

}  // namespace swarmplan::bench

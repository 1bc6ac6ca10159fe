// `swarmplan usage`: each overlay's addresses counted from a live swarm's
// Engine API answers.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "docker/api_state.hpp"

namespace swarmplan::docker {

// One overlay network's addresses, counted from the API.
struct NetworkUsage {
  std::string name;
  std::string subnet;
  bool ingress = false;
  std::uint64_t capacity = 0;
  std::uint64_t reserved = 3;      // network, gateway, broadcast
  std::uint64_t vips = 0;          // one per service in vip mode on it
  std::uint64_t task_addresses = 0;  // held by tasks not yet ended
  std::uint64_t node_lb = 0;       // node load-balancer addresses (see below)
  std::uint64_t peers = 0;         // nodes the manager sees on the network (its "Peers")
  std::uint64_t nodes_with_tasks = 0;
  std::string lb_rule;             // how node_lb was counted
  std::uint64_t in_use() const { return reserved + vips + task_addresses + node_lb; }
  std::uint64_t free() const { return capacity > in_use() ? capacity - in_use() : 0; }
};

// Node load-balancer addresses are not in the manager's API (they live in
// swarmkit's node objects, which the Engine API does not show), so they are
// counted by the rule of the leader's engine: ingress, one per node;
// >= 18.09 one per node running a task on the network; 17.12 - 18.06 one per
// node on every overlay; older, none. The network's Peers (nodes whose
// engine joined the network) are reported beside it as a check.
std::expected<std::vector<NetworkUsage>, std::string> CountUsage(const ApiState& st);

}  // namespace swarmplan::docker

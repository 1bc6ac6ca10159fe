// Reading a live swarm through the Engine API: the cluster as a scenario
// (`swarmplan import`, `plan --host`, the docker executor's snapshots) and
// its overlay address usage (`swarmplan usage`).
//
// The conversion is a pure function of the API's answers (ApiState), so it
// is tested on recorded answers; FetchState() asks a manager for them.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "executor/docker_api.hpp"
#include "model/scenario.hpp"

namespace swarmplan::executor {

// The answers of one manager: GET /info, /nodes, /networks (with each
// overlay's inspect), /services, /tasks, at API kApiVersion.
struct ApiState {
  nlohmann::json info, nodes, networks, services, tasks;
};

// Reads the answers with `get` (a GET of one path, with whatever retries
// the caller wants), each overlay's inspect included.
using ApiGetter = std::function<std::expected<nlohmann::json, std::string>(const std::string& path)>;
std::expected<ApiState, std::string> FetchState(const ApiGetter& get);
// The same from a manager, after checking it is one.
std::expected<ApiState, std::string> FetchState(DockerApi& api);
// Resolve(host), Connect and FetchState: the live swarm at `host`.
std::expected<ApiState, std::string> FetchLive(const std::string& host);

struct Imported {
  model::Scenario scenario;
  // What the scenario could not carry, one sentence each (printed to stderr
  // by the commands: nothing is dropped silently).
  std::vector<std::string> notes;
};

// The cluster as a scenario that Validate()s; errors name the object.
std::expected<Imported, std::string> ImportScenario(const ApiState& st);

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

}  // namespace swarmplan::executor

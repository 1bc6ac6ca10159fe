// `swarmplan diagnose`, the reading half: from a manager's Engine API
// answers, per overlay network what holds its addresses and which tasks
// wait or are rejected for want of one, and since when. A pure function of
// the answers (tested on answers recorded from the harness); what happens
// next and the fixes are simulated from the imported state
// (planner/diagnose.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "docker/api_state.hpp"

namespace swarmplan::docker {

// A run of tasks in one plight: a service's tasks waiting in NEW, or its
// tasks on one node rejected for want of a load-balancer address.
struct Plight {
  std::string service;
  std::string node;      // rejections: the node; waiting: empty
  std::string network;   // the overlay that has no address for them
  std::uint64_t tasks = 0;
  // Seconds since 1970 by the manager's clock: the oldest and newest of
  // them (a waiting task's since it entered NEW; a rejection's when).
  double first = 0, last = 0;
  // Rejections an hour over the ones still in the task history (about
  // task_history a slot), when there are two or more.
  std::optional<double> per_hour;
};

struct NodeHold {
  std::string node;
  std::string state;        // the node's status: "ready", "down", ...
  std::uint64_t addresses = 0;
  double since = 0;          // the node's last status change (down since)
};

struct NetworkTrouble {
  std::string name, subnet;
  std::uint64_t capacity = 0, reserved = 3;
  std::map<std::string, std::uint32_t> vips;        // service -> its VIP (counted once each)
  std::map<std::string, std::uint64_t> task_addresses;  // service -> addresses of its live tasks
  std::vector<std::string> lb_nodes;                 // nodes counted with a load-balancer address
  std::vector<std::string> lb_missing;               // nodes whose tasks need one they lack
  std::vector<NodeHold> leftovers;                   // tasks on their way out, per node
  std::uint64_t other_held = 0;                      // jobs, services swarmplan does not model
  std::string lb_rule;
  std::uint64_t in_use() const;
  std::int64_t free() const { return static_cast<std::int64_t>(capacity) - static_cast<std::int64_t>(in_use()); }
  std::vector<Plight> waiting;    // tasks in NEW without an address here
  std::vector<Plight> rejected;   // "node is missing network attachments" on a node
  bool troubled() const {
    return !waiting.empty() || !rejected.empty() || !lb_missing.empty() ||
           std::any_of(leftovers.begin(), leftovers.end(), [](const NodeHold& h) { return h.state != "ready"; });
  }
};

// A service's tasks: desired, running, waiting (NEW or PENDING), and its
// failures of the last five minutes (told, but trouble only while it is
// below its count).
struct ServiceState {
  std::string name;
  std::uint64_t desired = 0, running = 0, waiting_new = 0;
  std::map<std::string, std::uint64_t> recent_errors;  // error text -> tasks, last five minutes
};

struct Trouble {
  std::string cluster_id;
  double now = 0;  // the manager's clock (GET /info SystemTime)
  std::string leader_engine;
  std::vector<NetworkTrouble> networks;  // user overlays
  std::vector<ServiceState> services;
  std::vector<std::string> down_nodes;   // down (or left) and not removed
  bool healthy() const;
};

std::expected<Trouble, std::string> ReadTrouble(const ApiState& st);

}  // namespace swarmplan::docker

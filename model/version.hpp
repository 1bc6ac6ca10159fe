// EngineVersion: a Docker Engine release, and the swarm behaviour it brings.
//
// Only the behaviours that change across the 18.09 boundary are modelled
// (docs/swarm-semantics.md section 6): which nodes the manager gives a
// load-balancer address on user overlays, and whether a worker waits for that
// address before starting a task.
#pragma once

#include <expected>
#include <cstdint>
#include <string>
#include <string_view>

namespace swarmplan::model {

// Who holds load-balancer (network attachment) addresses on user overlays,
// as decided by the leader's allocator.
enum class LbPolicy {
  kNone,      // <= 17.09: ingress only
  kAllNodes,  // 17.12 - 18.06: every node on every overlay, at create/join
  kOnDemand,  // >= 18.09: nodes holding a task on the network, at assignment
};

struct EngineVersion {
  int major = 0;
  int minor = 0;

  // Parses "17.06", "18.09.1", "v20.10.24", "18.06.1-ce", "24.0.7".
  // Errors name the text and the versions that exist.
  static std::expected<EngineVersion, std::string> Parse(std::string_view text);

  std::string ToString() const;
  LbPolicy lb_policy() const;
  // A worker on this engine waits (30 s) for its node's attachments and
  // rejects the task without them (moby controller.go waitNodeAttachments).
  bool worker_waits_for_attachments() const;

  friend bool operator==(const EngineVersion&, const EngineVersion&) = default;
  friend auto operator<=>(const EngineVersion&, const EngineVersion&) = default;
};

std::string_view ToString(LbPolicy p);

// The rule for counting node load-balancer addresses on one user overlay
// (docs/swarm-semantics.md sections 1 and 6): none, one per node, or one
// per node holding a task on it. Ingress is always one per node.
std::uint64_t LbAddresses(LbPolicy p, std::uint64_t all_nodes, std::uint64_t nodes_with_tasks);

}  // namespace swarmplan::model

#include "model/types.hpp"

#include <cctype>

namespace swarmplan::model {

std::string_view ToString(Role r) { return r == Role::kManager ? "manager" : "worker"; }

std::string_view ToString(Availability a) {
  switch (a) {
    case Availability::kActive: return "active";
    case Availability::kPause: return "pause";
    case Availability::kDrain: return "drain";
  }
  return "?";
}

std::string_view ToString(NodeState s) { return s == NodeState::kReady ? "ready" : "down"; }
std::string_view ToString(ServiceMode m) { return m == ServiceMode::kReplicated ? "replicated" : "global"; }
std::string_view ToString(EndpointMode m) { return m == EndpointMode::kVip ? "vip" : "dnsrr"; }

std::string_view ToString(RestartCondition c) {
  switch (c) {
    case RestartCondition::kAny: return "any";
    case RestartCondition::kOnFailure: return "on-failure";
    case RestartCondition::kNone: return "none";
  }
  return "?";
}

std::string_view ToString(TaskState s) {
  switch (s) {
    case TaskState::kNew: return "NEW";
    case TaskState::kPending: return "PENDING";
    case TaskState::kAssigned: return "ASSIGNED";
    case TaskState::kAccepted: return "ACCEPTED";
    case TaskState::kPreparing: return "PREPARING";
    case TaskState::kReady: return "READY";
    case TaskState::kStarting: return "STARTING";
    case TaskState::kRunning: return "RUNNING";
    case TaskState::kComplete: return "COMPLETE";
    case TaskState::kShutdown: return "SHUTDOWN";
    case TaskState::kFailed: return "FAILED";
    case TaskState::kRejected: return "REJECTED";
    case TaskState::kRemove: return "REMOVE";
    case TaskState::kOrphaned: return "ORPHANED";
  }
  return "?";
}

std::optional<TaskState> ParseTaskState(std::string_view api_name) {
  for (int i = 0; i <= static_cast<int>(TaskState::kOrphaned); ++i) {
    const auto st = static_cast<TaskState>(i);
    const std::string_view upper = ToString(st);
    bool same = upper.size() == api_name.size();
    for (std::size_t k = 0; same && k < upper.size(); ++k) {
      same = upper[k] == static_cast<char>(std::toupper(static_cast<unsigned char>(api_name[k])));
    }
    if (same) return st;
  }
  return std::nullopt;
}

}  // namespace swarmplan::model

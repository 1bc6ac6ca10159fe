// Identifiers and enumerations shared by the swarm model.
#pragma once

#include <cassert>
#include <cstdint>
#include <ostream>
#include <optional>
#include <string>
#include <string_view>

namespace swarmplan::model {

using NodeId = std::uint32_t;
using ServiceId = std::uint32_t;
using NetworkId = std::uint32_t;
using TaskId = std::uint32_t;
inline constexpr std::uint32_t kNoId = UINT32_MAX;

enum class Role : std::uint8_t { kManager, kWorker };
enum class Availability : std::uint8_t { kActive, kPause, kDrain };
enum class NodeState : std::uint8_t { kReady, kDown };
enum class ServiceMode : std::uint8_t { kReplicated, kGlobal };
enum class EndpointMode : std::uint8_t { kVip, kDnsrr };
enum class RestartCondition : std::uint8_t { kAny, kOnFailure, kNone };
// update_config / rollback_config (swarmkit api.UpdateConfig).
enum class UpdateOrder : std::uint8_t { kStopFirst, kStartFirst };
enum class FailureAction : std::uint8_t { kPause, kContinue, kRollback };
// A service's UpdateStatus.State, as `docker service inspect` shows it.
enum class UpdateState : std::uint8_t {
  kNone,
  kUpdating,
  kPaused,
  kCompleted,
  kRollbackStarted,
  kRollbackPaused,
  kRollbackCompleted,
};

// swarmkit api.TaskState, in its order: everything after kRunning is terminal.
enum class TaskState : std::uint8_t {
  kNew,
  kPending,
  kAssigned,
  kAccepted,
  kPreparing,
  kReady,
  kStarting,
  kRunning,
  kComplete,
  kShutdown,
  kFailed,
  kRejected,
  kRemove,
  kOrphaned,
};

inline bool IsTerminal(TaskState s) { return s > TaskState::kRunning; }

// Names, from one table per enumeration (model/types.cpp) that both
// printing and parsing use: the lower-case words of scenario files and of
// the Engine API; task states in upper case, as the trace prints them.
std::string_view ToString(Role r);
std::string_view ToString(Availability a);
std::string_view ToString(NodeState s);
std::string_view ToString(ServiceMode m);
std::string_view ToString(EndpointMode m);
std::string_view ToString(RestartCondition c);
std::string_view ToString(UpdateOrder o);
std::string_view ToString(FailureAction a);
std::string_view ToString(UpdateState s);
std::string_view ToString(TaskState s);
// A task state as the Engine API and scenario files write it: "running".
std::string ApiName(TaskState s);

// The value named `text` (exact; task states ignore case), or nullopt.
template <typename E>
std::optional<E> ParseName(std::string_view text);
// "a, b or c": the accepted names, for error messages.
template <typename E>
std::string NameChoices();
// The Engine API's lower-case names ("running", "new", ...), any case.
std::optional<TaskState> ParseTaskState(std::string_view api_name);

// One of the model's fixed messages (a string literal: static and
// NUL-terminated), kept as one pointer: a task carries two, and a large
// cluster's million tasks save 16 MB over string_views.
class StaticText {
 public:
  constexpr StaticText() = default;
  StaticText(std::string_view s) : p_(s.empty() ? nullptr : s.data()) {  // NOLINT: converts like the view it keeps
    assert(s.empty() || s.data()[s.size()] == '\0');
  }
  operator std::string_view() const { return p_ == nullptr ? std::string_view() : std::string_view(p_); }  // NOLINT
  bool empty() const { return p_ == nullptr; }
  friend bool operator==(StaticText a, std::string_view b) { return std::string_view(a) == b; }
  friend std::ostream& operator<<(std::ostream& o, StaticText t) { return o << std::string_view(t); }

 private:
  const char* p_ = nullptr;
};

// The error texts the real system prints; tests and reports key on them.
inline constexpr std::string_view kErrMissingAttachments =
    "node is missing network attachments, ip addresses may be exhausted";
inline constexpr std::string_view kErrSwarmNotActive =
    "cannot create a swarm scoped network when swarm is not active";

}  // namespace swarmplan::model

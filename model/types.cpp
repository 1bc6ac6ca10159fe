#include "model/types.hpp"

#include <array>
#include <cctype>
#include <utility>

namespace swarmplan::model {

namespace {

// One table per enumeration, used both to print and to parse: the name each
// value has in scenario files and the Engine API (task states: as the trace
// prints them, upper case; files and the API write them in lower case).
template <typename E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

constexpr NameTable<Role, 2> kRoleNames{{{Role::kManager, "manager"}, {Role::kWorker, "worker"}}};
constexpr NameTable<Availability, 3> kAvailabilityNames{
    {{Availability::kActive, "active"}, {Availability::kPause, "pause"}, {Availability::kDrain, "drain"}}};
constexpr NameTable<NodeState, 2> kNodeStateNames{{{NodeState::kReady, "ready"}, {NodeState::kDown, "down"}}};
constexpr NameTable<ServiceMode, 2> kServiceModeNames{
    {{ServiceMode::kReplicated, "replicated"}, {ServiceMode::kGlobal, "global"}}};
constexpr NameTable<EndpointMode, 2> kEndpointModeNames{{{EndpointMode::kVip, "vip"}, {EndpointMode::kDnsrr, "dnsrr"}}};
constexpr NameTable<RestartCondition, 3> kRestartConditionNames{{{RestartCondition::kAny, "any"},
                                                                 {RestartCondition::kOnFailure, "on-failure"},
                                                                 {RestartCondition::kNone, "none"}}};
constexpr NameTable<UpdateOrder, 2> kUpdateOrderNames{
    {{UpdateOrder::kStopFirst, "stop-first"}, {UpdateOrder::kStartFirst, "start-first"}}};
constexpr NameTable<FailureAction, 3> kFailureActionNames{
    {{FailureAction::kPause, "pause"}, {FailureAction::kContinue, "continue"}, {FailureAction::kRollback, "rollback"}}};
constexpr NameTable<UpdateState, 7> kUpdateStateNames{{{UpdateState::kNone, "none"},
                                                       {UpdateState::kUpdating, "updating"},
                                                       {UpdateState::kPaused, "paused"},
                                                       {UpdateState::kCompleted, "completed"},
                                                       {UpdateState::kRollbackStarted, "rollback_started"},
                                                       {UpdateState::kRollbackPaused, "rollback_paused"},
                                                       {UpdateState::kRollbackCompleted, "rollback_completed"}}};
constexpr NameTable<TaskState, 14> kTaskStateNames{{
    {TaskState::kNew, "NEW"},
    {TaskState::kPending, "PENDING"},
    {TaskState::kAssigned, "ASSIGNED"},
    {TaskState::kAccepted, "ACCEPTED"},
    {TaskState::kPreparing, "PREPARING"},
    {TaskState::kReady, "READY"},
    {TaskState::kStarting, "STARTING"},
    {TaskState::kRunning, "RUNNING"},
    {TaskState::kComplete, "COMPLETE"},
    {TaskState::kShutdown, "SHUTDOWN"},
    {TaskState::kFailed, "FAILED"},
    {TaskState::kRejected, "REJECTED"},
    {TaskState::kRemove, "REMOVE"},
    {TaskState::kOrphaned, "ORPHANED"},
}};

template <typename E, std::size_t N>
std::string_view NameOf(const NameTable<E, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

template <typename E, std::size_t N>
std::optional<E> ValueOf(const NameTable<E, N>& table, std::string_view text, bool ignore_case) {
  for (const auto& [v, name] : table) {
    if (ignore_case ? SameIgnoringCase(name, text) : name == text) return v;
  }
  return std::nullopt;
}

template <typename E, std::size_t N>
std::string Choices(const NameTable<E, N>& table) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += table[i].second;
  }
  return out;
}

}  // namespace

std::string_view ToString(Role r) { return NameOf(kRoleNames, r); }
std::string_view ToString(Availability a) { return NameOf(kAvailabilityNames, a); }
std::string_view ToString(NodeState s) { return NameOf(kNodeStateNames, s); }
std::string_view ToString(ServiceMode m) { return NameOf(kServiceModeNames, m); }
std::string_view ToString(EndpointMode m) { return NameOf(kEndpointModeNames, m); }
std::string_view ToString(RestartCondition c) { return NameOf(kRestartConditionNames, c); }
std::string_view ToString(TaskState s) { return NameOf(kTaskStateNames, s); }
std::string_view ToString(UpdateOrder o) { return NameOf(kUpdateOrderNames, o); }
std::string_view ToString(FailureAction a) { return NameOf(kFailureActionNames, a); }
std::string_view ToString(UpdateState s) { return NameOf(kUpdateStateNames, s); }

std::string ApiName(TaskState s) {
  std::string out(ToString(s));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <>
std::optional<Role> ParseName<Role>(std::string_view t) { return ValueOf(kRoleNames, t, false); }
template <>
std::optional<Availability> ParseName<Availability>(std::string_view t) { return ValueOf(kAvailabilityNames, t, false); }
template <>
std::optional<NodeState> ParseName<NodeState>(std::string_view t) { return ValueOf(kNodeStateNames, t, false); }
template <>
std::optional<ServiceMode> ParseName<ServiceMode>(std::string_view t) { return ValueOf(kServiceModeNames, t, false); }
template <>
std::optional<EndpointMode> ParseName<EndpointMode>(std::string_view t) { return ValueOf(kEndpointModeNames, t, false); }
template <>
std::optional<RestartCondition> ParseName<RestartCondition>(std::string_view t) {
  return ValueOf(kRestartConditionNames, t, false);
}
template <>
std::optional<UpdateOrder> ParseName<UpdateOrder>(std::string_view t) { return ValueOf(kUpdateOrderNames, t, false); }
template <>
std::optional<FailureAction> ParseName<FailureAction>(std::string_view t) {
  return ValueOf(kFailureActionNames, t, false);
}
template <>
std::optional<TaskState> ParseName<TaskState>(std::string_view t) { return ValueOf(kTaskStateNames, t, true); }

template <>
std::string NameChoices<Role>() { return Choices(kRoleNames); }
template <>
std::string NameChoices<Availability>() { return Choices(kAvailabilityNames); }
template <>
std::string NameChoices<NodeState>() { return Choices(kNodeStateNames); }
template <>
std::string NameChoices<ServiceMode>() { return Choices(kServiceModeNames); }
template <>
std::string NameChoices<EndpointMode>() { return Choices(kEndpointModeNames); }
template <>
std::string NameChoices<RestartCondition>() { return Choices(kRestartConditionNames); }
template <>
std::string NameChoices<UpdateOrder>() { return Choices(kUpdateOrderNames); }
template <>
std::string NameChoices<FailureAction>() { return Choices(kFailureActionNames); }
template <>
std::string NameChoices<TaskState>() { return Choices(kTaskStateNames); }

std::optional<TaskState> ParseTaskState(std::string_view api_name) { return ParseName<TaskState>(api_name); }

}  // namespace swarmplan::model

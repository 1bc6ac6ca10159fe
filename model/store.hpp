// The swarm's store: networks, nodes, services and tasks of one run, with the
// derived counters the components keep up to date. Plain data; the
// components in swarm.hpp own every change to it.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/ipam.hpp"
#include "model/scenario.hpp"
#include "model/types.hpp"
#include "sim/engine.hpp"

namespace swarmplan::model {

inline constexpr std::uint32_t kNoAddr = AddressPool::kNone;

struct Network {
  std::string name;
  bool ingress = false;
  AddressPool pool;
  std::vector<std::uint32_t> held;  // offsets held by what the model does not simulate (NetworkSpec::held)
};

struct Node {
  NodeId id = kNoId;
  std::string name;
  Role role = Role::kWorker;
  Availability availability = Availability::kActive;
  NodeState state = NodeState::kReady;
  EngineVersion engine;
  std::map<std::string, std::string> labels;
  std::int64_t nano_cpus = 0, memory_bytes = 0;  // capacity (0: unlimited)

  bool member = true;   // in the swarm (false: not joined yet, or removed)
  bool left = false;    // `docker swarm leave` ran on it: down for good until removed
  bool engine_running = true;
  bool connected = true;           // its agent is connected to the managers
  bool swarm_active = true;        // libnetwork's cluster agent is up
  std::uint32_t epoch = 0;         // bumped when the engine stops: stale timers see it
  bool live_restore = false;       // dockerd --live-restore: its containers outlive the daemon
  std::vector<std::uint32_t> attach;     // allocator: per network, LB address offset or kNoAddr
  // Per network: live tasks here whose addresses are allocated. The node's
  // load-balancer attachments derive from these (swarmkit getNodeNetworks
  // reads each task's network attachments, which a task has once
  // allocated: a global task created for the node counts from then on).
  std::vector<std::uint32_t> net_tasks;
  std::vector<TaskId> tasks;             // non-terminal tasks assigned here
  // An imported live state (docs/swarm-semantics.md section 12): per
  // network, addresses its tasks on their way out hold (NodeSpec::held),
  // freed when the node is removed; and whether its load balancer's
  // address was given by the live state (kept until the run's plan starts,
  // when its own tasks decide).
  std::vector<std::vector<std::uint32_t>> held;
  std::vector<std::uint8_t> lb_warm;
  // The allocator's shortcut: 1 + the load-balancer policy under which its
  // last pass over this node found every network's attachment as the node
  // needs it (Allocator::Settled); 0 once anything that pass reads changes.
  // Whoever writes member, attach, net_tasks, held or lb_warm clears it
  // (LbInputsChanged); the invariants check that a settled node is settled.
  std::uint8_t lb_settled = 0;
  void LbInputsChanged() { lb_settled = 0; }

  // Each component's own state of the node; only that component writes it.
  struct SchedulerCounts {  // scheduler.cpp: what its counted tasks take here
    std::uint32_t active_tasks = 0;  // desired <= RUNNING
    std::int64_t reserved_nano_cpus = 0, reserved_memory = 0;
  } sched;
  struct DispatchStream {  // dispatcher.cpp: the node's assignment stream
    std::vector<TaskId> pending;    // assigned or changed since the last message
    std::vector<TaskId> in_flight;  // sent, not arrived yet
    std::uint32_t modifications = 0;
    sim::EventId quiet_timer;
  } dispatch;
  struct AgentState {  // agent.cpp: the worker
    std::vector<TaskId> waiting;      // PREPARING, waiting for attachments
    std::vector<TaskId> undelivered;  // assigned while the engine was down
    std::vector<TaskId> missed;       // messages of the assignment stream lost in a partition
    // Status updates its reporter could not send in a partition (task,
    // progress), sent again once its session is back.
    std::vector<std::pair<TaskId, bool>> unsent;
    // The containers outlived the engine's stop (live-restore, host up):
    // a running task is found running again when the engine is back.
    bool containers_kept = false;
    sim::Time reporter_free = 0;      // its reporter: when its last status update reached the dispatcher
    sim::Time db_free = 0;            // its task database: when the write in progress ends (one at a time)
    sim::Time exit_free = 0;          // the daemon's exit handling: when the exit in progress is handled (one at a time)
    // Containers' network teardown (Agent::Stop): the node's libnetwork
    // serves one turn at a time, in the order asked; (task, turn) pairs
    // from teardown_head on are waiting, teardown_turn is the one served.
    std::vector<std::pair<TaskId, std::uint8_t>> teardown_q;
    std::uint32_t teardown_head = 0;
    sim::EventId teardown_turn;
  } agent;
  struct Heartbeat {  // membership.cpp: marked down when it expires
    sim::EventId expiry;
  } heartbeat;
  // faults.cpp and membership.cpp: what broke (model/faults.hpp).
  enum class InstallFault : std::uint8_t { kNone, kNoStart, kKeepsOld };
  struct FaultState {
    bool partitioned = false;  // cut off from the managers; the engine runs on
    bool host_down = false;    // the whole host is off
    bool broken = false;       // an install left an engine that does not start
    InstallFault next_install = InstallFault::kNone;
    std::uint16_t slow_pct = 100;  // the worker's own work takes this share of its time
    sim::EventId restart;      // systemd starting a killed engine again
    // Killed without live-restore: its containers outlived the daemon, and
    // the next start first stops them (moby daemon.go restore).
    bool containers_to_restore = false;
  } fault;

  bool schedulable() const { return state == NodeState::kReady && availability == Availability::kActive; }
};

struct Slot {
  TaskId current = kNoId;
  bool retired = false;  // scaled away: its task is being removed; a scale-up reuses it
  std::vector<TaskId> history;  // oldest first, at most task_history (a vector: most slots never get one)
  std::uint32_t restarts = 0;
};

struct Service {
  ServiceSpec spec;
  ServiceId id = kNoId;
  std::vector<NetworkId> nets;       // user overlays, then ingress if it publishes
  std::vector<std::uint32_t> vips;   // per nets entry, kNoAddr if none (dnsrr or failed)
  // The networks of the previous spec (what a rollback returns to), and of
  // older spec versions whose networks differ from a later one's
  // (network-add / network-rm): (last version with them, networks), oldest
  // first. A task keeps the networks of the version it was created from.
  std::vector<NetworkId> previous_nets;
  std::vector<std::pair<std::uint32_t, std::vector<NetworkId>>> older_nets;
  bool vips_done = false;
  std::vector<Slot> slots;           // replicated: slot i+1; global: one per node
  std::vector<NodeId> pins;          // replicated: slot i+1's first task goes to this node (import)
  // Import: per slot (replicated: slot i+1; global: node i), the addresses
  // its live task holds, per nets entry (kNoAddr: none); the slot's first
  // task takes them back. Empty when nothing was imported.
  std::vector<std::vector<std::uint32_t>> warm;
  std::vector<std::uint16_t> per_node;    // scheduler's count on each node
  std::vector<std::uint8_t> constraint_ok;  // per node, labels are static
  bool active = true;                 // created (deployed) and not removed
  // Spec version: an update or rollback bumps it; tasks of an older version
  // are "dirty" (swarmkit orchestrator.IsTaskDirty) and the updater
  // replaces them.
  std::uint32_t version = 0;
  UpdateState update_state = UpdateState::kNone;
  std::uint32_t running = 0;          // tasks in state RUNNING
  std::uint32_t eligible_nodes = 0;   // global: nodes that should run one
  // Failure underweighting: failure times per node (last failure_window).
  std::map<NodeId, std::deque<sim::Time>> failures;

  // Metrics since the plan started.
  std::uint32_t min_running = 0;
  sim::Time below_since = -1;
  sim::Time below_total = 0;
  sim::Time min_running_at = 0;

  const std::vector<NetworkId>& NetsOf(std::uint32_t spec_version) const {
    for (const auto& [last, n] : older_nets) {
      if (spec_version <= last) return n;
    }
    return nets;
  }
  // The spec of older versions that an update replaced (ServiceSpec's
  // update_to): (last version with it, spec), oldest first.
  std::vector<std::pair<std::uint32_t, ServiceSpec>> older_specs;
  // The version from which only the placement changed (constraints,
  // max_replicas_per_node): a task of the version before it on a node that
  // meets the new constraints is not dirty (swarmkit
  // IsTaskDirtyPlacementConstraintsOnly). 0: none.
  std::uint32_t placement_only_version = 0;
  // The rollout fields of the spec before the last update that changed
  // them (what a rollback returns to); none: the same as now.
  std::optional<ServiceSpec> previous_fields;
  // The spec task `t` of version `v` runs with: restart policy, stop grace,
  // reservations.
  const ServiceSpec& SpecOf(std::uint32_t spec_version) const {
    for (const auto& [last, sp] : older_specs) {
      if (spec_version <= last) return sp;
    }
    return spec;
  }

  std::uint32_t desired() const {
    if (!active) return 0;
    return spec.mode == ServiceMode::kGlobal ? eligible_nodes : spec.replicas;
  }
};

// A task's addresses, one per network of its service: inline up to
// kInline networks (nearly every service), on the heap beyond. 24 bytes.
class TaskAddrs {
 public:
  static constexpr std::size_t kInline = 4;
  TaskAddrs() = default;
  TaskAddrs(const TaskAddrs& o) { *this = o; }
  TaskAddrs& operator=(const TaskAddrs& o) {
    if (this != &o) {
      assign(o.size_, 0);
      std::copy(o.data(), o.data() + o.size_, data());
    }
    return *this;
  }
  TaskAddrs(TaskAddrs&& o) noexcept : size_(o.size_), u_(o.u_) { o.size_ = 0; }
  TaskAddrs& operator=(TaskAddrs&& o) noexcept {
    if (this != &o) {
      Free();
      size_ = o.size_;
      u_ = o.u_;
      o.size_ = 0;
    }
    return *this;
  }
  ~TaskAddrs() { Free(); }

  void assign(std::size_t n, std::uint32_t v) {
    Free();
    size_ = static_cast<std::uint32_t>(n);
    if (n > kInline) u_.heap = new std::uint32_t[n];
    std::fill(data(), data() + n, v);
  }
  std::size_t size() const { return size_; }
  std::uint32_t* data() { return size_ > kInline ? u_.heap : u_.inline_; }
  const std::uint32_t* data() const { return size_ > kInline ? u_.heap : u_.inline_; }
  std::uint32_t& operator[](std::size_t i) { return data()[i]; }
  std::uint32_t operator[](std::size_t i) const { return data()[i]; }
  std::span<std::uint32_t> span() { return {data(), size_}; }

 private:
  void Free() {
    if (size_ > kInline) delete[] u_.heap;
    size_ = 0;
  }
  std::uint32_t size_ = 0;
  union U {
    std::uint32_t inline_[kInline];
    std::uint32_t* heap;
  } u_{};
};

struct Task {
  TaskId id = kNoId;
  ServiceId service = kNoId;
  std::uint32_t slot = 0;      // replicated: 1-based slot; global: node id
  std::uint32_t version = 0;   // the service's spec version it was created from
  NodeId node = kNoId;
  TaskState state = TaskState::kNew;
  TaskState desired = TaskState::kRunning;
  bool allocated = false;      // allocator: every address taken
  bool counted = false;        // in scheduler counts (assigned, live, desired <= RUNNING)
  bool on_node = false;        // in node->tasks and net_tasks
  std::uint32_t node_pos = 0;  // index in node->tasks
  TaskAddrs addrs;             // allocator: per service net, kNoAddr until allocated
  // Why it ended or waits: always one of the model's fixed messages
  // (static storage), so a task carries no string of its own.
  StaticText err;
  sim::Time created = 0;
  sim::Time state_since = 0;

  // Each component's own state of the task; only that component writes it.
  struct AgentState {  // agent.cpp: the worker's operation on it
    bool waiting_attach = false;
    bool delivered = false;
    TaskState seen_desired = TaskState::kNew;  // the desired state the worker last received
    std::uint32_t epoch = 0;    // node epoch when the agent took it
    sim::EventId op;            // operation in flight
    sim::EventId wait_timeout;  // attachment wait
    sim::Time wait_start = 0;   // when the attachment wait began (its polls tick from there)
  } agent;
  struct Report {  // dispatcher.cpp: the worker's status report on its way
    bool pending = false;  // an end reported, not committed yet
    bool progress_queued = false;  // a progress report waits for the batch
    TaskState state = TaskState::kNew;
    StaticText err;  // with state: one of the model's fixed messages
    sim::Time at = -1;     // the worker's own time of its terminal report (`docker service ps`)
  } report;
  struct Restart {  // orchestrator.cpp: the restart supervisor (restart.go)
    sim::Time start_after = 0;  // replacement: not before (restart delay)
    NodeId pin = kNoId;         // the node an imported cluster ran this slot on
    TaskId old_task = kNoId;    // replacement: the task it replaces
    TaskId replaced_by = kNoId;
    // The task's delayed start has not ended yet; a restart asked for
    // meanwhile waits for it (waitRestart), and counts against
    // max_attempts if it came from a failure.
    bool delay_pending = false;
    bool waiting = false;
    bool counts = false;
  } restart;
};

// The swarm's tasks, by id. Tasks live in chunks of kChunk, so a reference
// stays valid as tasks are added (as in a deque). The first kOwnChunks
// chunks are allocated one by one and a finished run's go to the thread's
// next run (a seed trial allocates nothing); a large store carves the
// rest from huge-page slabs (sim/huge.hpp).
class TaskStore {
 public:
  static constexpr std::size_t kChunk = 64;
  static constexpr std::size_t kOwnChunks = 64;

  TaskStore() = default;
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;
  ~TaskStore();

  Task& operator[](std::size_t i) { return chunks_[i / kChunk][i % kChunk]; }
  const Task& operator[](std::size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // A new default task at the end.
  Task& emplace_back();

  template <typename Store, typename T>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Task;
    using difference_type = std::ptrdiff_t;
    using pointer = T*;
    using reference = T&;
    Iter() = default;
    Iter(Store* s, std::size_t i) : s_(s), i_(i) {}
    T& operator*() const { return (*s_)[i_]; }
    T* operator->() const { return &(*s_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    Iter operator++(int) {
      Iter old = *this;
      ++i_;
      return old;
    }
    bool operator==(const Iter& o) const { return i_ == o.i_; }

   private:
    Store* s_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = Iter<TaskStore, Task>;
  using const_iterator = Iter<const TaskStore, const Task>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  std::vector<Task*> chunks_;
  std::vector<std::unique_ptr<Task[]>> own_;  // the first kOwnChunks
  struct Slab {
    void* mem;
    std::size_t chunks;  // carved so far
  };
  std::vector<Slab> slabs_;
  std::size_t size_ = 0;
};

}  // namespace swarmplan::model

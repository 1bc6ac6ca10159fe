// Scenario: the input of a simulation, as plain data. A cluster (nodes,
// overlay networks, services), the timings of the real system, and the
// upgrade the user wants to plan. Text is parsed once, at the edge
// (model/scenario_json.hpp reads and writes files; README "Scenario
// format"): here addresses are addresses and states are states.
#pragma once

#include <algorithm>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/constraint.hpp"
#include "model/ipam.hpp"
#include "model/types.hpp"
#include "model/version.hpp"
#include "sim/time.hpp"

namespace swarmplan::model {

// A duration drawn uniformly from [lo, hi] each time it is needed.
struct Range {
  sim::Time lo = 0;
  sim::Time hi = 0;
};

// Defaults follow docs/swarm-semantics.md "Timings";
// each can be overridden in a scenario's "timings" object (milliseconds).
struct Timings {
  Range allocator_latency{sim::Ms(1), sim::Ms(20)};
  sim::Time scheduler_batch_gap = sim::Ms(50);
  sim::Time scheduler_batch_max = sim::Ms(1000);
  // The dispatcher streams each node its assignments: a message goes once
  // no task of the node was assigned or changed for assignment_quiet, or at
  // 100 changes (swarmkit manager/dispatcher/dispatcher.go Assignments,
  // batchingWaitTime and modificationBatchLimit), and reaches the worker
  // after dispatch_latency (measured: a message's first task PREPARING
  // 112-138 ms after its assignment, i.e. 12-38 ms after the quiet wait).
  sim::Time assignment_quiet = sim::Ms(100);
  Range dispatch_latency{sim::Ms(10), sim::Ms(40)};
  // The dispatcher commits workers' status reports in batches, every 100 ms
  // (swarmkit manager/dispatcher/dispatcher.go, maxBatchInterval).
  sim::Time dispatcher_batch = sim::Ms(100);
  // A worker sends its status updates one call after another; each reaches
  // the dispatcher this long after the one before (or after it happened).
  Range report_send{sim::Ms(1), sim::Ms(2)};
  // Its batch timer is restarted after each batch, so the batches drift
  // from a fixed grid: each comes late by the timer's wake-up and the
  // previous batch's work (measured on the harness: a 5 s restart round
  // took 5.136-5.147 s, i.e. ~0.8 ms a batch; docs/timings.md).
  Range dispatcher_tick_late{0, sim::Ms(2)};
  // From a message's arrival to each of its tasks starting to prepare: the
  // worker starts one task manager per task, concurrently but not at once
  // (measured: a message's tasks reach PREPARING over up to ~25 ms).
  Range worker_accept{sim::Ms(0), sim::Ms(25)};
  // From a message's arrival to a changed task's manager acting on it (a
  // new desired state): the managers already run, so a few ms (measured:
  // 14 attachment waits on one node cancelled within 2 ms).
  Range worker_update{0, sim::Ms(3)};
  // One status write to the worker's task database (swarmkit agent/worker.go:
  // each status change of a task is its own bolt transaction, committed with
  // an fsync, one at a time per node; the task goes on only once it is
  // written). A write takes lo + (hi - lo) * U1 * U2: most are fast, a few
  // slow, as fsyncs are. Fitted to 22 recordings of the seed's deploy
  // (docs/timings.md): on the harness's disk, mean 4.75 ms.
  Range task_db_write{sim::Ms(1), sim::Ms(16)};
  // Creating a task's container, and starting it (STARTING to RUNNING), one
  // at a time on a quiet harness node (the rolling updates netadd22 and
  // force20, docs/timings.md): created to STARTING 0.18-0.20 s of which all
  // but 10-40 ms is the assignment's way to the worker; started in
  // 0.85-1.25 s (deciles 1 and 9 of 540 starts). Many at once on one host
  // take seconds each on the harness (its daemons share one xtables lock);
  // the sensitivity design widens container_start to 3 s.
  Range container_create{sim::Ms(10), sim::Ms(40)};
  Range container_start{sim::Ms(850), sim::Ms(1200)};
  // The hosts' pace during one change: every container start of a trial
  // takes this much more, drawn once per trial as lo + (hi - lo) * U1 * U2
  // (most runs quick, some slow). Starts of one real run move together: the
  // mean start of a recorded rolling update was 0.99-1.18 s from run to run
  // while the starts within a run spread by 0.1 s (docs/timings.md).
  Range container_start_run{0, sim::Ms(180)};
  Range container_stop{sim::Ms(100), sim::Ms(800)};  // when the process obeys SIGTERM
  // A running task's worker learns of its new desired state while it waits
  // on the container; the cancelled wait is retried after a fixed second
  // before the shutdown begins (swarmkit agent/task.go, ErrTaskRetry).
  sim::Time task_retry_backoff = sim::Sec(1);
  // Stopping a task attached to any swarm network first takes it out of the
  // service's load balancing and waits for gossip to converge (moby
  // daemon/cluster/executor/container/controller.go Shutdown,
  // defaultGossipConvergeDelay, 2 s and not configurable).
  sim::Time service_unbind = sim::Sec(2);
  // A stopped container's end, as the daemon's own log shows it on the quiet
  // harness (docs/timings.md, drain-teardown-events.jsonl, and the rolling
  // updates netadd22 and force20). After the grace period of a process that
  // ignores SIGTERM, SIGKILL comes container_kill later; the daemon then
  // handles containers' exits one at a time per node (containerd's exit
  // events: a container alone died 20-60 ms after its SIGKILL, 26 killed
  // together over ~0.5 s), container_exit each (fitted to the shapes of the
  // recorded drains, tests/recorded_runs_test.cpp); after its exit, the
  // container's cleanup (mounts, the sandbox's disconnect begun) takes
  // container_cleanup, concurrently with the others', before the teardown
  // turns below. A lone killed container: SHUTDOWN 0.25-0.47 s after its
  // grace period (netadd22's 220 slots). On a busy host each is slower: the
  // sensitivity design stretches container_cleanup (two harness swarms side
  // by side on two cores added ~0.5 s).
  Range container_kill{sim::Ms(10), sim::Ms(40)};
  Range container_exit{sim::Ms(30), sim::Ms(50)};
  Range container_cleanup{sim::Ms(80), sim::Ms(200)};
  // Then the exited container's network sandbox is torn down in three
  // turns on its node's libnetwork, which serves turns one at a time in the
  // order they are asked for: revoking the gateway endpoint's external
  // connectivity, deleting the gateway endpoint (docker_gwbridge), deleting
  // the overlay endpoint (only on swarm networks); each turn goes back to
  // the end of the queue. SHUTDOWN is reported after the last. When many
  // containers exit at once, their later turns wait behind the first turns
  // of the rest: a drain's first few tasks report at once, the rest together
  // at the end (docs/timings.md, measured from the daemon's debug log:
  // ~25-45, ~20 and ~22 ms on the quiet harness; fitted to the recorded
  // drains, ~1.5x slower).
  Range teardown_revoke{sim::Ms(27), sim::Ms(63)};
  Range teardown_gateway{sim::Ms(15), sim::Ms(35)};
  Range teardown_overlay{sim::Ms(20), sim::Ms(46)};
  sim::Time attachment_wait = sim::Sec(30);
  sim::Time attachment_poll = sim::Ms(100);
  sim::Time old_task_timeout = sim::Minute(1);
  sim::Time unallocated_retry = sim::Minute(5);
  sim::Time failure_window = sim::Minute(5);
  int failure_threshold = 5;
  // How long after a node goes quiet the managers mark it down. swarmkit's
  // dispatcher gives each heartbeat a period of 5 s plus up to 0.5 s of
  // jitter and arms the node's expiry at 3 periods from that heartbeat
  // (manager/dispatcher/nodes.go Heartbeat, dispatcher.go defaults); the
  // agent sends the next one a period later (agent/session.go). A node that
  // goes quiet had its last heartbeat 0 to 1 period before, so it is marked
  // down 2 to 3 periods after: 10-16.5 s (docs/swarm-semantics.md section 8).
  // The recorded kills agree (docs/conformance.md, kill3).
  Range node_down_after{sim::Sec(10), sim::Ms(16500)};
  // A new leader's dispatcher marks every node not down UNKNOWN and gives
  // each twice the usual grace, 6 heartbeat periods of 5 s +- 0.5 s,
  // before marking it down (swarmkit manager/dispatcher/dispatcher.go
  // markNodesUnknown, nodes.go AddUnknown, period.go Choose): a node that
  // went quiet before the election (the killed leader itself) is marked
  // down only if it is not back within that.
  Range node_unknown_grace{sim::Sec(27), sim::Sec(33)};
  Range engine_stop{sim::Sec(1), sim::Sec(4)};  // the daemon's own shutdown, besides stopping its containers
  Range engine_start{sim::Sec(3), sim::Sec(10)};
  // `docker swarm join` on a running engine: its certificate, then its
  // first session with a manager (not measured; a few seconds on a LAN).
  Range node_join{sim::Sec(1), sim::Sec(4)};
  // After an engine start, how long libnetwork still refuses swarm-scoped
  // networks ("swarm is not active") while the worker may already prepare
  // tasks. The agent turns ready on its first session message, which carries
  // the network keys (swarmkit agent/agent.go: ready closed after
  // handleSessionMessage), and the daemon marks the node active on that
  // signal: a short race, not seconds. Four restarts without a drain on the
  // 20.10 test swarm (three workers, the single manager) rejected nothing;
  // the seed (17.06-18.09) and moby#34864 / moby#38318 show it does happen.
  Range swarm_active_after_ready{sim::Ms(0), sim::Ms(200)};
  // The same on a manager: the node is ready (the daemon's swarm active)
  // only once its own manager answers on the local control socket too
  // (swarmkit node/node.go: `run` closes ready after managerReady, which
  // initManagerConnection closes when the ControlAPI health check says
  // SERVING, checking every 500 ms). Where the agent's first session falls
  // in that poll's cycle varies, so the node turns ready 0 to ~500 ms after
  // its agent: on the harness a restarted leader rejected the replacements
  // of its failed tasks, assigned to it within 300 ms, with "swarm is not
  // active" in 3 of 10 runs (its libnetwork agent 502 ms after the session
  // in one), and ran them in the other 7 (docs/swarm-semantics.md section 7).
  Range manager_active_after_ready{sim::Ms(0), sim::Ms(550)};
  // From a leader going silent (its engine stopped or killed) to another
  // manager leading: Raft's randomized election timeout, ElectionTick 10
  // to 20 ticks of 1 s (etcd raft resetRandomizedElectionTimeout; swarmkit
  // manager/state/raft/raft.go DefaultNodeConfig, TickInterval 1 s), counted
  // from the last heartbeat. swarmkit hands the lead over only on a
  // demotion (role_manager.go TransferLeadership), not when the engine
  // stops. Harness: killed leader, new leader 13.4 s later; stopped
  // leader, 12.2 s after its daemon exited (docs/swarm-semantics.md
  // section 8).
  Range election{sim::Sec(10), sim::Sec(20)};
  Range operator_step{sim::Sec(2), sim::Sec(10)};  // a person typing the next command
  sim::Time settle = sim::Minute(2);
  sim::Time converge_timeout = sim::Minute(5);
  int task_history = 5;
};

struct NetworkSpec {
  std::string name;
  Ipv4Cidr subnet;
  // Addresses in use by something the model does not simulate (a leaked
  // allocation, a container attached to an attachable network): they stay
  // taken for the whole run. `swarmplan import` fills this in.
  std::vector<std::uint32_t> held;  // IPv4 addresses inside `subnet`
};

struct NodeSpec {
  std::string name;
  Role role = Role::kWorker;
  Availability availability = Availability::kActive;
  EngineVersion engine;
  std::map<std::string, std::string> labels;
  std::int64_t nano_cpus = 0;     // 0: not modelled
  std::int64_t memory_bytes = 0;  // 0: not modelled
  bool down = false;  // "state": "down": the engine is not running when the run starts
  // "joined": false: a host that is not in the swarm yet; a plan's
  // join:NODE brings it in, with `role`.
  bool joined = true;
  // "live_restore": true: its dockerd runs with --live-restore, so its
  // containers outlive the daemon's stop or death (model/faults.hpp).
  bool live_restore = false;
  // The live state of an imported cluster (docs/swarm-semantics.md section
  // 12). "held": per overlay, the addresses its tasks on their way out
  // still hold (a down or left node's: freed when the node is removed).
  // "lb_missing": overlays on which its tasks need a load-balancer address
  // that it does not have (its tasks there were rejected for want of it).
  std::map<std::string, std::vector<std::uint32_t>> held;
  std::vector<std::string> lb_missing;
  bool out() const { return down || !joined; }  // takes no part when the run starts
};

// How a rolling update (or a rollback) replaces tasks: docker's defaults
// (`docker service create --update-*`, swarmkit manager/orchestrator/update).
struct UpdateConfig {
  std::uint32_t parallelism = 1;  // slots at once; 0: all
  sim::Time delay = 0;            // after each slot (per worker)
  UpdateOrder order = UpdateOrder::kStopFirst;
  FailureAction failure_action = FailureAction::kPause;
  sim::Time monitor = sim::Sec(5);  // a new task failing this soon after it ran counts
  double max_failure_ratio = 0;     // failures / updated slots tolerated
  bool operator==(const UpdateConfig&) const = default;
};

// What a service's containers run: the part of its task template that
// changes nothing swarmplan predicts but that decides whether a redeploy is
// a rolling update. swarmkit replaces a task whose task spec differs in any
// way from the service's (orchestrator IsTaskDirty), so a `docker stack
// deploy` that changes the image, the command or the environment restarts
// every task through the updater. Read from the Engine API's
// TaskTemplate.ContainerSpec by `swarmplan import`, and from a Compose file
// as docker's converter maps it (entrypoint -> command, command -> args).
struct ContainerSpec {
  std::string image;
  std::vector<std::string> command;  // ContainerSpec.Command (Compose `entrypoint`)
  std::vector<std::string> args;     // ContainerSpec.Args (Compose `command`)
  std::vector<std::string> env;      // "KEY=VALUE" or "KEY", sorted
  std::map<std::string, std::string> labels;  // container labels
  std::string user, dir, hostname, stop_signal;
  bool operator==(const ContainerSpec&) const = default;
};

struct ServiceSpec {
  std::string name;
  ServiceMode mode = ServiceMode::kReplicated;
  std::uint32_t replicas = 1;
  std::vector<std::string> networks;
  EndpointMode endpoint_mode = EndpointMode::kVip;
  std::vector<Constraint> constraints;
  std::uint32_t max_replicas_per_node = 0;  // 0: unlimited
  RestartCondition restart_condition = RestartCondition::kAny;
  sim::Time restart_delay = sim::Sec(5);
  std::uint32_t restart_max_attempts = 0;  // 0: unlimited
  sim::Time stop_grace_period = sim::Sec(10);
  bool exits_on_sigterm = true;  // false: every stop takes the whole grace period
  bool publish_ingress = false;  // publishes a port in ingress mode
  std::int64_t reserve_nano_cpus = 0;
  std::int64_t reserve_memory_bytes = 0;
  bool deployed = true;  // false: defined, created by a plan's create:SERVICE step
  UpdateConfig update;
  UpdateConfig rollback;
  // It has a spec to roll back to (the Engine API's PreviousSpec; set by
  // `swarmplan import`); a plan's own update:SERVICE makes one too.
  bool previous_spec = false;
  // Tasks of this service that failed or were rejected on each node within
  // the last failure_window before the run (`swarmplan import` reads them
  // from the task history): the scheduler underweights those nodes, as the
  // live leader does. Counted as failures at the start of the run.
  std::map<std::string, std::uint32_t> recent_failures;
  // Its virtual IPs on its overlays as the live cluster has them (import;
  // scenario key "vips"): taken when the run starts, before any task.
  std::map<std::string, std::uint32_t> vips;
  // Not known for a scenario written by hand; a Compose redeploy of such a
  // service is planned as a rolling update (it cannot tell).
  std::optional<ContainerSpec> container;
  // The spec the plan's next rolling update of this service rolls out, when
  // it changes more than the networks: restart policy, stop grace period,
  // reservations, constraints, max_replicas_per_node (a Compose redeploy
  // that changes them; scenario key `update_to`). Tasks keep the spec of
  // the version they were created from (swarmkit reads a task's own spec
  // for its restart policy, stop grace and reservations).
  std::shared_ptr<const ServiceSpec> update_to;

  bool OnNetwork(const std::string& net) const {
    return std::find(networks.begin(), networks.end(), net) != networks.end();
  }
};

// A task of the cluster as it is (from `swarmplan import`). Tasks from
// ASSIGNED to RUNNING on a node pin their slot's first task to that node,
// so the simulated cluster starts with the real placement; the rest are
// informative. A live task's addresses stay its slot's: the slot's first
// task takes them back (docs/swarm-semantics.md section 12).
struct TaskSpec {
  std::string service;
  std::uint32_t slot = 0;  // replicated: 1-based; global: 0
  std::string node;        // empty: not assigned yet
  TaskState state = TaskState::kRunning;  // a live state: NEW to RUNNING
  std::map<std::string, std::uint32_t> addresses;  // network -> IPv4 address
};

struct UpgradeSpec {
  std::optional<EngineVersion> to;
  std::vector<std::string> order;  // step or node words, see planner/plan.hpp
  bool activate_managers_last = true;
};

struct Scenario {
  std::string name = "unnamed";
  std::optional<Ipv4Cidr> ingress;  // default depends on the first manager's engine
  std::vector<NetworkSpec> networks;
  std::vector<NodeSpec> nodes;
  std::vector<ServiceSpec> services;
  std::vector<TaskSpec> tasks;  // optional: the placement to start from
  std::string leader;  // initial leader; empty: see InitialLeader()
  UpgradeSpec upgrade;
  Timings timings;

  // The ingress subnet in effect: the given one, else the default that
  // `docker swarm init` picked on the cluster's original engine
  // (10.255.0.0/16 before 18.09, 10.0.0.0/24 from the default pool since).
  Ipv4Cidr EffectiveIngress() const;

  // Cross-field checks (names unique and known, overlaps, quorum possible).
  // Returns the first problem found.
  std::expected<void, std::string> Validate() const;

  std::optional<std::size_t> FindNode(const std::string& node_name) const;

  // The one rule for who leads when a run starts: the manager named in
  // `leader`, else the first listed manager whose engine is up. nullopt
  // only for a scenario Validate() refuses (no manager up).
  std::optional<std::size_t> InitialLeader() const;

  // The engine the upgrade installs where a step names no version:
  // upgrade.to, else 18.09 (the version the problem is about) or the newest
  // engine already in the cluster, whichever is newer (a rolling restart
  // onto it).
  EngineVersion DefaultTarget() const;
};

// The embedded default: the seed's 3 managers + 2 workers on 17.06, one
// 24-replica service on a /27, upgrading to 18.09.
Scenario DefaultScenario();

// The fields a rolling update rolls out beyond the networks (what
// ServiceSpec::update_to carries): restart policy, stop grace, SIGTERM
// behaviour, reservations, placement, container.
void CopyRolloutFields(ServiceSpec& into, const ServiceSpec& from);
// Same constraints and max_replicas_per_node.
bool SamePlacement(const ServiceSpec& a, const ServiceSpec& b);
// Same in every rollout field but the placement.
bool SameRolloutBesidesPlacement(const ServiceSpec& a, const ServiceSpec& b);

}  // namespace swarmplan::model

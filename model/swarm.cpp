#include "model/swarm.hpp"

#include <algorithm>
#include <cassert>
#include <map>

namespace swarmplan::model {

Swarm::Swarm(const Scenario& sc, std::uint64_t seed, bool trace, std::uint64_t max_events)
    : engine_(max_events), seed_(seed), rng_(seed), trace_(trace), timings_(sc.timings) {
  allocator_ = std::make_unique<Allocator>(*this);
  scheduler_ = std::make_unique<Scheduler>(*this);
  orchestrator_ = std::make_unique<Orchestrator>(*this);
  agent_ = std::make_unique<Agent>(*this);
  updater_ = std::make_unique<Updater>(*this);
  dispatcher_ = std::make_unique<Dispatcher>(*this);
  membership_ = std::make_unique<Membership>(*this);
  faults_ = std::make_unique<Faults>(*this);
  // The trial's pace, from a stream of its own (the trial's other draws do
  // not move with it).
  start_run_extra_ = sim::Rng(seed ^ 0x70616365ULL).Skewed(timings_.container_start_run.lo, timings_.container_start_run.hi);

  networks.push_back(Network{"ingress", true, AddressPool(sc.EffectiveIngress()), {}});
  for (const auto& n : sc.networks) {
    Network& net = networks.emplace_back(Network{n.name, false, AddressPool(n.subnet), {}});
    // Addresses something outside the model holds (Validate checked them).
    for (std::uint32_t a : n.held) {
      net.pool.Take(a - n.subnet.base);
      net.held.push_back(a - n.subnet.base);
    }
  }

  nodes.resize(sc.nodes.size());
  for (std::size_t i = 0; i < sc.nodes.size(); ++i) {
    const NodeSpec& spec = sc.nodes[i];
    Node& n = nodes[i];
    n.id = static_cast<NodeId>(i);
    n.name = spec.name;
    n.role = spec.role;
    n.availability = spec.availability;
    n.engine = spec.engine;
    n.labels = spec.labels;
    n.nano_cpus = spec.nano_cpus;
    n.memory_bytes = spec.memory_bytes;
    n.live_restore = spec.live_restore;
    n.attach.assign(networks.size(), kNoAddr);
    n.net_tasks.assign(networks.size(), 0);
    if (spec.down || !spec.joined) {  // down when the run starts: it holds what it held, runs nothing
      n.engine_running = false;
      n.connected = false;
      n.swarm_active = false;
      n.state = NodeState::kDown;
    }
    n.member = spec.joined;
  }

  // REQUIRES: sc.Validate() passed, so an up manager leads.
  membership_->Init(static_cast<NodeId>(sc.InitialLeader().value()));

  services.resize(sc.services.size());
  std::size_t per_node_tasks = 0;  // a node's share of the tasks, to size its task list once
  for (std::size_t i = 0; i < sc.services.size(); ++i) {
    Service& s = services[i];
    s.spec = sc.services[i];
    s.id = static_cast<ServiceId>(i);
    for (const auto& name : s.spec.networks) {
      for (NetworkId k = 1; k < networks.size(); ++k) {
        if (networks[k].name == name) s.nets.push_back(k);
      }
    }
    if (s.spec.publish_ingress) s.nets.push_back(0);
    s.active = s.spec.deployed;
    s.vips.assign(s.nets.size(), kNoAddr);
    s.previous_nets = s.nets;
    s.per_node.assign(nodes.size(), 0);
    s.constraint_ok.resize(nodes.size());
    for (const Node& n : nodes) s.constraint_ok[n.id] = MeetsConstraints(s, n);
    if (s.spec.mode == ServiceMode::kReplicated) {
      s.slots.resize(s.spec.replicas);
      s.pins.assign(s.spec.replicas, kNoId);
    } else {
      s.slots.resize(nodes.size());
    }
    // Validate() guarantees a node; a global service puts one task on each.
    per_node_tasks += s.spec.mode == ServiceMode::kReplicated ? s.spec.replicas / nodes.size() + 1 : 1;
    for (const auto& [name, count] : s.spec.recent_failures) {
      for (const Node& n : nodes) {
        if (n.name == name && count > 0) scheduler_->FailuresImported(s.id, n.id, count);
      }
    }
  }
  // A node's list grows to about its share, twice during a drain or update.
  for (Node& n : nodes) n.tasks.reserve(2 * per_node_tasks);
  // The placement of an imported cluster: a live task on a node pins its
  // slot's first task there (the scheduler honours it when the node fits).
  const std::vector<std::uint32_t> slots = ModelSlots(sc);
  if (!sc.tasks.empty()) {
    std::map<std::string, ServiceId> by_name;
    for (const Service& s : services) by_name[s.spec.name] = s.id;
    std::map<std::string, NodeId> node_by_name;
    for (const Node& n : nodes) node_by_name[n.name] = n.id;
    for (std::size_t i = 0; i < sc.tasks.size(); ++i) {
      const TaskSpec& t = sc.tasks[i];
      const auto sv = by_name.find(t.service);
      if (sv == by_name.end() || t.node.empty() || t.state < TaskState::kAssigned || slots[i] == 0) continue;
      services[sv->second].pins[slots[i] - 1] = node_by_name.at(t.node);
    }
  }
  WarmStart(sc, slots);
  if (ChecksNextSwarm()) CheckAfterEveryEvent();
}

Swarm::~Swarm() = default;

// A live replicated service's slots need not be 1..replicas (a scale down
// removes tasks of any slot): each live task keeps its slot when it is in
// range, and the others take the free ones in order. 0: no slot (a global
// task, or more live tasks than replicas while a scale down runs).
std::vector<std::uint32_t> Swarm::ModelSlots(const Scenario& sc) {
  std::vector<std::uint32_t> out(sc.tasks.size(), 0);
  for (const ServiceSpec& v : sc.services) {
    if (v.mode != ServiceMode::kReplicated) continue;
    std::vector<bool> used(v.replicas + 1, false);
    std::vector<std::size_t> outside;
    for (std::size_t i = 0; i < sc.tasks.size(); ++i) {
      const TaskSpec& t = sc.tasks[i];
      if (t.service != v.name) continue;
      if (t.slot >= 1 && t.slot <= v.replicas && !used[t.slot]) {
        used[t.slot] = true;
        out[i] = t.slot;
      } else {
        outside.push_back(i);
      }
    }
    std::uint32_t next = 1;
    for (std::size_t i : outside) {
      while (next <= v.replicas && used[next]) ++next;
      if (next > v.replicas) break;
      used[next] = true;
      out[i] = next;
    }
  }
  return out;
}

// An imported cluster starts from its live addresses (docs/swarm-semantics.md
// section 12): the VIPs, each live task's addresses (its slot's first task
// takes them back), the addresses a down node's leftover tasks hold, then a
// load-balancer address for every node whose tasks need one, except where
// the live state shows it has none. Whatever is left is what the live
// cluster has free, so the tasks that wait there wait here.
void Swarm::WarmStart(const Scenario& sc, const std::vector<std::uint32_t>& slots) {
  auto net_id = [&](const std::string& name) -> NetworkId {
    for (NetworkId k = 1; k < networks.size(); ++k) {
      if (networks[k].name == name) return k;
    }
    return kNoId;
  };
  auto take = [&](NetworkId k, std::uint32_t ip) {
    const std::uint32_t off = ip - networks[k].pool.subnet().base;
    networks[k].pool.Take(off);  // Validate(): inside the subnet, one holder
    return off;
  };
  for (Node& n : nodes) {
    n.held.assign(networks.size(), {});
    n.lb_warm.assign(networks.size(), 0);
  }
  std::vector<std::vector<std::uint8_t>> needs_lb(nodes.size(), std::vector<std::uint8_t>(networks.size(), 0));
  for (Service& s : services) {
    for (std::size_t i = 0; i < s.nets.size(); ++i) {
      const auto v = s.spec.vips.find(networks[s.nets[i]].name);
      if (v != s.spec.vips.end() && s.nets[i] != 0) s.vips[i] = take(s.nets[i], v->second);
    }
    if (!s.spec.vips.empty() && s.spec.endpoint_mode == EndpointMode::kVip) {
      s.vips_done = std::find(s.vips.begin(), s.vips.end(), kNoAddr) == s.vips.end();
    }
  }
  std::map<std::string, ServiceId> by_name;
  for (const Service& s : services) by_name[s.spec.name] = s.id;
  for (std::size_t ti = 0; ti < sc.tasks.size(); ++ti) {
    const TaskSpec& t = sc.tasks[ti];
    const auto sv = by_name.find(t.service);
    if (sv == by_name.end() || t.addresses.empty()) continue;
    Service& s = services[sv->second];
    NodeId node = kNoId;
    if (!t.node.empty()) node = static_cast<NodeId>(*sc.FindNode(t.node));
    std::size_t slot;
    if (s.spec.mode == ServiceMode::kReplicated) {
      if (slots[ti] == 0) continue;  // being scaled away: nothing will take it back
      slot = slots[ti] - 1;
    } else {
      if (node == kNoId || !s.constraint_ok[node]) continue;
      slot = node;
    }
    if (s.warm.empty()) s.warm.resize(s.slots.size());
    if (!s.warm[slot].empty()) continue;  // the slot's one live task is enough
    s.warm[slot].assign(s.nets.size(), kNoAddr);
    for (std::size_t i = 0; i < s.nets.size(); ++i) {
      if (s.nets[i] == 0) continue;  // ingress addresses are not carried
      const auto a = t.addresses.find(networks[s.nets[i]].name);
      if (a == t.addresses.end()) continue;
      s.warm[slot][i] = take(s.nets[i], a->second);
      if (node != kNoId && t.state >= TaskState::kAssigned) needs_lb[node][s.nets[i]] = 1;
    }
  }
  for (std::size_t i = 0; i < sc.nodes.size(); ++i) {
    for (const auto& [name, list] : sc.nodes[i].held) {
      const NetworkId k = net_id(name);
      for (std::uint32_t ip : list) nodes[i].held[k].push_back(take(k, ip));
      nodes[i].LbInputsChanged();
      if (!list.empty()) needs_lb[i][k] = 1;
    }
  }
  // The leader's rule (the allocator gives every node its own at the start
  // under the older ones).
  if (nodes[sc.InitialLeader().value()].engine.lb_policy() != LbPolicy::kOnDemand) return;
  for (std::size_t i = 0; i < sc.nodes.size(); ++i) {
    Node& n = nodes[i];
    if (!n.member) continue;
    for (NetworkId k = 1; k < networks.size(); ++k) {
      if (!needs_lb[i][k]) continue;
      const auto& missing = sc.nodes[i].lb_missing;
      if (std::find(missing.begin(), missing.end(), networks[k].name) != missing.end()) continue;
      const std::uint32_t off = networks[k].pool.Allocate();
      if (off == kNoAddr) continue;  // more given than the subnet holds: the allocator decides
      n.attach[k] = off;
      n.lb_warm[k] = 1;
      n.LbInputsChanged();
    }
  }
}

void Swarm::EndWarmStart() {
  for (Service& s : services) {
    for (std::size_t slot = 0; slot < s.warm.size(); ++slot) {
      for (std::size_t i = 0; i < s.warm[slot].size() && i < s.nets.size(); ++i) {
        if (s.warm[slot][i] != kNoAddr) allocator_->FreeAddress(s.nets[i], s.warm[slot][i]);
      }
    }
    s.warm.clear();
  }
  for (Node& n : nodes) {
    if (std::find(n.lb_warm.begin(), n.lb_warm.end(), 1) == n.lb_warm.end()) continue;
    std::fill(n.lb_warm.begin(), n.lb_warm.end(), 0);
    n.LbInputsChanged();
    allocator_->NodeEvent(n.id, /*own_transaction=*/true);
  }
}

bool Swarm::MeetsConstraints(const Service& s, const Node& n) const {
  return ConstraintsMatch(s.spec.constraints, n.name, n.role, n.labels);
}

void Swarm::Deploy() {
  membership_->Start();
  scheduler_->Init();
  // Nodes joined before the networks and services were created: every node
  // holds its ingress address; pre-18.09 leaders also give each node one
  // address on every overlay when the network is created.
  for (Node& n : nodes) allocator_->NodeEvent(n.id);
  for (Service& s : services) {
    if (s.active) orchestrator_->CreateService(s.id);
  }
}

std::expected<void, std::string> Swarm::CreateService(ServiceId id) {
  Service& s = services[id];
  if (!HasLeader()) return std::unexpected("cannot create service " + s.spec.name + ": the swarm has no leader");
  if (s.active) return std::unexpected("service " + s.spec.name + " already exists");
  trace_.Add(Now(), "service", [&] { return s.spec.name + " created"; });
  s.active = true;
  for (Slot& sl : s.slots) sl = Slot{};
  UpdateRunning(s, 0);  // from now on it is below its desired count until its tasks run
  orchestrator_->CreateService(id);
  return {};
}

std::expected<void, std::string> Swarm::RemoveService(ServiceId id) {
  Service& s = services[id];
  if (!HasLeader()) return std::unexpected("cannot remove service " + s.spec.name + ": the swarm has no leader");
  if (!s.active) return std::unexpected("service " + s.spec.name + " does not exist");
  trace_.Add(Now(), "service", [&] { return s.spec.name + " removed"; });
  s.active = false;
  orchestrator_->RemoveService(s);
  allocator_->ReleaseService(s);
  return {};
}

std::expected<void, std::string> Swarm::ScaleService(ServiceId id, std::uint32_t replicas) {
  Service& s = services[id];
  if (!HasLeader()) return std::unexpected("cannot scale service " + s.spec.name + ": the swarm has no leader");
  if (!s.active) return std::unexpected("service " + s.spec.name + " does not exist");
  if (s.spec.mode != ServiceMode::kReplicated) return std::unexpected("service " + s.spec.name + " is global: it cannot be scaled");
  if (replicas == s.spec.replicas) return {};
  trace_.Add(Now(), "service", [&] { return s.spec.name + " scaled " + std::to_string(s.spec.replicas) + " -> " + std::to_string(replicas); });
  const std::uint32_t from = s.spec.replicas;
  s.spec.replicas = replicas;
  orchestrator_->Scale(s, from);
  UpdateRunning(s, 0);  // the desired count changed: below-desired time starts or stops
  return {};
}

std::expected<void, std::string> Swarm::UpdateService(ServiceId id) {
  Service& s = services[id];
  if (!HasLeader()) return std::unexpected("cannot update service " + s.spec.name + ": the swarm has no leader");
  if (!s.active) return std::unexpected("service " + s.spec.name + " does not exist");
  s.previous_nets = s.nets;  // a forced update: the previous spec is this one
  ApplyPendingSpec(s, false);
  NewSpecVersion(s, s.nets);
  trace_.Add(Now(), "service", [&] { return s.spec.name + " updated (" + std::string(ToString(s.spec.update.order)) +
                                   ", parallelism " + std::to_string(s.spec.update.parallelism) + ")"; });
  updater_->Start(id, /*rollback=*/false);
  return {};
}

std::expected<void, std::string> Swarm::RollbackService(ServiceId id) {
  Service& s = services[id];
  if (!HasLeader()) return std::unexpected("cannot roll back service " + s.spec.name + ": the swarm has no leader");
  if (!s.active) return std::unexpected("service " + s.spec.name + " does not exist");
  // docker: "service ... does not have a previous spec" (swarmkit
  // controlapi UpdateService with rollback and no PreviousSpec).
  if (s.version == 0 && !s.spec.previous_spec) return std::unexpected("service " + s.spec.name + " has no previous spec to roll back to");
  RevertSpec(s);
  trace_.Add(Now(), "service", [&] { return s.spec.name + " rolled back"; });
  updater_->Start(id, /*rollback=*/true);
  return {};
}

std::expected<void, std::string> Swarm::ChangeNetwork(ServiceId id, NetworkId k, bool add) {
  Service& s = services[id];
  const char* verb = add ? "--network-add" : "--network-rm";
  if (!HasLeader()) return std::unexpected("cannot update service " + s.spec.name + ": the swarm has no leader");
  if (!s.active) return std::unexpected("service " + s.spec.name + " does not exist");
  if (k == 0 || k >= networks.size()) return std::unexpected(std::string(verb) + ": not a user overlay");
  std::vector<NetworkId> to = s.nets;
  const auto at = std::find(to.begin(), to.end(), k);
  if (add == (at != to.end())) {
    return std::unexpected("service " + s.spec.name + (add ? " is already" : " is not") + " on network " +
                           networks[k].name);
  }
  if (add) {
    // User overlays first, ingress (if it publishes) last.
    to.insert(!to.empty() && to.back() == 0 ? to.end() - 1 : to.end(), k);
  } else {
    to.erase(at);
  }
  s.previous_nets = s.nets;
  ApplyPendingSpec(s, true);
  NewSpecVersion(s, std::move(to));
  trace_.Add(Now(), "service", [&] { return s.spec.name + " updated " + verb + " " + networks[k].name + " (" +
                                   std::string(ToString(s.spec.update.order)) + ", parallelism " +
                                   std::to_string(s.spec.update.parallelism) + ")"; });
  updater_->Start(id, /*rollback=*/false);
  return {};
}

void Swarm::RevertSpec(Service& s) {
  std::vector<NetworkId> back = s.previous_nets;
  s.previous_nets = s.nets;
  s.placement_only_version = 0;
  if (s.previous_fields) SwapSpec(s, *s.previous_fields);  // back to the fields before the last update
  NewSpecVersion(s, std::move(back));
}

void Swarm::ApplyPendingSpec(Service& s, bool networks_change) {
  if (!s.spec.update_to) {
    s.previous_fields.reset();  // the previous spec's fields are the current ones
    s.placement_only_version = 0;
    return;
  }
  const std::shared_ptr<const ServiceSpec> to = std::move(s.spec.update_to);
  s.spec.update_to.reset();
  ServiceSpec now = s.spec;
  CopyRolloutFields(now, *to);
  const bool placement = !SamePlacement(now, s.spec);
  const bool other = networks_change || !SameRolloutBesidesPlacement(now, s.spec);
  SwapSpec(s, std::move(now));
  trace_.Add(Now(), "service", [&] {
    return s.spec.name + ": the update rolls out a new spec" + std::string(placement && !other ? " (placement only)" : "");
  });
  // Only the placement changed: a task on a node that meets the new
  // constraints is not dirty.
  s.placement_only_version = placement && !other ? s.version + 1 : 0;
}

void Swarm::SwapSpec(Service& s, ServiceSpec next) {
  const bool placement = !SamePlacement(next, s.spec);
  s.older_specs.emplace_back(s.version, s.spec);
  ServiceSpec was = s.spec;
  was.update_to.reset();
  CopyRolloutFields(s.spec, next);
  s.previous_fields = std::move(was);
  if (placement) {
    for (const Node& n : nodes) s.constraint_ok[n.id] = MeetsConstraints(s, n);
    scheduler_->SpecChanged(s.id);
  }
}

void Swarm::NewSpecVersion(Service& s, std::vector<NetworkId> nets) {
  if (nets != s.nets) {
    s.older_nets.emplace_back(s.version, s.nets);
    allocator_->NetworksChanged(s, nets);
    s.nets = std::move(nets);
  }
  ++s.version;
}

std::string Swarm::TaskName(const Task& t) const {
  const Service& s = services[t.service];
  std::string name = s.spec.name + ".";
  name += s.spec.mode == ServiceMode::kGlobal ? nodes[t.slot].name : std::to_string(t.slot);
  return name + "#" + std::to_string(t.id);
}

TaskId Swarm::CreateTask(ServiceId sid, std::uint32_t slot, NodeId preset, TaskState desired) {
  const auto id = static_cast<TaskId>(tasks.size());
  Task& t = tasks.emplace_back();
  t.id = id;
  t.service = sid;
  t.slot = slot;
  t.version = services[sid].version;
  t.node = preset;
  t.desired = desired;
  t.created = Now();
  t.state_since = Now();
  t.addrs.assign(services[sid].nets.size(), kNoAddr);
  ++transitional_;
  scheduler_->StoreCommitted();
  if (trace_.enabled()) {
    trace_.Add(Now(), "task", [&] { return TaskName(t) + " created NEW (desired " + std::string(ToString(desired)) + ")"; });
  }
  // A global task carries its node from birth; the allocator recomputes
  // that node's attachments before it allocates the task (doTaskAlloc),
  // from the networks of the node's tasks as their attachments say, which a
  // task has only once allocated (getNodeNetworks): the new task's own
  // networks count for its node from its allocation on
  // (docs/swarm-semantics.md section 1).
  if (preset != kNoId) AttachToNode(t, preset);
  allocator_->TaskCreated(id);
  return id;
}

void Swarm::SetState(Task& t, TaskState s, std::string_view err) {
  const TaskState old = t.state;
  if (old == s) return;
  scheduler_->StoreCommitted();
  assert(!IsTerminal(old) && "terminal tasks do not change state");
  const bool was_transitional = Transitional(t);
  t.state = s;
  t.state_since = Now();
  if (!err.empty()) t.err = err;
  if (trace_.enabled()) {
    std::string text = TaskName(t) + " " + std::string(ToString(old)) + " -> " + std::string(ToString(s));
    if (t.node != kNoId && s == TaskState::kAssigned) text += " on " + nodes[t.node].name;
    if (!err.empty()) text += ": \"" + std::string(err) + "\"";
    trace_.Add(Now(), s == TaskState::kRejected ? "reject" : "task", std::move(text));
  }
  Service& svc = services[t.service];
  if (s == TaskState::kRunning) UpdateRunning(svc, +1);
  if (old == TaskState::kRunning) UpdateRunning(svc, -1);
  const bool is_transitional = Transitional(t);
  if (was_transitional != is_transitional) {
    if (is_transitional) ++transitional_; else --transitional_;
  }
  if (IsTerminal(s)) {
    OnTerminal(t, old);
  } else if (t.on_node && s >= TaskState::kAccepted) {
    dispatcher_->ReportProgress(t);  // the worker's own report
  } else if (t.on_node) {
    allocator_->NodeEvent(t.node);
  }
  if (s >= TaskState::kRunning) updater_->TaskProgressed(t);
}

void Swarm::OnTerminal(Task& t, TaskState /*old*/) {
  if (t.agent.waiting_attach) agent_->StopWaiting(t);
  engine_.Cancel(t.agent.op);
  allocator_->TaskTerminal(t);
  if (t.on_node) {
    Node& n = nodes[t.node];
    const std::uint32_t pos = t.node_pos;
    n.tasks[pos] = n.tasks.back();
    tasks[n.tasks[pos]].node_pos = pos;
    n.tasks.pop_back();
    if (t.allocated) CountNetworks(t, -1);
    t.on_node = false;
  }
  RefreshCounted(t);
  const bool failed = t.state == TaskState::kFailed || t.state == TaskState::kRejected;
  if (t.state == TaskState::kRejected) {
    if (t.err == kErrMissingAttachments) {
      bool held = t.node != kNoId;
      for (NetworkId k : services[t.service].NetsOf(t.version)) held = held && nodes[t.node].attach[k] != kNoAddr;
      if (held) ++metrics.rejected_attachment_race; else ++metrics.rejected_missing_attachments;
    }
    else if (t.err == kErrSwarmNotActive) ++metrics.rejected_swarm_inactive;
    if (metrics.first_reject_time < 0) metrics.first_reject_time = Now();
    metrics.last_reject_time = Now();
  } else if (t.state == TaskState::kFailed) {
    ++metrics.failed_other;
  }
  if (failed && t.node != kNoId && services[t.service].spec.mode == ServiceMode::kReplicated) {
    scheduler_->TaskFailed(t);
  }
  orchestrator_->TaskTerminal(t);
}

void Swarm::SetDesired(Task& t, TaskState d) {
  if (t.desired == d) return;
  scheduler_->StoreCommitted();
  const bool was_transitional = Transitional(t);
  if (trace_.enabled()) {
    trace_.Add(Now(), "task", [&] { return TaskName(t) + " desired " + std::string(ToString(t.desired)) + " -> " +
                                  std::string(ToString(d)); });
  }
  t.desired = d;
  const bool is_transitional = Transitional(t);
  if (was_transitional != is_transitional) {
    if (is_transitional) ++transitional_; else --transitional_;
  }
  if (IsTerminal(t.state)) return;
  RefreshCounted(t);
  // An update of a task on a node: the allocator recomputes the node at it
  // (the orchestrator's or restart supervisor's own transaction).
  if (t.on_node) allocator_->NodeEvent(t.node, /*own_transaction=*/true);
  if (d > TaskState::kRunning && t.state < TaskState::kAssigned) {
    // Never reached a node: nothing to stop.
    SetState(t, TaskState::kShutdown);
    return;
  }
  if (t.on_node && t.state >= TaskState::kAssigned) {
    // The worker learns of it when the dispatcher's stream sends the
    // change, not at once: this is the race of docs/swarm-semantics.md
    // section 3 between a replacement's start and its node's new LB
    // address. A task not assigned yet (a global task is its node's from
    // its creation, but still NEW while it has no address) is not sent at
    // all: the dispatcher's stream skips tasks below ASSIGNED (swarmkit
    // dispatcher.go Assignments); it gets its latest desired state with
    // its assignment.
    dispatcher_->Modified(t.node, t.id);
  }
}

void Swarm::CountNetworks(const Task& t, int delta) {
  Node& n = nodes[t.node];
  for (NetworkId k : services[t.service].NetsOf(t.version)) {
    n.net_tasks[k] = static_cast<std::uint32_t>(static_cast<int>(n.net_tasks[k]) + delta);
  }
  n.LbInputsChanged();
}

void Swarm::AttachToNode(Task& t, NodeId n) {
  Node& node = nodes[n];
  t.node = n;
  t.on_node = true;
  t.node_pos = static_cast<std::uint32_t>(node.tasks.size());
  node.tasks.push_back(t.id);
  if (t.allocated) CountNetworks(t, +1);
  allocator_->NodeEvent(n);
}

void Swarm::AssignNode(Task& t, NodeId n) {
  if (!t.on_node) AttachToNode(t, n);
  SetState(t, TaskState::kAssigned);
  RefreshCounted(t);
  dispatcher_->Assigned(t);
}

void Swarm::RefreshCounted(Task& t) {
  const bool should = t.on_node && t.state >= TaskState::kAssigned && !IsTerminal(t.state) &&
                      t.desired <= TaskState::kRunning;
  if (should == t.counted) return;
  t.counted = should;
  scheduler_->CountChanged(t, should ? +1 : -1);
}

void Swarm::UpdateRunning(Service& s, int delta) {
  s.running = static_cast<std::uint32_t>(static_cast<int>(s.running) + delta);
  if (!measuring_) return;
  const std::uint32_t want = s.desired();
  if (s.running < s.min_running) {
    s.min_running = s.running;
    s.min_running_at = Now();
  }
  if (s.running >= want && s.below_since >= 0) {
    s.below_total += Now() - s.below_since;
    s.below_since = -1;
  } else if (s.running < want && s.below_since < 0) {
    s.below_since = Now();
  }
}

void Swarm::StartMeasuring() {
  EndWarmStart();
  measuring_ = true;
  for (Network& n : networks) n.pool.ResetPeak();
  metrics = SwarmMetrics{};
  metrics.max_unallocated = allocator_->unallocated();
  for (Service& s : services) {
    s.min_running = s.running;
    s.min_running_at = Now();
    s.below_total = 0;
    s.below_since = s.running < s.desired() ? Now() : -1;
  }
}

void Swarm::FinishMeasuring() {
  for (Service& s : services) {
    if (s.below_since >= 0) {
      s.below_total += Now() - s.below_since;
      s.below_since = Now();
    }
  }
}

bool Swarm::Converged() const {
  if (transitional_ != 0 || updater_->Busy()) return false;
  for (const Service& s : services) {
    if (s.running != s.desired()) return false;
  }
  return true;
}

// --- Operator actions and the control plane. ---

std::expected<void, std::string> Swarm::SetAvailability(NodeId id, Availability a) {
  if (!HasLeader()) {
    return std::unexpected("cannot update node " + nodes[id].name + ": the swarm has no leader (" +
                           std::to_string(reachable_managers()) + " of " + std::to_string(managers()) +
                           " managers reachable)");
  }
  Node& n = nodes[id];
  if (n.availability == a) return {};
  trace_.Add(Now(), "node", [&] { return n.name + " availability " + std::string(ToString(n.availability)) + " -> " +
                                std::string(ToString(a)); });
  n.availability = a;
  scheduler_->StoreCommitted();
  scheduler_->NodeChanged(id);
  allocator_->NodeEvent(id);
  if (a == Availability::kDrain) orchestrator_->NodeDrained(id);
  if (n.schedulable()) orchestrator_->NodeSchedulable(id);
  return {};
}

}  // namespace swarmplan::model

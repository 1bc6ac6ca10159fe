// Swarm::CheckInvariants: the bookkeeping every component keeps in the
// store, recomputed from scratch and compared. Tests run it after every
// event (SetInvariantChecks), as deterministic simulators check their
// invariants after every step: a change that breaks one fails at the event
// that broke it, with the time and the seed, not trials later as a wrong
// probability.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "model/swarm.hpp"

namespace swarmplan::model {

namespace {

std::atomic<std::uint32_t> g_one_swarm_in{0};
std::atomic<std::uint64_t> g_swarms{0};

// Scratch kept between checks (a check runs after every event of a test):
// filled afresh each time, allocated once.
struct Scratch {
  std::vector<std::vector<std::uint32_t>> claims;
  std::vector<std::uint32_t> on_node, counted, net_tasks, running, per_node;
};

template <class T>
void Zero(std::vector<T>& v, std::size_t n) {
  v.assign(n, T{});
}

}  // namespace

void SetInvariantChecks(std::uint32_t one_swarm_in) { g_one_swarm_in = one_swarm_in; }
std::uint32_t InvariantChecks() { return g_one_swarm_in; }

bool ChecksNextSwarm() {
  const std::uint32_t every = g_one_swarm_in;
  return every != 0 && g_swarms.fetch_add(1) % every == 0;
}

std::optional<std::string> Swarm::CheckInvariants() const {
  const auto fail = [&](const std::string& what) -> std::optional<std::string> { return what; };
  // Addresses: on every network, each address taken in the pool has one
  // holder (the three reserved, the held ones, a task, a VIP, a node's load
  // balancer), and no holder's address is free or held twice.
  thread_local Scratch scratch;
  std::vector<std::vector<std::uint32_t>>& claims = scratch.claims;
  claims.resize(networks.size());
  for (std::size_t k = 0; k < networks.size(); ++k) {
    const AddressPool& pool = networks[k].pool;
    claims[k].assign({0, 1, static_cast<std::uint32_t>(pool.capacity() - 1)});
    claims[k].insert(claims[k].end(), networks[k].held.begin(), networks[k].held.end());
  }
  for (const Task& t : tasks) {
    const std::vector<NetworkId>& nets = services[t.service].NetsOf(t.version);
    if (t.addrs.size() != nets.size()) return fail(TaskName(t) + " has " + std::to_string(t.addrs.size()) + " address slots for " + std::to_string(nets.size()) + " networks");
    for (std::size_t i = 0; i < nets.size(); ++i) {
      if (t.addrs[i] != kNoAddr) claims[nets[i]].push_back(t.addrs[i]);
    }
    if (t.allocated && std::any_of(t.addrs.data(), t.addrs.data() + t.addrs.size(), [](std::uint32_t a) { return a == kNoAddr; })) {
      return fail(TaskName(t) + " is allocated but lacks an address");
    }
  }
  for (const Service& s : services) {
    for (std::size_t i = 0; i < s.vips.size() && i < s.nets.size(); ++i) {
      if (s.vips[i] != kNoAddr) claims[s.nets[i]].push_back(s.vips[i]);
    }
  }
  for (const Node& n : nodes) {
    for (std::size_t k = 0; k < n.attach.size(); ++k) {
      if (n.attach[k] != kNoAddr) claims[k].push_back(n.attach[k]);
    }
    for (std::size_t k = 0; k < n.held.size(); ++k) claims[k].insert(claims[k].end(), n.held[k].begin(), n.held[k].end());
    if (n.lb_settled == 1 + static_cast<int>(lb_policy()) && !allocator_->Settled(n.id)) {
      return fail(n.name + " is marked settled for the allocator, but a pass over it would change its load-balancer addresses");
    }
  }
  for (const Service& s : services) {
    for (const auto& slot : s.warm) {
      for (std::size_t i = 0; i < slot.size() && i < s.nets.size(); ++i) {
        if (slot[i] != kNoAddr) claims[s.nets[i]].push_back(slot[i]);
      }
    }
  }
  for (std::size_t k = 0; k < networks.size(); ++k) {
    std::vector<std::uint32_t>& c = claims[k];
    const AddressPool& pool = networks[k].pool;
    std::sort(c.begin(), c.end());
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (c[i] >= pool.capacity() || !pool.InUse(c[i])) {
        return fail("address " + pool.Address(c[i]) + " on " + networks[k].name + " has a holder but is free in the pool");
      }
      if (i > 0 && c[i] == c[i - 1]) return fail("address " + pool.Address(c[i]) + " on " + networks[k].name + " has two holders");
    }
    if (c.size() != pool.used()) {
      return fail(networks[k].name + ": " + std::to_string(pool.used()) + " addresses taken in the pool, " +
                  std::to_string(c.size()) + " held by someone");
    }
  }
  // Tasks: each node lists exactly its live tasks, with their positions and
  // per-network counts; the scheduler's counts match the counted tasks;
  // each service's running count and the swarm's transitional count match.
  const std::size_t nn = nodes.size(), nk = networks.size();
  std::vector<std::uint32_t>& on_node = scratch.on_node;
  std::vector<std::uint32_t>& counted = scratch.counted;
  std::vector<std::uint32_t>& net_tasks = scratch.net_tasks;  // [node * nk + network]
  std::vector<std::uint32_t>& running = scratch.running;
  std::vector<std::uint32_t>& per_node = scratch.per_node;    // [service * nn + node]
  Zero(on_node, nn);
  Zero(counted, nn);
  Zero(net_tasks, nn * nk);
  Zero(running, services.size());
  Zero(per_node, services.size() * nn);
  std::uint64_t transitional = 0;
  for (const Task& t : tasks) {
    if (t.on_node) {
      if (IsTerminal(t.state)) return fail(TaskName(t) + " is " + std::string(ToString(t.state)) + " but still on its node");
      const Node& n = nodes[t.node];
      if (t.node_pos >= n.tasks.size() || n.tasks[t.node_pos] != t.id) return fail(TaskName(t) + " is not where its node lists it");
      ++on_node[t.node];
      if (t.allocated) {
        for (NetworkId k : services[t.service].NetsOf(t.version)) ++net_tasks[t.node * nk + k];
      }
    }
    const bool should_count = t.on_node && t.state >= TaskState::kAssigned && !IsTerminal(t.state) && t.desired <= TaskState::kRunning;
    if (t.counted != should_count) return fail(TaskName(t) + (t.counted ? " is counted by the scheduler but should not be" : " should be counted by the scheduler"));
    if (t.counted) {
      ++counted[t.node];
      ++per_node[t.service * nn + t.node];
    }
    running[t.service] += t.state == TaskState::kRunning;
    transitional += Transitional(t);
    if (IsTerminal(t.state) && t.agent.waiting_attach) return fail(TaskName(t) + " ended but still waits for attachments");
  }
  for (const Node& n : nodes) {
    if (n.tasks.size() != on_node[n.id]) return fail(n.name + " lists " + std::to_string(n.tasks.size()) + " tasks, " + std::to_string(on_node[n.id]) + " are on it");
    if (n.sched.active_tasks != counted[n.id]) return fail(n.name + ": the scheduler counts " + std::to_string(n.sched.active_tasks) + " tasks, " + std::to_string(counted[n.id]) + " are counted");
    for (std::size_t k = 0; k < networks.size(); ++k) {
      if (n.net_tasks[k] != net_tasks[n.id * nk + k]) return fail(n.name + ": " + std::to_string(n.net_tasks[k]) + " tasks counted on " + networks[k].name + ", " + std::to_string(net_tasks[n.id * nk + k]) + " there");
    }
  }
  for (const Service& s : services) {
    if (s.running != running[s.id]) return fail(s.spec.name + ": " + std::to_string(s.running) + " counted running, " + std::to_string(running[s.id]) + " are");
    for (const Node& n : nodes) {
      if (s.per_node[n.id] != per_node[s.id * nn + n.id]) return fail(s.spec.name + " on " + n.name + ": the scheduler counts " + std::to_string(s.per_node[n.id]) + ", " + std::to_string(per_node[s.id * nn + n.id]) + " are counted");
    }
  }
  if (transitional != transitional_) return fail(std::to_string(transitional_) + " tasks counted in transition, " + std::to_string(transitional) + " are");
  // Quorum bookkeeping: the managers counted are the member managers; a
  // leader is a member manager whose engine runs, not cut off.
  int managers = 0;
  for (const Node& n : nodes) managers += n.member && n.role == Role::kManager;
  if (managers != this->managers()) return fail(std::to_string(this->managers()) + " managers counted, " + std::to_string(managers) + " in the swarm");
  if (HasLeader()) {
    const Node& l = nodes[leader()];
    if (!l.member || l.role != Role::kManager || !l.engine_running) return fail("leader " + l.name + " is not a running manager of the swarm");
    if (l.fault.partitioned) return fail("leader " + l.name + " is cut off from the other managers");
  }
  return std::nullopt;
}

void Swarm::CheckAfterEveryEvent() {
  checking_ = true;
  engine_.SetObserver([this] {
    if (auto broken = CheckInvariants()) {
      std::fprintf(stderr, "invariant broken after the event at t=%lld ms (seed %llu): %s\n",
                   static_cast<long long>(Now() / sim::kMillisecond), static_cast<unsigned long long>(seed_),
                   broken->c_str());
      std::abort();
    }
    if (observer_) observer_();
  });
}

void Swarm::SetObserver(std::function<void()> f) {
  observer_ = std::move(f);
  if (checking_) {
    CheckAfterEveryEvent();
  } else {
    engine_.SetObserver(observer_);
  }
}

}  // namespace swarmplan::model

#include "model/scenario.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "model/try.hpp"

namespace swarmplan::model {

Ipv4Cidr Scenario::EffectiveIngress() const {
  if (ingress) return *ingress;
  for (const auto& n : nodes) {
    if (n.role == Role::kManager) {
      if (n.engine < EngineVersion{18, 9}) return *Ipv4Cidr::Parse("10.255.0.0/16");
      break;
    }
  }
  return *Ipv4Cidr::Parse("10.0.0.0/24");
}

std::optional<std::size_t> Scenario::FindNode(const std::string& node_name) const {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == node_name) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> Scenario::InitialLeader() const {
  if (!leader.empty()) return FindNode(leader);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].role == Role::kManager && !nodes[i].out()) return i;
  }
  return std::nullopt;
}

EngineVersion Scenario::DefaultTarget() const {
  if (upgrade.to) return *upgrade.to;
  EngineVersion newest{18, 9};
  for (const auto& n : nodes) newest = std::max(newest, n.engine);
  return newest;
}

std::expected<void, std::string> Scenario::Validate() const {
  if (nodes.empty()) return std::unexpected("/nodes: a swarm needs at least one node");
  if (nodes.size() > 100'000) return std::unexpected("/nodes: more than 100000 nodes");
  std::set<std::string> names;
  int managers = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!names.insert(nodes[i].name).second) {
      return std::unexpected("/nodes/" + std::to_string(i) + "/name: \"" + nodes[i].name + "\" appears twice");
    }
    managers += nodes[i].role == Role::kManager && nodes[i].joined;
  }
  if (managers == 0) return std::unexpected("/nodes: a swarm needs at least one manager (in the swarm: not \"joined\": false)");
  if (!leader.empty()) {
    auto l = FindNode(leader);
    if (!l) return std::unexpected("/leader: no node is named \"" + leader + "\"");
    if (nodes[*l].role != Role::kManager) return std::unexpected("/leader: \"" + leader + "\" is not a manager");
    if (!nodes[*l].joined) return std::unexpected("/leader: \"" + leader + "\" is not in the swarm yet (\"joined\": false)");
  }
  const Ipv4Cidr ing = EffectiveIngress();
  std::set<std::string> nets;
  for (std::size_t i = 0; i < networks.size(); ++i) {
    const std::string ptr = "/networks/" + std::to_string(i);
    if (networks[i].name == "ingress") return std::unexpected(ptr + "/name: \"ingress\" is the swarm's own network");
    if (!nets.insert(networks[i].name).second) return std::unexpected(ptr + "/name: \"" + networks[i].name + "\" appears twice");
    if (networks[i].subnet.Overlaps(ing)) {
      return std::unexpected(ptr + "/subnet: " + networks[i].subnet.ToString() +
                             ": Pool overlaps with other one on this address space (ingress holds " +
                             ing.ToString() + ")");
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (networks[i].subnet.Overlaps(networks[k].subnet)) {
        return std::unexpected(ptr + "/subnet: " + networks[i].subnet.ToString() +
                               ": Pool overlaps with other one on this address space (network \"" +
                               networks[k].name + "\" holds " + networks[k].subnet.ToString() + ")");
      }
    }
  }
  std::set<std::string> svcs;
  std::uint64_t task_count = 0;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const std::string ptr = "/services/" + std::to_string(i);
    if (!svcs.insert(services[i].name).second) return std::unexpected(ptr + "/name: \"" + services[i].name + "\" appears twice");
    if (!services[i].deployed && services[i].previous_spec) {
      return std::unexpected(ptr + "/previous_spec: a service the plan creates (\"deployed\": false) has no previous spec");
    }
    std::set<std::string> seen;
    for (std::size_t k = 0; k < services[i].networks.size(); ++k) {
      const std::string& n = services[i].networks[k];
      if (!nets.contains(n)) {
        return std::unexpected(ptr + "/networks/" + std::to_string(k) + ": no overlay network is named \"" + n + "\"");
      }
      if (!seen.insert(n).second) return std::unexpected(ptr + "/networks/" + std::to_string(k) + ": \"" + n + "\" is listed twice");
    }
    task_count += services[i].mode == ServiceMode::kGlobal ? nodes.size() : services[i].replicas;
    for (const auto& [node, count] : services[i].recent_failures) {
      if (!FindNode(node)) return std::unexpected(ptr + "/recent_failures/" + node + ": no node is named \"" + node + "\"");
      if (count > 100'000) return std::unexpected(ptr + "/recent_failures/" + node + ": more than 100000 failures");
    }
  }
  if (task_count > 5'000'000) return std::unexpected("/services: more than 5000000 tasks in all");
  // Down nodes: the swarm must still have a leader and quorum at the start.
  int managers_down = 0;
  for (const auto& n : nodes) managers_down += n.role == Role::kManager && n.joined && n.down;
  if (managers_down * 2 >= managers) {
    return std::unexpected("/nodes: " + std::to_string(managers_down) + " of " + std::to_string(managers) +
                           " managers are down: the swarm has no quorum, so nothing can be planned on it");
  }
  if (!leader.empty()) {
    const std::size_t l = *FindNode(leader);
    if (nodes[l].down) {
      return std::unexpected("/leader: \"" + leader + "\" is down (its /nodes/" + std::to_string(l) +
                             "/state); a down manager cannot lead: name an up manager, or leave /leader out");
    }
  }
  // An address of a network's subnet that is not the network, gateway or
  // broadcast address.
  auto check_address = [](const std::string& where, std::uint32_t ip, const Ipv4Cidr& net) -> std::expected<std::uint32_t, std::string> {
    const std::string text = FormatIpv4(ip);
    if (ip < net.base || ip > net.last()) return std::unexpected(where + ": " + text + " is outside " + net.ToString());
    const std::uint32_t off = ip - net.base;
    if (off <= 1 || off == net.size() - 1) {
      return std::unexpected(where + ": " + text + " is one of the reserved network, gateway and broadcast addresses of " + net.ToString());
    }
    return off;
  };
  // Every address given (held by a network or a node, a VIP, a task's) has
  // one holder: network name -> address -> where it was first given.
  std::map<std::string, std::map<std::uint32_t, std::string>> holder;
  auto claim = [&](const std::string& where, const std::string& net, std::uint32_t ip) -> std::expected<void, std::string> {
    const NetworkSpec* spec = nullptr;
    for (const auto& n : networks) spec = n.name == net ? &n : spec;
    if (spec == nullptr) return std::unexpected(where + ": no overlay network is named \"" + net + "\"");
    SWARMPLAN_CHECK(check_address(where, ip, spec->subnet));
    auto [it, fresh] = holder[net].emplace(ip, where);
    if (!fresh) return std::unexpected(where + ": " + FormatIpv4(ip) + " is already given at " + it->second);
    return {};
  };
  for (std::size_t i = 0; i < networks.size(); ++i) {
    for (std::size_t k = 0; k < networks[i].held.size(); ++k) {
      SWARMPLAN_CHECK(claim("/networks/" + std::to_string(i) + "/held/" + std::to_string(k), networks[i].name, networks[i].held[k]));
    }
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string ptr = "/nodes/" + std::to_string(i);
    for (const auto& [net, list] : nodes[i].held) {
      if (!nodes[i].joined && !list.empty()) return std::unexpected(ptr + "/held: a node not in the swarm holds nothing");
      for (std::size_t k = 0; k < list.size(); ++k) SWARMPLAN_CHECK(claim(ptr + "/held/" + net + "/" + std::to_string(k), net, list[k]));
    }
    for (std::size_t k = 0; k < nodes[i].lb_missing.size(); ++k) {
      if (!nets.contains(nodes[i].lb_missing[k])) {
        return std::unexpected(ptr + "/lb_missing/" + std::to_string(k) + ": no overlay network is named \"" + nodes[i].lb_missing[k] + "\"");
      }
    }
  }
  for (std::size_t i = 0; i < services.size(); ++i) {
    const ServiceSpec& v = services[i];
    for (const auto& [net, ip] : v.vips) {
      const std::string where = "/services/" + std::to_string(i) + "/vips/" + net;
      if (v.endpoint_mode != EndpointMode::kVip) return std::unexpected(where + ": \"" + v.name + "\" uses DNS round-robin, which has no VIP");
      if (!v.deployed) return std::unexpected(where + ": \"" + v.name + "\" is not deployed, so it has no VIP yet");
      if (!v.OnNetwork(net)) {
        return std::unexpected(where + ": \"" + v.name + "\" is not on a network named \"" + net + "\"");
      }
      SWARMPLAN_CHECK(claim(where, net, ip));
    }
  }
  std::set<std::pair<std::string, std::uint32_t>> slots;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TaskSpec& t = tasks[i];
    const std::string ptr = "/tasks/" + std::to_string(i);
    const ServiceSpec* svc = nullptr;
    for (const auto& v : services) svc = v.name == t.service ? &v : svc;
    if (svc == nullptr) return std::unexpected(ptr + "/service: no service is named \"" + t.service + "\"");
    if (!svc->deployed) return std::unexpected(ptr + "/service: \"" + t.service + "\" is not deployed (\"deployed\": false), so it has no tasks");
    if (svc->mode == ServiceMode::kReplicated && t.slot == 0) return std::unexpected(ptr + "/slot: a replicated service's task needs its slot (from 1)");
    if (svc->mode == ServiceMode::kGlobal && t.slot != 0) return std::unexpected(ptr + "/slot: a global service's tasks have no slot");
    if (!t.node.empty() && !FindNode(t.node)) return std::unexpected(ptr + "/node: no node is named \"" + t.node + "\"");
    if (IsTerminal(t.state)) return std::unexpected(ptr + "/state: \"" + ApiName(t.state) + "\" is not a live task state");
    if (t.state >= TaskState::kAssigned && t.node.empty()) return std::unexpected(ptr + "/node: a task " + ApiName(t.state) + " must name its node");
    if (svc->mode == ServiceMode::kReplicated && t.state >= TaskState::kAssigned && !slots.insert({t.service, t.slot}).second) {
      return std::unexpected(ptr + ": slot " + std::to_string(t.slot) + " of \"" + t.service + "\" already has a live task on a node");
    }
    for (const auto& [net, addr] : t.addresses) {
      const std::string where = ptr + "/addresses/" + net;
      if (net == "ingress") {
        if (!svc->publish_ingress) return std::unexpected(where + ": \"" + t.service + "\" publishes no ingress port");
        SWARMPLAN_CHECK(check_address(where, addr, ing));
        continue;
      }
      if (!svc->OnNetwork(net)) {
        return std::unexpected(where + ": \"" + t.service + "\" is not on a network named \"" + net + "\"");
      }
      SWARMPLAN_CHECK(claim(where, net, addr));
    }
  }
  return {};
}

Scenario DefaultScenario() {
  Scenario s;
  s.name = "seed: 3 managers + 2 workers, 24 replicas on a /27, 17.06 -> 18.09";
  const EngineVersion from{17, 6};
  for (int i = 0; i < 5; ++i) {
    NodeSpec n;
    n.name = i < 3 ? "manager" + std::to_string(i + 1) : "worker" + std::to_string(i - 2);
    n.role = i < 3 ? Role::kManager : Role::kWorker;
    n.engine = from;
    s.nodes.push_back(n);
  }
  s.networks.push_back({"ex_net", *Ipv4Cidr::Parse("10.0.0.0/27"), {}});
  ServiceSpec svc;
  svc.name = "ex_service";
  svc.replicas = 24;
  svc.networks = {"ex_net"};
  s.services.push_back(svc);
  s.upgrade.to = EngineVersion{18, 9};
  return s;
}

void CopyRolloutFields(ServiceSpec& into, const ServiceSpec& from) {
  into.restart_condition = from.restart_condition;
  into.restart_delay = from.restart_delay;
  into.restart_max_attempts = from.restart_max_attempts;
  into.stop_grace_period = from.stop_grace_period;
  into.exits_on_sigterm = from.exits_on_sigterm;
  into.reserve_nano_cpus = from.reserve_nano_cpus;
  into.reserve_memory_bytes = from.reserve_memory_bytes;
  into.constraints = from.constraints;
  into.max_replicas_per_node = from.max_replicas_per_node;
  into.container = from.container;
}

bool SamePlacement(const ServiceSpec& a, const ServiceSpec& b) {
  return a.max_replicas_per_node == b.max_replicas_per_node &&
         std::equal(a.constraints.begin(), a.constraints.end(), b.constraints.begin(), b.constraints.end(),
                    [](const Constraint& x, const Constraint& y) { return x.text == y.text; });
}

bool SameRolloutBesidesPlacement(const ServiceSpec& a, const ServiceSpec& b) {
  return a.restart_condition == b.restart_condition && a.restart_delay == b.restart_delay &&
         a.restart_max_attempts == b.restart_max_attempts && a.stop_grace_period == b.stop_grace_period &&
         a.exits_on_sigterm == b.exits_on_sigterm && a.reserve_nano_cpus == b.reserve_nano_cpus &&
         a.reserve_memory_bytes == b.reserve_memory_bytes && a.container == b.container;
}

}  // namespace swarmplan::model

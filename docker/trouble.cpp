#include "docker/trouble.hpp"

#include <algorithm>
#include <set>

#include "model/constraint.hpp"
#include "model/try.hpp"

namespace swarmplan::docker {

using nlohmann::json;
using namespace answers;

std::uint64_t NetworkTrouble::in_use() const {
  std::uint64_t n = reserved + vips.size() + lb_nodes.size() + other_held;
  for (const auto& [svc, c] : task_addresses) n += c;
  for (const NodeHold& h : leftovers) n += h.addresses;
  return n;
}

bool Trouble::healthy() const {
  for (const NetworkTrouble& n : networks) {
    if (n.troubled()) return false;
  }
  for (const ServiceState& s : services) {
    if (s.running < s.desired || s.waiting_new > 0) return false;
  }
  return true;
}

namespace {

// How long a failure counts as current: swarmkit's scheduler forgets a
// node's failures of a service after five minutes (failure_window), and so
// does this reading.
constexpr double kWindow = 300;

void Widen(Plight& p, double when) {
  if (p.tasks == 0 || when < p.first) p.first = when;
  if (p.tasks == 0 || when > p.last) p.last = when;
  ++p.tasks;
}

}  // namespace

std::expected<Trouble, std::string> ReadTrouble(const ApiState& st) {
  try {
    Trouble out;
    std::vector<model::NodeSpec> nodes;
    std::string leader;
    auto f = SWARMPLAN_TRY(Gather(st, &nodes, &leader, nullptr));
    out.cluster_id = Str(Obj(Obj(st.info, "Swarm"), "Cluster"), "ID");
    out.leader_engine = f.leader_engine;
    const auto now = ApiSeconds(Str(st.info, "SystemTime"));
    if (!now) return std::unexpected("GET /info gave no SystemTime the reading can date tasks by");
    out.now = *now;
    model::LbPolicy policy = model::LbPolicy::kOnDemand;
    if (auto v = model::EngineVersion::Parse(f.leader_engine); v) policy = v->lb_policy();

    // Nodes: name -> (state, since).
    std::map<std::string, std::pair<std::string, double>> node_state;
    std::map<std::string, const model::NodeSpec*> spec_of;
    for (const auto& n : nodes) spec_of[n.name] = &n;
    for (const json& n : st.nodes) {
      Reading reading("node " + SafeStr(n, "ID"));
      const std::string name = f.node_name[Str(n, "ID")];
      const std::string state = Str(Obj(n, "Status"), "State");
      node_state[name] = {state, ApiSeconds(Str(n, "UpdatedAt")).value_or(*now)};
      if (state != "ready") out.down_nodes.push_back(name);
    }

    // Services: modelled ones, their networks, desired counts.
    struct Svc {
      std::string name;
      bool modelled = true, global = false;
      std::vector<std::string> networks;
      std::vector<model::Constraint> constraints;
      std::uint64_t replicas = 0;
    };
    std::map<std::string, Svc> svcs;  // by id
    std::map<std::string, std::size_t> net_index;
    for (const Overlay& o : f.overlays) {
      if (o.ingress) continue;
      NetworkTrouble t;
      t.name = o.name;
      t.subnet = o.subnet;
      auto c = model::Ipv4Cidr::Parse(o.subnet);
      if (!c) return std::unexpected("overlay network \"" + o.name + "\": subnet " + c.error());
      t.capacity = c->size();
      t.lb_rule = std::string(model::ToString(policy));
      net_index[o.name] = out.networks.size();
      out.networks.push_back(std::move(t));
    }
    for (const json& s : st.services) {
      Reading reading("service " + SafeStr(s, "ID"));
      Svc v;
      const json& spec = Obj(s, "Spec");
      v.name = Str(spec, "Name");
      const json& mode = Obj(spec, "Mode");
      v.global = mode.contains("Global");
      v.modelled = v.global || mode.contains("Replicated");
      if (mode.contains("Replicated")) v.replicas = static_cast<std::uint64_t>(NonNegative(mode["Replicated"], "Replicas", 1));
      const json& tt = Obj(spec, "TaskTemplate");
      json nets = Obj(tt, "Networks");
      if (nets.empty()) nets = Obj(spec, "Networks");
      for (const json& n : nets) {
        const std::string name = f.net_name[Str(n, "Target")];
        if (net_index.contains(name)) v.networks.push_back(name);
      }
      for (const json& c : Obj(Obj(tt, "Placement"), "Constraints")) {
        if (auto parsed = model::Constraint::Parse(StrAt(c, "Constraints")); parsed) v.constraints.push_back(*parsed);
      }
      const bool vip = Str(Obj(spec, "EndpointSpec"), "Mode") != "dnsrr";
      for (const json& a : Obj(Obj(s, "Endpoint"), "VirtualIPs")) {
        const std::string net = f.net_name[Str(a, "NetworkID")];
        const auto it = net_index.find(net);
        const std::string addr = StripPrefix(Str(a, "Addr"));
        if (it == net_index.end() || addr.empty() || !vip) continue;
        auto ip = model::ParseIpv4(addr);
        if (!ip) return std::unexpected("service " + v.name + ": its VIP on " + net + ": " + ip.error());
        out.networks[it->second].vips[v.name] = *ip;
      }
      svcs[Str(s, "ID")] = std::move(v);
    }

    // Tasks: who holds what, who waits, who was rejected.
    std::set<std::pair<std::string, std::string>> running_on;  // (node, network)
    std::vector<std::map<std::string, std::uint64_t>> leftovers(out.networks.size());
    std::vector<std::set<std::string>> lb_need(out.networks.size());
    std::vector<std::map<std::string, Plight>> waiting(out.networks.size());  // by service
    std::vector<std::map<std::pair<std::string, std::string>, Plight>> rejected(out.networks.size());  // (service, node)
    std::map<std::string, ServiceState> states;
    for (const auto& [id, v] : svcs) {
      if (v.modelled) states[v.name].name = v.name;
    }
    std::map<std::string, std::set<std::string>> global_nodes;  // service -> nodes that should run one
    for (const json& t : st.tasks) {
      Reading reading("task " + SafeStr(t, "ID"));
      const json& status = Obj(t, "Status");
      const std::string state = Str(status, "State");
      if (state.empty()) throw json::type_error::create(302, CurrentObject() + ": it has no Status.State", nullptr);
      const auto sv = svcs.find(Str(t, "ServiceID"));
      const std::string node = Str(t, "NodeID").empty() ? std::string() : f.node_name[Str(t, "NodeID")];
      const std::string desired = Str(t, "DesiredState");
      const bool wanted = desired == "running" || desired == "ready";
      const double when = ApiSeconds(Str(status, "Timestamp")).value_or(*now);
      std::map<std::string, std::string> addrs;  // network -> address
      for (const json& a : Obj(t, "NetworksAttachments")) {
        const std::string net = f.net_name[Str(Obj(Obj(a, "Network"), "Spec"), "Name")];
        const json& list = Obj(a, "Addresses");
        if (net_index.contains(net) && list.is_array() && !list.empty()) addrs[net] = StrAt(list[0], "Addresses");
      }
      if (!LiveState(state)) {
        const std::string err = Str(status, "Err");
        if ((state == "rejected" || state == "failed") && *now - when <= kWindow && sv != svcs.end() && sv->second.modelled) {
          ++states[sv->second.name].recent_errors[err.empty() ? state : err];
        }
        if (state != "rejected" || err.find(model::kErrMissingAttachments) == std::string::npos || sv == svcs.end()) continue;
        // The overlays its node had no load-balancer address on: those of
        // its attachments where nothing of that node runs.
        for (const auto& [net, a] : addrs) {
          Widen(rejected[net_index[net]][{sv->second.name, node}], when);
          rejected[net_index[net]][{sv->second.name, node}].service = sv->second.name;
          rejected[net_index[net]][{sv->second.name, node}].node = node;
          rejected[net_index[net]][{sv->second.name, node}].network = net;
        }
        continue;
      }
      const bool modelled = sv != svcs.end() && sv->second.modelled;
      if (modelled && wanted) {
        ServiceState& ss = states[sv->second.name];
        ss.running += state == "running";
        ss.waiting_new += state == "new" || state == "pending";
        if (sv->second.global && !node.empty()) global_nodes[sv->second.name].insert(node);
        if (state == "new") {
          for (const std::string& net : sv->second.networks) {
            if (addrs.contains(net)) continue;
            Plight& p = waiting[net_index[net]][sv->second.name];
            p.service = sv->second.name;
            p.network = net;
            Widen(p, when);
          }
        }
      }
      for (const auto& [net, a] : addrs) {
        const std::size_t k = net_index[net];
        NetworkTrouble& nt = out.networks[k];
        if (!node.empty()) lb_need[k].insert(node);
        if (!modelled) {
          ++nt.other_held;
        } else if (!wanted) {
          ++leftovers[k][node];
        } else {
          ++nt.task_addresses[sv->second.name];
          if (state == "running" && !node.empty()) running_on.insert({node, net});
        }
      }
    }
    for (auto& [name, ss] : states) {
      for (const auto& [id, v] : svcs) {
        if (v.name != name) continue;
        if (!v.global) {
          ss.desired = v.replicas;
          continue;
        }
        // A global service: every ready, active node it may run on.
        for (const auto& n : nodes) {
          if (node_state[n.name].first == "ready" && n.availability == model::Availability::kActive &&
              model::ConstraintsMatch(v.constraints, n.name, n.role, n.labels)) {
            ++ss.desired;
          }
        }
      }
      out.services.push_back(ss);
    }
    for (std::size_t k = 0; k < out.networks.size(); ++k) {
      NetworkTrouble& nt = out.networks[k];
      for (auto& [key, p] : rejected[k]) {
        // Old news: nothing of it was rejected in the window, or the
        // service runs every task now.
        const ServiceState* ss = nullptr;
        for (const auto& x : out.services) ss = x.name == p.service ? &x : ss;
        if (*now - p.last > kWindow || (ss != nullptr && ss->running >= ss->desired && ss->waiting_new == 0)) continue;
        if (p.tasks >= 2 && p.last > p.first) p.per_hour = (static_cast<double>(p.tasks) - 1) / (p.last - p.first) * 3600;
        if (!running_on.contains({p.node, nt.name}) &&
            std::find(nt.lb_missing.begin(), nt.lb_missing.end(), p.node) == nt.lb_missing.end()) {
          nt.lb_missing.push_back(p.node);
        }
        nt.rejected.push_back(p);
      }
      for (auto& [svc, p] : waiting[k]) nt.waiting.push_back(p);
      for (const auto& [node, count] : leftovers[k]) {
        nt.leftovers.push_back({node, node_state[node].first, count, node_state[node].second});
      }
      if (policy == model::LbPolicy::kAllNodes) {
        for (const auto& n : nodes) nt.lb_nodes.push_back(n.name);
      } else if (policy == model::LbPolicy::kOnDemand) {
        for (const std::string& n : lb_need[k]) {
          if (std::find(nt.lb_missing.begin(), nt.lb_missing.end(), n) == nt.lb_missing.end()) nt.lb_nodes.push_back(n);
        }
      }
    }
    return out;
  } catch (const json::exception& e) {
    return std::unexpected(UnexpectedAnswer(e));
  }
}

}  // namespace swarmplan::docker

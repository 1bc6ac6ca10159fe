#include "executor/cluster_import.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace swarmplan::executor {

using nlohmann::json;

namespace {

// Reads a possibly missing member; a member of another type is an error
// (thrown as json::type_error and reported by the caller).
std::string Str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return {};
  return j[key].get<std::string>();
}
const json& Obj(const json& j, const char* key) {
  static const json kEmpty = json::object();
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return kEmpty;
  return j[key];
}
std::int64_t Num(const json& j, const char* key, std::int64_t dflt) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return dflt;
  return j[key].get<std::int64_t>();
}
std::string StripPrefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

bool LiveState(const std::string& api_state) {
  const auto s = model::ParseTaskState(api_state);
  return s && !model::IsTerminal(*s);
}

// Overlay networks of the swarm: id -> (name, subnet, ingress).
struct Overlay {
  std::string id, name, subnet;
  bool ingress = false;
  std::uint64_t peers = 0;
};

std::expected<std::vector<Overlay>, std::string> Overlays(const json& networks) {
  std::vector<Overlay> out;
  if (!networks.is_array()) return std::unexpected("the network list is not an array");
  for (const json& n : networks) {
    if (Str(n, "Driver") != "overlay" || Str(n, "Scope") != "swarm") continue;
    Overlay o;
    o.id = Str(n, "Id");
    o.name = Str(n, "Name");
    o.ingress = n.contains("Ingress") && n["Ingress"].is_boolean() ? n["Ingress"].get<bool>() : o.name == "ingress";
    const json& cfg = Obj(Obj(n, "IPAM"), "Config");
    std::vector<std::string> v4;
    if (cfg.is_array()) {
      for (const json& c : cfg) {
        const std::string sub = Str(c, "Subnet");
        if (!sub.empty() && sub.find(':') == std::string::npos) v4.push_back(sub);
      }
    }
    if (v4.empty()) return std::unexpected("overlay network \"" + o.name + "\" has no IPv4 subnet in its IPAM config");
    if (v4.size() > 1) {
      return std::unexpected("overlay network \"" + o.name + "\" has " + std::to_string(v4.size()) +
                             " IPv4 subnets; swarmplan models one subnet per network");
    }
    o.subnet = v4[0];
    if (n.contains("Peers") && n["Peers"].is_array()) o.peers = n["Peers"].size();
    out.push_back(o);
  }
  return out;
}

struct Facts {
  std::vector<Overlay> overlays;
  std::map<std::string, std::string> net_name;   // id or name -> name
  std::map<std::string, std::string> node_name;  // id -> scenario name
  std::map<std::string, std::string> service_name;
  std::set<std::string> skipped_services;        // ids of services not modelled
  std::string leader_engine;
};

}  // namespace

std::expected<ApiState, std::string> FetchState(const ApiGetter& get) {
  ApiState st;
  for (auto [path, out] : {std::pair{"/info", &st.info}, {"/nodes", &st.nodes}, {"/networks", &st.networks},
                           {"/services", &st.services}, {"/tasks", &st.tasks}}) {
    auto r = get(path);
    if (!r) return std::unexpected(r.error());
    *out = std::move(*r);
  }
  // The list has no Peers; each overlay's inspect does.
  if (st.networks.is_array()) {
    for (json& n : st.networks) {
      if (!n.is_object() || n.value("Driver", std::string()) != "overlay") continue;
      auto one = get("/networks/" + n.value("Id", std::string()));
      if (!one) return std::unexpected(one.error());
      if (one->is_object() && one->contains("Peers")) n["Peers"] = (*one)["Peers"];
    }
  }
  return st;
}

std::expected<ApiState, std::string> FetchState(DockerApi& api) {
  if (auto ok = api.RequireManager(); !ok) return std::unexpected(ok.error());
  return FetchState([&](const std::string& path) { return api.GetOr(path); });
}

std::expected<ApiState, std::string> FetchLive(const std::string& host) {
  auto ep = DockerEndpoint::Resolve(host);
  if (!ep) return std::unexpected(ep.error());
  auto api = DockerApi::Connect(*ep);
  if (!api) return std::unexpected(api.error());
  return FetchState(*api);
}

namespace {

std::expected<Facts, std::string> Gather(const ApiState& st, std::vector<model::NodeSpec>* nodes_out,
                                         std::string* leader_out, std::vector<std::string>* notes) {
  Facts f;
  auto ov = Overlays(st.networks);
  if (!ov) return std::unexpected(ov.error());
  f.overlays = std::move(*ov);
  for (const Overlay& o : f.overlays) {
    f.net_name[o.id] = o.name;
    f.net_name[o.name] = o.name;
  }
  if (!st.nodes.is_array()) return std::unexpected("the node list is not an array");
  std::map<std::string, int> hostnames;
  for (const json& n : st.nodes) ++hostnames[Str(Obj(n, "Description"), "Hostname")];
  for (const json& n : st.nodes) {
    const std::string id = Str(n, "ID");
    const json& desc = Obj(n, "Description");
    const json& spec = Obj(n, "Spec");
    model::NodeSpec ns;
    ns.name = Str(desc, "Hostname");
    if (ns.name.empty()) ns.name = id;
    if (hostnames[ns.name] > 1) {
      if (notes) notes->push_back("nodes share the hostname \"" + ns.name + "\"; node " + id + " is named \"" + ns.name + "." + id.substr(0, 12) + "\"");
      ns.name += "." + id.substr(0, 12);
    }
    const std::string role = Str(spec, "Role");
    ns.role = role == "manager" ? model::Role::kManager : model::Role::kWorker;
    const std::string av = Str(spec, "Availability");
    ns.availability = av == "drain" ? model::Availability::kDrain
                      : av == "pause" ? model::Availability::kPause
                                      : model::Availability::kActive;
    const std::string ev = Str(Obj(desc, "Engine"), "EngineVersion");
    auto v = model::EngineVersion::Parse(ev);
    if (!v) return std::unexpected("node " + ns.name + ": " + v.error());
    ns.engine = *v;
    const json& labels = Obj(spec, "Labels");
    for (auto it = labels.begin(); it != labels.end(); ++it) ns.labels[it.key()] = it.value().get<std::string>();
    const json& res = Obj(desc, "Resources");
    ns.nano_cpus = Num(res, "NanoCPUs", 0) / 1'000'000'000 * 1'000'000'000;
    ns.memory_bytes = Num(res, "MemoryBytes", 0) / (1024 * 1024) * (1024 * 1024);
    const std::string state = Str(Obj(n, "Status"), "State");
    ns.down = state != "ready";
    if (ns.down && notes) notes->push_back("node " + ns.name + " is " + state + ": the plan leaves it out");
    if (Obj(n, "ManagerStatus").value("Leader", false)) {
      *leader_out = ns.name;
      f.leader_engine = ev;
    }
    f.node_name[id] = ns.name;
    if (nodes_out) nodes_out->push_back(std::move(ns));
  }
  if (!st.services.is_array()) return std::unexpected("the service list is not an array");
  for (const json& s : st.services) f.service_name[Str(s, "ID")] = Str(Obj(s, "Spec"), "Name");
  return f;
}

}  // namespace

std::expected<Imported, std::string> ImportScenario(const ApiState& st) {
  try {
    Imported out;
    model::Scenario& sc = out.scenario;
    auto f = Gather(st, &sc.nodes, &sc.leader, &out.notes);
    if (!f) return std::unexpected(f.error());
    // Managers first, then by name: the same cluster always reads the same.
    std::stable_sort(sc.nodes.begin(), sc.nodes.end(), [](const model::NodeSpec& a, const model::NodeSpec& b) {
      return std::pair{a.role != model::Role::kManager, a.name} < std::pair{b.role != model::Role::kManager, b.name};
    });
    const std::string cluster_id = Str(Obj(Obj(st.info, "Swarm"), "Cluster"), "ID");
    sc.name = "imported from swarm " + (cluster_id.empty() ? std::string("?") : cluster_id.substr(0, 12));
    std::map<std::string, std::size_t> net_index;  // user overlay name -> scenario index
    for (const Overlay& o : f->overlays) {
      auto c = model::Ipv4Cidr::Parse(o.subnet);
      if (!c) return std::unexpected("overlay network \"" + o.name + "\": subnet " + c.error());
      if (o.ingress) {
        sc.ingress = *c;
      } else {
        net_index[o.name] = sc.networks.size();
        sc.networks.push_back({o.name, *c, {}});
      }
    }
    auto hold = [&](const std::string& net, const std::string& addr) {
      if (auto it = net_index.find(net); it != net_index.end()) {
        auto& held = sc.networks[it->second].held;
        if (std::find(held.begin(), held.end(), addr) == held.end()) held.push_back(addr);
      }
    };
    for (const json& s : st.services) {
      const json& spec = Obj(s, "Spec");
      model::ServiceSpec v;
      v.name = Str(spec, "Name");
      const json& mode = Obj(spec, "Mode");
      if (mode.contains("Replicated")) {
        v.mode = model::ServiceMode::kReplicated;
        v.replicas = static_cast<std::uint32_t>(Num(mode["Replicated"], "Replicas", 1));
      } else if (mode.contains("Global")) {
        v.mode = model::ServiceMode::kGlobal;
      } else {
        // Jobs (API 1.41) run to completion; the model has no such mode.
        out.notes.push_back("service " + v.name + " is a job, which swarmplan does not model: its addresses are kept as held");
        f->skipped_services.insert(Str(s, "ID"));
        for (const json& vip : Obj(Obj(s, "Endpoint"), "VirtualIPs")) {
          hold(f->net_name[Str(vip, "NetworkID")], StripPrefix(Str(vip, "Addr")));
        }
        continue;
      }
      const json& tt = Obj(spec, "TaskTemplate");
      json nets = Obj(tt, "Networks");
      if (nets.empty()) nets = Obj(spec, "Networks");  // before API 1.25 services listed them here
      for (const json& n : nets) {
        const std::string target = Str(n, "Target");
        auto it = f->net_name.find(target);
        if (it == f->net_name.end()) {
          // host, macvlan or another local-scope driver: swarm's IPAM does
          // not give its addresses, so it does not count here.
          out.notes.push_back("service " + v.name + ": network " + target +
                              " is not a swarm overlay network; its addresses are not modelled");
          continue;
        }
        if (it->second == "ingress") continue;
        v.networks.push_back(it->second);
      }
      const json& ep = Obj(spec, "EndpointSpec");
      v.endpoint_mode = Str(ep, "Mode") == "dnsrr" ? model::EndpointMode::kDnsrr : model::EndpointMode::kVip;
      for (const json& p : Obj(ep, "Ports")) {
        const std::string pm = Str(p, "PublishMode");
        if (pm.empty() || pm == "ingress") v.publish_ingress = true;
      }
      const json& placement = Obj(tt, "Placement");
      for (const json& c : Obj(placement, "Constraints")) {
        auto parsed = model::Constraint::Parse(c.get<std::string>());
        if (!parsed) {
          out.notes.push_back("service " + v.name + ": constraint \"" + c.get<std::string>() +
                              "\" is not modelled and was left out, so the model may place its tasks more freely");
          continue;
        }
        v.constraints.push_back(*parsed);
      }
      if (!Obj(placement, "Preferences").empty()) {
        out.notes.push_back("service " + v.name + ": placement preferences are not modelled (spread is by task count only)");
      }
      v.max_replicas_per_node = static_cast<std::uint32_t>(Num(placement, "MaxReplicas", 0));
      const json& rp = Obj(tt, "RestartPolicy");
      const std::string cond = Str(rp, "Condition");
      v.restart_condition = cond == "none" ? model::RestartCondition::kNone
                            : cond == "on-failure" ? model::RestartCondition::kOnFailure
                                                   : model::RestartCondition::kAny;
      v.restart_delay = Num(rp, "Delay", 5'000'000'000) / 1000;  // ns -> us
      v.restart_max_attempts = static_cast<std::uint32_t>(Num(rp, "MaxAttempts", 0));
      v.stop_grace_period = Num(Obj(tt, "ContainerSpec"), "StopGracePeriod", 10'000'000'000) / 1000;
      const json& resv = Obj(Obj(tt, "Resources"), "Reservations");
      v.reserve_nano_cpus = (Num(resv, "NanoCPUs", 0) + 999'999) / 1'000'000 * 1'000'000;
      const std::int64_t mb = 1024 * 1024;
      v.reserve_memory_bytes = (Num(resv, "MemoryBytes", 0) + mb - 1) / mb * mb;
      sc.services.push_back(std::move(v));
    }
    if (!st.tasks.is_array()) return std::unexpected("the task list is not an array");
    for (const json& t : st.tasks) {
      const std::string state = Str(Obj(t, "Status"), "State");
      if (!LiveState(state)) continue;
      const std::string sid = Str(t, "ServiceID");
      const std::string desired = Str(t, "DesiredState");
      std::map<std::string, std::string> addrs;
      for (const json& a : Obj(t, "NetworksAttachments")) {
        const std::string net = f->net_name[Str(Obj(Obj(a, "Network"), "Spec"), "Name")];
        const json& list = Obj(a, "Addresses");
        if (!net.empty() && list.is_array() && !list.empty()) addrs[net] = StripPrefix(list[0].get<std::string>());
      }
      // A task on its way out (or of a service the model skips) still holds
      // its addresses: they are kept as held, not as a task to place.
      const bool leaving = desired != "running" && desired != "ready";
      if (leaving || f->skipped_services.contains(sid) || !f->service_name.contains(sid)) {
        for (const auto& [net, a] : addrs) hold(net, a);
        continue;
      }
      model::TaskSpec ts;
      ts.service = f->service_name[sid];
      ts.slot = static_cast<std::uint32_t>(Num(t, "Slot", 0));
      const std::string nid = Str(t, "NodeID");
      if (!nid.empty()) {
        auto it = f->node_name.find(nid);
        if (it == f->node_name.end()) return std::unexpected("task " + Str(t, "ID") + " is on node " + nid + ", which the node list lacks");
        ts.node = it->second;
      }
      ts.state = state;
      ts.addresses = addrs;
      const auto svc = std::find_if(sc.services.begin(), sc.services.end(), [&](const auto& s) { return s.name == ts.service; });
      if (svc != sc.services.end() && svc->mode == model::ServiceMode::kGlobal) ts.slot = 0;
      if (svc != sc.services.end() && !svc->publish_ingress) ts.addresses.erase("ingress");
      sc.tasks.push_back(std::move(ts));
    }
    std::sort(sc.tasks.begin(), sc.tasks.end(), [](const auto& a, const auto& b) {
      return std::tie(a.service, a.slot, a.node) < std::tie(b.service, b.slot, b.node);
    });
    if (auto ok = sc.Validate(); !ok) return std::unexpected("the imported cluster does not make a valid scenario: " + ok.error());
    return out;
  } catch (const json::exception& e) {
    return std::unexpected(std::string("unexpected answer from the Engine API: ") + e.what());
  }
}

std::expected<std::vector<NetworkUsage>, std::string> CountUsage(const ApiState& st) {
  try {
    std::vector<model::NodeSpec> nodes;
    std::string leader;
    auto f = Gather(st, &nodes, &leader, nullptr);
    if (!f) return std::unexpected(f.error());
    model::LbPolicy policy = model::LbPolicy::kOnDemand;
    if (auto v = model::EngineVersion::Parse(f->leader_engine); v) policy = v->lb_policy();
    std::vector<NetworkUsage> out;
    std::map<std::string, std::size_t> index;
    for (const Overlay& o : f->overlays) {
      NetworkUsage u;
      u.name = o.name;
      u.subnet = o.subnet;
      u.ingress = o.ingress;
      auto c = model::Ipv4Cidr::Parse(o.subnet);
      if (!c) return std::unexpected("overlay network \"" + o.name + "\": subnet " + c.error());
      u.capacity = c->size();
      u.peers = o.peers;
      index[o.name] = out.size();
      out.push_back(u);
    }
    for (const json& s : st.services) {
      for (const json& vip : Obj(Obj(s, "Endpoint"), "VirtualIPs")) {
        const std::string net = f->net_name[Str(vip, "NetworkID")];
        if (auto it = index.find(net); it != index.end() && !Str(vip, "Addr").empty()) ++out[it->second].vips;
      }
    }
    std::vector<std::set<std::string>> nodes_on(out.size());
    std::vector<std::set<std::string>> addrs_on(out.size());
    for (const json& t : st.tasks) {
      if (!LiveState(Str(Obj(t, "Status"), "State"))) continue;
      for (const json& a : Obj(t, "NetworksAttachments")) {
        const std::string net = f->net_name[Str(Obj(Obj(a, "Network"), "Spec"), "Name")];
        auto it = index.find(net);
        if (it == index.end()) continue;
        for (const json& addr : Obj(a, "Addresses")) addrs_on[it->second].insert(StripPrefix(addr.get<std::string>()));
        if (!Str(t, "NodeID").empty()) nodes_on[it->second].insert(Str(t, "NodeID"));
      }
    }
    for (std::size_t k = 0; k < out.size(); ++k) {
      NetworkUsage& u = out[k];
      u.task_addresses = addrs_on[k].size();
      u.nodes_with_tasks = nodes_on[k].size();
      if (u.ingress) {
        u.node_lb = nodes.size();
        u.lb_rule = "one per node (ingress)";
      } else if (policy == model::LbPolicy::kOnDemand) {
        u.node_lb = u.nodes_with_tasks;
        u.lb_rule = "one per node running a task on it (leader engine " + f->leader_engine + ")";
      } else if (policy == model::LbPolicy::kAllNodes) {
        u.node_lb = nodes.size();
        u.lb_rule = "one per node (leader engine " + f->leader_engine + ")";
      } else {
        u.node_lb = 0;
        u.lb_rule = "none (leader engine " + f->leader_engine + ")";
      }
    }
    return out;
  } catch (const json::exception& e) {
    return std::unexpected(std::string("unexpected answer from the Engine API: ") + e.what());
  }
}

}  // namespace swarmplan::executor

#include "docker/usage.hpp"

#include <map>
#include <set>

#include "model/try.hpp"

namespace swarmplan::docker {

using nlohmann::json;
using namespace answers;

std::expected<std::vector<NetworkUsage>, std::string> CountUsage(const ApiState& st) {
  try {
    std::vector<model::NodeSpec> nodes;
    std::string leader;
    auto f = SWARMPLAN_TRY(Gather(st, &nodes, &leader, nullptr));
    model::LbPolicy policy = model::LbPolicy::kOnDemand;
    if (auto v = model::EngineVersion::Parse(f.leader_engine); v) policy = v->lb_policy();
    std::vector<NetworkUsage> out;
    std::map<std::string, std::size_t> index;
    for (const Overlay& o : f.overlays) {
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
        const std::string net = f.net_name[Str(vip, "NetworkID")];
        if (auto it = index.find(net); it != index.end() && !Str(vip, "Addr").empty()) ++out[it->second].vips;
      }
    }
    std::vector<std::set<std::string>> nodes_on(out.size());
    std::vector<std::set<std::string>> addrs_on(out.size());
    for (const json& t : st.tasks) {
      if (!LiveState(Str(Obj(t, "Status"), "State"))) continue;
      for (const json& a : Obj(t, "NetworksAttachments")) {
        const std::string net = f.net_name[Str(Obj(Obj(a, "Network"), "Spec"), "Name")];
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
      } else {
        u.node_lb = model::LbAddresses(policy, nodes.size(), u.nodes_with_tasks);
        u.lb_rule = std::string(model::ToString(policy)) + " (leader engine " + f.leader_engine + ")";
      }
    }
    return out;
  } catch (const json::exception& e) {
    return std::unexpected(answers::UnexpectedAnswer(e));
  }
}

}  // namespace swarmplan::docker

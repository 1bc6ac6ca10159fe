#include "planner/capacity.hpp"

#include <algorithm>

namespace swarmplan::planner {

using model::LbPolicy;

namespace {

bool Meets(const model::ServiceSpec& svc, const model::NodeSpec& n) {
  return model::ConstraintsMatch(svc.constraints, n.name, n.role, n.labels);
}

}  // namespace

std::string NetworkBudget::Sum(bool after) const {
  const std::uint64_t lb = after ? lb_after : lb_before;
  const std::int64_t room = static_cast<std::int64_t>(capacity) - 3 - static_cast<std::int64_t>(vips + lb);
  std::string s = std::to_string(capacity) + " - 3 reserved";
  s += " - " + std::to_string(vips) + (vips == 1 ? " VIP" : " VIPs");
  s += " - " + std::to_string(lb) + " node LB";
  s += " = " + std::to_string(room) + " for " + std::to_string(tasks) + (tasks == 1 ? " task" : " tasks");
  return s;
}

int NetworkBudget::SuggestedPrefix() const {
  const std::uint64_t need = reserved + vips + std::max(lb_after, lb_before) + tasks + largest_share;
  int prefix = 30;
  while (prefix > 8 && (std::uint64_t{1} << (32 - prefix)) < need) --prefix;
  return prefix;
}

std::vector<NetworkBudget> Budget(const model::Scenario& s, model::EngineVersion from_leader,
                                  model::EngineVersion to, const Plan* plan) {
  std::vector<bool> activated(s.nodes.size(), false);
  if (plan != nullptr) {
    for (const Step& st : plan->steps) {
      if (st.action == Action::kActivate && !s.nodes[st.node].down) activated[st.node] = true;
    }
  }
  std::vector<NetworkBudget> out;
  for (const auto& net : s.networks) {
    NetworkBudget b;
    b.name = net.name;
    b.subnet = net.subnet.ToString();
    b.capacity = net.subnet.size();
    std::vector<bool> eligible(s.nodes.size(), false), eligible_after(s.nodes.size(), false);
    for (const auto& svc : s.services) {
      if (std::find(svc.networks.begin(), svc.networks.end(), net.name) == svc.networks.end()) continue;
      if (svc.endpoint_mode == model::EndpointMode::kVip) ++b.vips;
      std::uint64_t nodes_for_svc = 0;
      for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        const bool meets = Meets(svc, s.nodes[i]);
        const bool ok = s.nodes[i].availability == model::Availability::kActive && meets;
        if (ok) {
          eligible[i] = true;
          ++nodes_for_svc;
        }
        if (meets && (ok || activated[i])) eligible_after[i] = true;
      }
      std::uint64_t tasks = svc.mode == model::ServiceMode::kGlobal ? nodes_for_svc : svc.replicas;
      if (svc.mode == model::ServiceMode::kReplicated && svc.max_replicas_per_node != 0) {
        tasks = std::min<std::uint64_t>(tasks, nodes_for_svc * svc.max_replicas_per_node);
      }
      b.tasks += tasks;
      if (nodes_for_svc > 0) {
        b.largest_share = std::max<std::uint64_t>(b.largest_share, (tasks + nodes_for_svc - 1) / nodes_for_svc);
      }
    }
    b.eligible_nodes = static_cast<std::uint64_t>(std::count(eligible.begin(), eligible.end(), true));
    b.eligible_after = static_cast<std::uint64_t>(std::count(eligible_after.begin(), eligible_after.end(), true));
    const std::uint64_t with_tasks = std::min(b.eligible_nodes, b.tasks);
    const std::uint64_t with_tasks_after = std::min(b.eligible_after, b.tasks);
    b.lb_before = model::LbAddresses(from_leader.lb_policy(), s.nodes.size(), with_tasks);
    b.lb_after = model::LbAddresses(to.lb_policy(), s.nodes.size(), with_tasks_after);
    out.push_back(b);
  }
  return out;
}

}  // namespace swarmplan::planner

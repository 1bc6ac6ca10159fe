#include "planner/capacity.hpp"

#include <algorithm>
#include <string>

#include "planner/paper.hpp"

namespace swarmplan::planner {

using model::LbPolicy;

namespace {

bool Meets(const model::ServiceSpec& svc, const model::NodeSpec& n) {
  return model::ConstraintsMatch(svc.constraints, n.name, n.role, n.labels);
}

}  // namespace

std::string NetworkBudget::Sum(bool after) const {
  const std::uint64_t lb = after ? lb_after : lb_before;
  const std::uint64_t v = after ? vips_after : vips;
  const std::uint64_t t = after ? tasks_after : tasks;
  const std::int64_t room = Room(v, lb);
  std::string s = std::to_string(capacity) + " - 3 reserved";
  if (held > 0) s += " - " + std::to_string(held) + " held";
  s += " - " + std::to_string(v) + (v == 1 ? " VIP" : " VIPs");
  s += " - " + std::to_string(lb) + " node LB";
  s += " = " + std::to_string(room) + " for " + std::to_string(t) + (t == 1 ? " task" : " tasks");
  return s;
}

int NetworkBudget::SuggestedPrefix() const {
  const std::uint64_t need = reserved + held + std::max(vips, vips_after) + std::max(lb_after, lb_before) +
                             std::max(tasks, tasks_after) + largest_share;
  int prefix = 30;
  while (prefix > 8 && (std::uint64_t{1} << (32 - prefix)) < need) --prefix;
  return prefix;
}

std::vector<NetworkBudget> Budget(const model::Scenario& s, model::EngineVersion from_leader,
                                  model::EngineVersion to, const Plan* plan) {
  // The cluster at the start, and as the plan leaves it (the paper
  // replay): nodes it activates or joins take tasks, a node it removes
  // holds nothing (one that only left still holds what it held), services
  // it creates, removes, scales or moves change the count.
  Paper paper(s);
  if (plan != nullptr) {
    for (const Step& st : plan->steps) {
      if (!paper.Apply(st)) break;  // CheckPlan says why
    }
  }
  const std::vector<PaperNode>& paper_nodes = paper.nodes();
  const auto members_before = static_cast<std::uint64_t>(
      std::count_if(s.nodes.begin(), s.nodes.end(), [](const model::NodeSpec& n) { return n.joined; }));
  const auto members_after = static_cast<std::uint64_t>(
      std::count_if(paper_nodes.begin(), paper_nodes.end(), [](const PaperNode& n) { return n.member; }));
  std::vector<NetworkBudget> out;
  for (const auto& net : s.networks) {
    NetworkBudget b;
    b.name = net.name;
    b.subnet = net.subnet.ToString();
    b.capacity = net.subnet.size();
    b.held = net.held.size();
    std::vector<bool> eligible(s.nodes.size(), false), eligible_after(s.nodes.size(), false);
    for (std::size_t k = 0; k < s.services.size(); ++k) {
      const auto& svc = s.services[k];
      const bool on_before = std::find(svc.networks.begin(), svc.networks.end(), net.name) != svc.networks.end();
      const PaperService& after = paper.services()[k];
      const bool on_after = after.networks.contains(net.name);
      if (!on_before && !on_after) continue;
      const bool vip = svc.endpoint_mode == model::EndpointMode::kVip;
      std::uint64_t nodes_before = 0, nodes_after = 0;
      for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        const bool meets = Meets(svc, s.nodes[i]);
        const bool ok = s.nodes[i].availability == model::Availability::kActive && meets && s.nodes[i].joined;
        const bool ok_after = meets && paper_nodes[i].member && (ok || paper_nodes[i].activated);
        if (ok && svc.deployed && on_before) eligible[i] = true;
        if (ok_after && after.deployed && on_after) eligible_after[i] = true;
        nodes_before += ok;
        nodes_after += ok_after;
      }
      auto count = [&](std::uint32_t replicas, std::uint64_t nodes) {
        std::uint64_t tasks = svc.mode == model::ServiceMode::kGlobal ? nodes : replicas;
        if (svc.mode == model::ServiceMode::kReplicated && svc.max_replicas_per_node != 0) {
          tasks = std::min<std::uint64_t>(tasks, nodes * svc.max_replicas_per_node);
        }
        return tasks;
      };
      if (svc.deployed && on_before) {
        b.vips += vip;
        const std::uint64_t tasks = count(svc.replicas, nodes_before);
        b.tasks += tasks;
        if (nodes_before > 0) b.largest_share = std::max<std::uint64_t>(b.largest_share, (tasks + nodes_before - 1) / nodes_before);
      }
      if (after.deployed && on_after) {
        b.vips_after += vip;
        const std::uint64_t tasks = count(after.replicas, nodes_after);
        b.tasks_after += tasks;
        if (nodes_after > 0) b.largest_share = std::max<std::uint64_t>(b.largest_share, (tasks + nodes_after - 1) / nodes_after);
      }
    }
    b.eligible_nodes = static_cast<std::uint64_t>(std::count(eligible.begin(), eligible.end(), true));
    b.eligible_after = static_cast<std::uint64_t>(std::count(eligible_after.begin(), eligible_after.end(), true));
    const std::uint64_t with_tasks = std::min(b.eligible_nodes, b.tasks);
    const std::uint64_t with_tasks_after = std::min(b.eligible_after, b.tasks_after);
    b.lb_before = model::LbAddresses(from_leader.lb_policy(), members_before, with_tasks);
    b.lb_after = model::LbAddresses(to.lb_policy(), members_after, with_tasks_after);
    out.push_back(b);
  }
  return out;
}

}  // namespace swarmplan::planner

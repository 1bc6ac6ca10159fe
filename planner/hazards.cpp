#include "planner/hazards.hpp"

#include <set>

#include "planner/paper.hpp"

namespace swarmplan::planner {

std::vector<std::string> Hazards(const model::Scenario& s, const Plan& p) {
  using model::Role;
  std::vector<std::string> out;
  const std::size_t n = s.nodes.size();
  // The cluster as the steps leave it: the same paper replay CheckPlan
  // walks, so joins, leaves, removals and role changes count here too.
  Paper paper(s);
  const auto& nodes = paper.nodes();
  const auto running_managers = [&] {
    std::set<std::size_t> m;
    for (std::size_t i = 0; i < n; ++i) {
      if (nodes[i].member && nodes[i].role == Role::kManager && nodes[i].running) m.insert(i);
    }
    return m;
  };
  // Who may lead: the initial leader until it stops or is demoted; then
  // any running manager.
  std::set<std::size_t> may_lead = {s.InitialLeader().value()};
  std::set<std::string> said;
  for (std::size_t k = 0; k < p.steps.size(); ++k) {
    const Step& st = p.steps[k];
    const bool drained_before = st.OnNode() && nodes[st.node].drained;
    if (!paper.Apply(st)) break;  // CheckPlan says why; nothing after it is known
    switch (st.action) {
      case Action::kDemote:
        may_lead.erase(st.node);
        if (may_lead.empty()) may_lead = running_managers();
        break;
      case Action::kStop:
        if (!drained_before) {
          const std::string msg = "step " + std::to_string(k + 1) + " stops " + s.nodes[st.node].name +
                                  "'s engine without draining it first: its tasks end abruptly, their addresses "
                                  "stay taken until the node is marked down, and tasks sent to it right after it "
                                  "restarts can be rejected with \"cannot create a swarm scoped network when "
                                  "swarm is not active\"";
          if (said.insert(msg).second) out.push_back(msg);
        }
        if (nodes[st.node].role == Role::kManager) {
          const int managers = paper.managers(), up = paper.managers_up();
          if (up * 2 <= managers) {
            const std::string msg = "step " + std::to_string(k + 1) + " stops " + s.nodes[st.node].name + ": with " +
                                    std::to_string(managers) + " manager" + (managers == 1 ? "" : "s") +
                                    " the swarm loses quorum until it is back (nothing is scheduled or "
                                    "rescheduled meanwhile). Add managers first: 3 tolerate one down";
            if (said.insert("quorum").second) out.push_back(msg);
          }
        }
        if (may_lead.contains(st.node)) may_lead = running_managers();
        break;
      default: break;
    }
    // Any manager that may lead: does it allocate attachments for
    // upgraded workers that will wait for them?
    for (std::size_t l : may_lead) {
      if (!nodes[l].running || nodes[l].engine.lb_policy() != model::LbPolicy::kNone) continue;
      for (std::size_t w = 0; w < n; ++w) {
        if (!nodes[w].running || nodes[w].drained || !nodes[w].engine.worker_waits_for_attachments() ||
            s.networks.empty()) {
          continue;
        }
        const std::string key = s.nodes[w].name + "/" + s.nodes[l].name;
        if (!said.insert(key).second) continue;
        out.push_back("after step " + std::to_string(k + 1) + " (" + st.Describe(s) + "), " + s.nodes[w].name +
                      " runs " + nodes[w].engine.ToString() + " and takes tasks while " + s.nodes[l].name + " (" +
                      nodes[l].engine.ToString() + ") may lead: that leader gives no node a load-balancer address, so "
                      "every task placed on " + s.nodes[w].name + " is rejected (\"node is missing network "
                      "attachments\"). Upgrade all managers before activating upgraded nodes");
      }
    }
  }
  return out;
}

}  // namespace swarmplan::planner

#include "planner/hazards.hpp"

#include <set>

namespace swarmplan::planner {

std::vector<std::string> Hazards(const model::Scenario& s, const Plan& p) {
  using model::Role;
  std::vector<std::string> out;
  const std::size_t n = s.nodes.size();
  std::vector<model::EngineVersion> engine(n);
  std::vector<bool> running(n, true), drained(n);
  for (std::size_t i = 0; i < n; ++i) {
    engine[i] = s.nodes[i].engine;
    drained[i] = s.nodes[i].availability == model::Availability::kDrain;
  }
  // Who may lead: the initial leader until it stops; then any running manager.
  std::set<std::size_t> may_lead = {s.InitialLeader().value()};
  std::vector<Role> role;  // as the plan leaves each node (promote / demote)
  for (const auto& node : s.nodes) role.push_back(node.role);
  std::set<std::string> said;
  for (std::size_t k = 0; k < p.steps.size(); ++k) {
    const Step& st = p.steps[k];
    switch (st.action) {
      case Action::kDrain: drained[st.node] = true; break;
      case Action::kActivate: drained[st.node] = false; break;
      case Action::kInstall: engine[st.node] = st.version; break;
      case Action::kStart: running[st.node] = true; break;
      case Action::kPromote: role[st.node] = Role::kManager; break;
      case Action::kDemote:
        role[st.node] = Role::kWorker;
        may_lead.erase(st.node);
        if (may_lead.empty()) {
          for (std::size_t i = 0; i < n; ++i) {
            if (role[i] == Role::kManager && running[i]) may_lead.insert(i);
          }
        }
        break;
      case Action::kStop:
        running[st.node] = false;
        if (!drained[st.node]) {
          const std::string msg = "step " + std::to_string(k + 1) + " stops " + s.nodes[st.node].name +
                                  "'s engine without draining it first: its tasks end abruptly, their addresses "
                                  "stay taken until the node is marked down, and tasks sent to it right after it "
                                  "restarts can be rejected with \"cannot create a swarm scoped network when "
                                  "swarm is not active\"";
          if (said.insert(msg).second) out.push_back(msg);
        }
        if (role[st.node] == Role::kManager) {
          int managers = 0, up = 0;
          for (std::size_t i = 0; i < n; ++i) {
            managers += role[i] == Role::kManager && s.nodes[i].joined;
            up += role[i] == Role::kManager && running[i] && !s.nodes[i].out();
          }
          if (up * 2 <= managers) {
            const std::string msg = "step " + std::to_string(k + 1) + " stops " + s.nodes[st.node].name + ": with " +
                                    std::to_string(managers) + " manager" + (managers == 1 ? "" : "s") +
                                    " the swarm loses quorum until it is back (nothing is scheduled or "
                                    "rescheduled meanwhile). Add managers first: 3 tolerate one down";
            if (said.insert("quorum").second) out.push_back(msg);
          }
        }
        if (may_lead.contains(st.node)) {
          may_lead.clear();
          for (std::size_t i = 0; i < n; ++i) {
            if (role[i] == Role::kManager && running[i]) may_lead.insert(i);
          }
        }
        break;
      default: break;
    }
    // Any manager that may lead: does it allocate attachments for
    // upgraded workers that will wait for them?
    for (std::size_t l : may_lead) {
      if (!running[l] || engine[l].lb_policy() != model::LbPolicy::kNone) continue;
      for (std::size_t w = 0; w < n; ++w) {
        if (!running[w] || drained[w] || !engine[w].worker_waits_for_attachments() || s.networks.empty()) continue;
        const std::string key = s.nodes[w].name + "/" + s.nodes[l].name;
        if (!said.insert(key).second) continue;
        out.push_back("after step " + std::to_string(k + 1) + " (" + st.Describe(s) + "), " + s.nodes[w].name +
                      " runs " + engine[w].ToString() + " and takes tasks while " + s.nodes[l].name + " (" +
                      engine[l].ToString() + ") may lead: that leader gives no node a load-balancer address, so "
                      "every task placed on " + s.nodes[w].name + " is rejected (\"node is missing network "
                      "attachments\"). Upgrade all managers before activating upgraded nodes");
      }
    }
  }
  return out;
}

}  // namespace swarmplan::planner

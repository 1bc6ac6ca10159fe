#include "planner/paper.hpp"

#include <algorithm>

#include "planner/plan.hpp"

namespace swarmplan::planner {

using model::Role;

Paper::Paper(const model::Scenario& s) : s_(s) {
  for (const auto& n : s.nodes) {
    PaperNode p;
    p.member = n.joined;
    p.running = !n.out();
    p.drained = n.availability == model::Availability::kDrain;
    p.role = n.role;
    p.engine = n.engine;
    nodes_.push_back(p);
    down_managers_ += n.role == Role::kManager && n.joined && n.down;
  }
  for (const auto& v : s.services) {
    PaperService p;
    p.deployed = v.deployed;
    p.updated = v.previous_spec;
    p.replicas = v.replicas;
    p.networks.insert(v.networks.begin(), v.networks.end());
    p.previous_networks = p.networks;
    services_.push_back(p);
  }
}

int Paper::managers() const {
  return static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(),
                                        [](const PaperNode& n) { return n.member && n.role == Role::kManager; }));
}

int Paper::managers_up() const {
  return static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(), [](const PaperNode& n) {
    return n.member && n.role == Role::kManager && n.running;
  }));
}

std::expected<void, std::string> Paper::Apply(const Step& st) {
  static const std::string kNone;
  const std::string& name = st.OnNode() ? s_.nodes[st.node].name : st.OnService() ? s_.services[st.service].name : kNone;
  if (st.OnNode() && st.action != Action::kJoin) {
    if (!nodes_[st.node].member) return std::unexpected(name + " is not in the swarm at that point (join:" + name + " first)");
    if (nodes_[st.node].left && st.action != Action::kNodeRm) {
      return std::unexpected(name + " left the swarm; what is left to do is node-rm:" + name);
    }
  }
  if (st.OnService() && st.action != Action::kCreate && !services_[st.service].deployed) {
    return std::unexpected("the service does not exist at that point");
  }
  PaperNode* node = st.OnNode() ? &nodes_[st.node] : nullptr;
  PaperService* svc = st.OnService() ? &services_[st.service] : nullptr;
  switch (st.action) {
    case Action::kJoin:
      if (node->member) return std::unexpected(name + " is already in the swarm");
      node->member = true;
      node->left = false;
      node->running = true;
      node->role = st.role;
      node->activated = true;
      break;
    case Action::kLeave:
      if (node->role == Role::kManager) return std::unexpected("a manager leaves only once demoted (demote:" + name + " first)");
      if (!node->running) return std::unexpected("its engine is not running, so nothing can run `docker swarm leave` on it");
      node->left = true;
      node->running = false;
      break;
    case Action::kNodeRm:
      if (node->role == Role::kManager) return std::unexpected("docker removes a manager only once demoted (demote:" + name + " first)");
      if (node->running && !node->left) {
        return std::unexpected("docker node rm refuses a node that is not down: leave:" + name + " or stop:" + name +
                               " first");
      }
      node->member = false;
      node->left = false;
      node->running = false;
      node->activated = false;
      break;
    case Action::kStop: {
      if (!node->running) {
        return std::unexpected(s_.nodes[st.node].down && !node->stopped_by_plan
                                   ? "the node is down; bring it back (or leave it out of the order) first"
                                   : "the engine is already stopped");
      }
      if (node->role == Role::kManager) {
        const int managers = this->managers(), up = managers_up() - 1;
        // With one or two managers, any manager's restart loses quorum for
        // its duration and nothing avoids it but adding managers: the plan
        // is allowed (the trials show the cost). With three or more,
        // losing quorum is the order's fault.
        const bool unavoidable = managers < 3 && up == managers - 1 - down_managers_;
        if (up <= managers / 2 && !unavoidable) {
          return std::unexpected("would leave " + std::to_string(up) + " of " + std::to_string(managers) +
                                 " managers up, and Raft needs " + std::to_string(managers / 2 + 1) +
                                 " for quorum: the swarm could not schedule. Upgrade fewer managers at once" +
                                 (managers < 3 ? ", or add managers first (3 tolerate one down)" : ""));
        }
      }
      node->running = false;
      node->stopped_by_plan = true;
      break;
    }
    case Action::kInstall:
      if (node->running) return std::unexpected("the engine must be stopped first (stop:" + name + ")");
      // Engines are not downgraded in place: a manager's Raft data and the
      // swarm's objects may not be readable by an older engine.
      if (st.version < node->engine) {
        return std::unexpected(st.version.ToString() + " is older than the " + node->engine.ToString() + " " + name +
                               " runs; swarmplan plans upgrades, not downgrades");
      }
      node->engine = st.version;
      break;
    case Action::kStart:
      if (node->running) return std::unexpected("the engine is already running");
      node->running = true;
      break;
    case Action::kPromote:
      if (node->role == Role::kManager) return std::unexpected("the node is already a manager");
      node->role = Role::kManager;
      break;
    case Action::kDemote: {
      if (node->role != Role::kManager) return std::unexpected("the node is not a manager");
      if (managers() == 1) return std::unexpected("it is the last manager; promote another node first");
      // Raft shrinks with the demotion: the managers left up must still be
      // a majority of the managers left.
      const int managers = this->managers() - 1, up = managers_up() - (node->running ? 1 : 0);
      if (up <= managers / 2) {
        return std::unexpected("would leave " + std::to_string(up) + " of " + std::to_string(managers) +
                               " managers up, short of Raft's quorum of " + std::to_string(managers / 2 + 1));
      }
      node->role = Role::kWorker;
      break;
    }
    case Action::kDrain: node->drained = true; break;
    case Action::kActivate:
      node->drained = false;
      if (!s_.nodes[st.node].down) node->activated = true;
      break;
    case Action::kPause: break;
    case Action::kWait:
    case Action::kSleep: break;
    case Action::kCreate:
      if (svc->deployed) {
        return std::unexpected("the service already exists (give it \"deployed\": false in the scenario to plan its creation)");
      }
      svc->deployed = true;
      svc->updated = false;  // a new service has no previous spec
      break;
    case Action::kRemove: svc->deployed = false; break;
    case Action::kScale:
      if (s_.services[st.service].mode != model::ServiceMode::kReplicated) {
        return std::unexpected("a global service runs one task per node and cannot be scaled");
      }
      svc->replicas = st.replicas;
      break;
    case Action::kUpdate:
      svc->updated = true;
      svc->previous_networks = svc->networks;
      break;
    case Action::kNetworkAdd:
    case Action::kNetworkRm: {
      const std::string& net = s_.networks[st.network].name;
      const bool add = st.action == Action::kNetworkAdd;
      if (add == svc->networks.contains(net)) {
        return std::unexpected("the service is " + std::string(add ? "already" : "not") + " on " + net + " at that point");
      }
      svc->previous_networks = svc->networks;
      if (add) svc->networks.insert(net); else svc->networks.erase(net);
      svc->updated = true;
      break;
    }
    case Action::kKill:
      if (!node->running) return std::unexpected("its engine is not running at that point: nothing to kill");
      break;
    // Faults change nothing the plan counts on afterwards: a killed engine
    // or a host that went down comes back by itself, a partition heals.
    case Action::kHostDown:
    case Action::kPartition:
    case Action::kSlow:
    case Action::kInstallFails:
    case Action::kInstallKeepsOld:
    case Action::kKillLeader: break;
    case Action::kRollback:
      // Something to roll back to: a previous spec in the cluster
      // ("previous_spec", from import) or an update made by the plan.
      if (!svc->updated) {
        return std::unexpected("the service has no previous spec to roll back to (put an update:" + name +
                               " step before it)");
      }
      std::swap(svc->previous_networks, svc->networks);
      break;
  }
  return {};
}

std::expected<void, std::string> Paper::CheckEnd() const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const PaperNode& n = nodes_[i];
    if (!n.running && !s_.nodes[i].down && n.member && !n.left) {
      return std::unexpected("the plan leaves " + s_.nodes[i].name + "'s engine stopped at the end");
    }
  }
  return {};
}

std::expected<void, std::string> FaultFree(const model::Scenario& s, const Plan& p) {
  if (p.faults.count > 0) return std::unexpected("the plan carries faults (--faults): a what-if for plan and simulate, not for apply");
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (p.steps[i].IsFault()) {
      return std::unexpected("step " + std::to_string(i + 1) + " (" + p.steps[i].Describe(s) +
                             ") is a fault: faults are for `plan` and `simulate` (a what-if); apply carries out "
                             "only what an operator does, so take it out of the order");
    }
  }
  return {};
}

std::expected<void, std::string> CheckPlan(const model::Scenario& s, const Plan& p) {
  if (p.steps.empty()) return std::unexpected("the plan has no steps");
  Paper paper(s);
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (auto ok = paper.Apply(p.steps[i]); !ok) {
      return std::unexpected("step " + std::to_string(i + 1) + " (" + p.steps[i].Describe(s) + "): " + ok.error());
    }
  }
  return paper.CheckEnd();
}

}  // namespace swarmplan::planner

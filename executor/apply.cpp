#include "executor/apply.hpp"

#include <algorithm>
#include <optional>

#include "executor/journal.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"

namespace swarmplan::executor {

namespace {

std::expected<void, std::string> Perform(Executor& ex, const model::Scenario& s, const planner::Step& st) {
  const std::string node = st.OnNode() ? s.nodes[st.node].name : std::string();
  switch (st.action) {
    case planner::Action::kCreate: return ex.CreateService(s.services[st.service]);
    case planner::Action::kRemove: return ex.RemoveService(s.services[st.service].name);
    case planner::Action::kScale: return ex.ScaleService(s.services[st.service].name, st.replicas);
    case planner::Action::kUpdate: return ex.UpdateService(s.services[st.service].name);
    case planner::Action::kRollback: return ex.RollbackService(s.services[st.service].name);
    case planner::Action::kNetworkAdd:
    case planner::Action::kNetworkRm:
      return ex.ChangeNetwork(s.services[st.service].name, s.networks[st.network].name,
                              st.action == planner::Action::kNetworkAdd);
    case planner::Action::kDrain: return ex.Drain(node);
    case planner::Action::kActivate: return ex.SetAvailability(node, model::Availability::kActive);
    case planner::Action::kPause: return ex.SetAvailability(node, model::Availability::kPause);
    case planner::Action::kPromote: return ex.SetRole(node, model::Role::kManager);
    case planner::Action::kDemote: return ex.SetRole(node, model::Role::kWorker);
    case planner::Action::kJoin: return ex.JoinNode(node, st.role);
    case planner::Action::kLeave: return ex.LeaveNode(node);
    case planner::Action::kNodeRm: return ex.RemoveNode(node);
    case planner::Action::kStop: return ex.StopEngine(node);
    case planner::Action::kInstall: return ex.InstallEngine(node, st.version);
    case planner::Action::kStart: return ex.StartEngine(node);
    case planner::Action::kSleep: return ex.Sleep(st.duration);
    case planner::Action::kWait: {
      auto ok = ex.WaitConverged();
      if (!ok) return std::unexpected(ok.error());
      if (!*ok) return std::unexpected("the services did not converge before the deadline");
      return {};
    }
  }
  return {};
}

// The steps `docker stack deploy` performs: a Compose plan is these, then
// a wait (compose/stack.hpp).
bool IsDeployStep(const planner::Step& st) {
  return st.action == planner::Action::kCreate || st.action == planner::Action::kScale ||
         st.action == planner::Action::kUpdate || st.action == planner::Action::kNetworkAdd ||
         st.action == planner::Action::kNetworkRm;
}

std::vector<model::NetworkSpec>::const_iterator NetworkNamed(const std::vector<model::NetworkSpec>& nets,
                                                            const std::string& name) {
  return std::find_if(nets.begin(), nets.end(), [&](const model::NetworkSpec& x) { return x.name == name; });
}

// Predicted risk of the steps from `first` on, from the cluster as it is.
std::expected<double, std::string> Risk(Executor& ex, const model::Scenario& scenario, const planner::Plan& plan,
                                        std::size_t first, std::uint64_t seed, std::uint64_t trials, unsigned threads) {
  auto now = ex.Snapshot();
  if (!now) return std::unexpected("snapshot: " + now.error());
  planner::Plan rest;
  rest.origin = "remaining steps";
  rest.steps.assign(plan.steps.begin() + static_cast<std::ptrdiff_t>(first), plan.steps.end());
  // Steps name nodes and services by index: map them onto the snapshot by
  // name. A service the plan creates is not in a live cluster's snapshot
  // yet: it is added as defined, not deployed.
  for (planner::Step& st : rest.steps) {
    if (st.OnNode()) {
      const std::string& name = scenario.nodes[st.node].name;
      auto at = now->FindNode(name);
      if (!at) return std::unexpected("node " + name + " is no longer in the cluster");
      st.node = *at;
    } else if (st.OnService()) {
      const model::ServiceSpec& spec = scenario.services[st.service];
      auto it = std::find_if(now->services.begin(), now->services.end(),
                             [&](const model::ServiceSpec& v) { return v.name == spec.name; });
      if (it == now->services.end()) {
        if (st.action != planner::Action::kCreate) return std::unexpected("service " + spec.name + " is no longer in the cluster");
        model::ServiceSpec added = spec;
        added.deployed = false;
        now->services.push_back(added);
        // Its networks too, if the deploy creates them (a Compose stack's).
        for (const std::string& net : spec.networks) {
          const auto def = NetworkNamed(scenario.networks, net);
          if (NetworkNamed(now->networks, net) == now->networks.end() && def != scenario.networks.end()) {
            now->networks.push_back(*def);
          }
        }
        it = now->services.end() - 1;
      }
      st.service = static_cast<std::size_t>(it - now->services.begin());
      if (st.action == planner::Action::kNetworkAdd || st.action == planner::Action::kNetworkRm) {
        const std::string& net = scenario.networks[st.network].name;
        auto n = NetworkNamed(now->networks, net);
        if (n == now->networks.end()) return std::unexpected("network " + net + " is no longer in the cluster");
        st.network = static_cast<std::size_t>(n - now->networks.begin());
      }
    }
  }
  if (rest.steps.empty()) return 0.0;
  if (auto ok = planner::CheckPlan(*now, rest); !ok) {
    return std::unexpected("the remaining steps no longer fit the cluster as it is: " + ok.error());
  }
  const auto results = planner::RunTrials(*now, rest, seed, {0, trials}, threads);
  return planner::Aggregate(*now, rest, seed, results).p_reject;
}

}  // namespace

std::expected<ApplyResult, std::string> Apply(Executor& ex, const model::Scenario& scenario,
                                              const planner::Plan& plan, const ApplyOptions& opt, std::ostream& log) {
  std::optional<Journal> journal;
  if (!opt.journal.empty()) {
    std::string plan_text = scenario.name;
    for (const auto& w : planner::PlanWords(scenario, plan)) plan_text += "\n" + w;
    auto j = Journal::Open(opt.journal, {Fingerprint(plan_text), plan.steps.size(), std::string(ex.name()),
                                         ex.cluster_id()});
    if (!j) return std::unexpected(j.error());
    journal = std::move(*j);
  }
  // Refuse to start a plan predicted unsafe, unless forced.
  const auto predicted = planner::Aggregate(scenario, plan, opt.seed,
                                            planner::RunTrials(scenario, plan, opt.seed, {0, opt.gate_trials}, opt.threads));
  log << "swarmplan apply: seed " << opt.seed << ", executor " << ex.name() << ", " << plan.steps.size()
      << " steps; predicted P(rejection) " << predicted.p_reject << "\n";
  if (!predicted.safe && !opt.force) {
    return ApplyResult{ApplyOutcome::kRefused,
                       "refusing: the plan is predicted at risk (run `swarmplan plan` for why); --force runs it anyway"};
  }
  if (journal && journal->finished() > 0) {
    log << "swarmplan apply: resuming: " << journal->finished() << " steps already done (" << opt.journal << ")\n";
  }
  auto record = [&](std::size_t i, const planner::Step& st) -> std::expected<void, std::string> {
    if (!journal) return {};
    return journal->Record(i, st.Describe(scenario));
  };
  const std::uint64_t rejected_before = ex.Observe().rejected;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const planner::Step& st = plan.steps[i];
    const std::string what = "step " + std::to_string(i + 1) + "/" + std::to_string(plan.steps.size()) + " (" +
                             st.Describe(scenario) + ")";
    if (journal && journal->Done(i)) continue;
    // Safety gate: before each step that starts something, re-read the
    // cluster and re-plan the rest. Not inside a node's stop-install-start,
    // nor before waits.
    const bool starts_something = st.action == planner::Action::kDrain || st.action == planner::Action::kStop ||
                                  st.action == planner::Action::kActivate || st.action == planner::Action::kPause ||
                                  st.OnService();
    if (ex.gated() && starts_something) {
      auto risk = Risk(ex, scenario, plan, i, opt.seed, std::max<std::uint64_t>(1, opt.gate_trials / 4), opt.threads);
      if (!risk) return std::unexpected(what + ": " + risk.error());
      if (*risk > opt.max_risk) {
        return ApplyResult{ApplyOutcome::kStopped, "stopped before " + what +
                                                       ": the predicted risk of the remaining steps is " +
                                                       std::to_string(*risk) + ", above --max-risk " +
                                                       std::to_string(opt.max_risk)};
      }
    }
    // A Compose plan's deploy steps run together as docker stack deploy.
    std::size_t last = i;
    if (opt.stack && ex.DeploysStacks() && IsDeployStep(st)) {
      while (last + 1 < plan.steps.size() && IsDeployStep(plan.steps[last + 1])) ++last;
      log << "swarmplan apply: steps " << i + 1 << "-" << last + 1 << "/" << plan.steps.size()
          << " (the stack's deploy): docker stack deploy " << opt.stack->name << "\n";
      auto done = ex.DeployStack(*opt.stack);
      if (!done) return ApplyResult{ApplyOutcome::kStopped, "stopped at " + what + ": " + done.error()};
    } else {
      log << "swarmplan apply: " << what << "\n";
      auto done = Perform(ex, scenario, st);
      if (!done) return ApplyResult{ApplyOutcome::kStopped, "stopped at " + what + ": " + done.error()};
    }
    const auto seen = ex.Observe();
    // The step ran: it is recorded even when what follows stops the run.
    for (; i <= last; ++i) {
      if (auto r = record(i, plan.steps[i]); !r) return std::unexpected(r.error());
    }
    i = last;
    if (!seen.error.empty()) {
      return ApplyResult{ApplyOutcome::kStopped, "stopped after " + what + ": cannot observe the cluster: " + seen.error};
    }
    if (seen.supported && seen.rejected > rejected_before) {
      return ApplyResult{ApplyOutcome::kStopped, "stopped after " + what + ": " +
                                                     std::to_string(seen.rejected - rejected_before) +
                                                     " task(s) rejected: \"" + seen.last_error + "\""};
    }
  }
  return ApplyResult{ApplyOutcome::kDone, "done"};
}

}  // namespace swarmplan::executor

#include "executor/apply.hpp"

#include <algorithm>
#include <optional>

#include "executor/interrupt.hpp"
#include "executor/journal.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "model/try.hpp"

namespace swarmplan::executor {

namespace {

// An executor as a target of Perform (planner/step.hpp): the scenario's
// indices become the names the cluster knows.
struct ExecutorTarget {
  using Done = std::expected<void, std::string>;
  Executor& ex;
  const model::Scenario& s;
  const std::string& N(std::size_t i) const { return s.nodes[i].name; }
  const std::string& S(std::size_t i) const { return s.services[i].name; }
  Done Drain(std::size_t n) { return ex.Drain(N(n)); }
  Done Activate(std::size_t n) { return ex.SetAvailability(N(n), model::Availability::kActive); }
  Done Pause(std::size_t n) { return ex.SetAvailability(N(n), model::Availability::kPause); }
  Done Promote(std::size_t n) { return ex.SetRole(N(n), model::Role::kManager); }
  Done Demote(std::size_t n) { return ex.SetRole(N(n), model::Role::kWorker); }
  Done Join(std::size_t n, model::Role r) { return ex.JoinNode(N(n), r); }
  Done Leave(std::size_t n) { return ex.LeaveNode(N(n)); }
  Done RemoveNode(std::size_t n) { return ex.RemoveNode(N(n)); }
  Done Stop(std::size_t n) { return ex.StopEngine(N(n)); }
  Done Install(std::size_t n, model::EngineVersion v) { return ex.InstallEngine(N(n), v); }
  Done Start(std::size_t n) { return ex.StartEngine(N(n)); }
  Done Wait() {
    auto ok = SWARMPLAN_TRY(ex.WaitConverged());
    if (!ok) return std::unexpected("the services did not converge before the deadline");
    return {};
  }
  Done Sleep(sim::Time d) { return ex.Sleep(d); }
  Done Create(std::size_t v) { return ex.CreateService(s.services[v]); }
  Done Remove(std::size_t v) { return ex.RemoveService(S(v)); }
  Done Scale(std::size_t v, std::uint32_t r) { return ex.ScaleService(S(v), r); }
  Done Update(std::size_t v) { return ex.UpdateService(S(v)); }
  Done Rollback(std::size_t v) { return ex.RollbackService(S(v)); }
  Done ChangeNetwork(std::size_t v, std::size_t k, bool add) { return ex.ChangeNetwork(S(v), s.networks[k].name, add); }
  // Apply refuses a plan with faults before it starts (FaultFree); this
  // is the last guard.
  Done Fault(const planner::Step&) { return std::unexpected("a fault step is a what-if, not something apply does"); }
};

std::expected<void, std::string> Perform(Executor& ex, const model::Scenario& s, const planner::Step& st) {
  ExecutorTarget t{ex, s};
  return planner::Perform(t, st);
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

const char* AvailabilityWord(model::Availability a) {
  return a == model::Availability::kDrain ? "drain" : a == model::Availability::kPause ? "pause" : "active";
}

}  // namespace

std::expected<InDoubtVerdict, std::string> SettleInDoubt(Executor& ex, const model::Scenario& scenario,
                                                         const planner::Plan& plan, std::size_t step) {
  using planner::Action;
  const planner::Step& st = plan.steps[step];
  if (ex.ReadsNothingReal()) return InDoubtVerdict{InDoubt::kRedo, "the " + std::string(ex.name()) + " executor changes nothing real"};
  auto redo = [](std::string why) { return InDoubtVerdict{InDoubt::kRedo, std::move(why)}; };
  auto skip = [](std::string why) { return InDoubtVerdict{InDoubt::kSkip, std::move(why)}; };
  auto stop = [](std::string why) { return InDoubtVerdict{InDoubt::kStop, std::move(why)}; };
  if (st.action == Action::kWait || st.action == Action::kSleep) return redo("waiting again changes nothing");
  if (st.OnService()) {
    const std::string& name = scenario.services[st.service].name;
    auto seen = SWARMPLAN_TRY(ex.ReadService(name));
    switch (st.action) {
      case Action::kCreate:
        return seen ? skip("service " + name + " exists") : redo("service " + name + " does not exist");
      case Action::kRemove:
        return seen ? redo("service " + name + " still exists") : skip("service " + name + " is gone");
      case Action::kScale:
        if (!seen) return stop("service " + name + " does not exist");
        return *seen == st.replicas ? skip("service " + name + " wants " + std::to_string(st.replicas) + " replicas already")
                                     : redo("service " + name + " wants " + std::to_string(*seen) + " replicas");
      default:
        if (!seen) return stop("service " + name + " does not exist");
        // A rolling update or a rollback done twice is a second rolling
        // update of the same spec: nothing is lost. A network change done
        // twice is refused by the executor ("already on the network").
        return redo("service " + name + " exists; done again, the change is rolled out once more");
    }
  }
  const std::string& node = scenario.nodes[st.node].name;
  auto seen = SWARMPLAN_TRY(ex.ReadNode(node));
  const std::string engine = seen.engine ? seen.engine->ToString() : std::string("?");
  const std::string is = node + " is " + (seen.present ? seen.state : std::string("not in the swarm")) +
                         (seen.present ? ", " + std::string(AvailabilityWord(seen.availability)) + ", on engine " + engine : "");
  switch (st.action) {
    case Action::kJoin:
      if (!seen.present) return redo(node + " is not in the swarm");
      return seen.state == "ready" ? skip(is) : stop(is + ": its join may be under way; wait for it to be ready, then run again");
    case Action::kLeave:
      if (!seen.present || seen.state == "down") return skip(is);
      return redo(is);
    case Action::kNodeRm:
      return seen.present ? redo(is) : skip(node + " is not in the swarm any more");
    default: break;
  }
  if (!seen.present) return stop(node + " is not in the swarm any more");
  switch (st.action) {
    case Action::kDrain:
      // Draining again is the same API update, then the wait for its tasks.
      return redo(is);
    case Action::kActivate:
    case Action::kPause: {
      const auto want = st.action == Action::kActivate ? model::Availability::kActive : model::Availability::kPause;
      return seen.availability == want ? skip(is) : redo(is);
    }
    case Action::kPromote:
    case Action::kDemote: {
      const auto want = st.action == Action::kPromote ? model::Role::kManager : model::Role::kWorker;
      return seen.role == want ? skip(is) : redo(is);
    }
    case Action::kInstall:
      if (seen.engine && seen.engine == st.version) return skip(is + ": the upgrade took effect");
      if (seen.state == "ready") return redo(is + ": its engine runs, the upgrade did not take effect");
      return stop(is + ": the interrupted upgrade command may still be running, or have left the install half done; "
                  "finish it by hand, or bring " + node + " back on its old engine, then run again (the step is "
                  "skipped once " + node + " reports " + st.version.ToString() + ", redone once it is ready on its old engine)");
    case Action::kStop:
      return seen.state == "ready" ? redo(is) : skip(is);
    case Action::kStart:
      return redo(is + ": starting waits until it is ready");
    default: break;
  }
  return redo(is);
}

std::expected<ApplyResult, std::string> Apply(Executor& ex, const model::Scenario& scenario,
                                              const planner::Plan& plan, const ApplyOptions& opt, std::ostream& log) {
  SWARMPLAN_CHECK(planner::FaultFree(scenario, plan));
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
  if (journal && journal->finished() + journal->in_doubt() > 0) {
    log << "swarmplan apply: resuming: " << journal->finished() << " steps already done, " << journal->in_doubt()
        << " in doubt (" << opt.journal << ")\n";
  }
  // What the executor learned before the earlier run stopped (a node's
  // store version read before its engine stopped, say), in order.
  if (journal) {
    for (const std::string& memo : journal->memos()) {
      if (auto ok = ex.Recall(memo); !ok) return std::unexpected(opt.journal + ": " + ok.error());
    }
  }
  // The executor's new memos go to the journal with step i, before its
  // done record (or when the step stops, for the run that resumes it).
  auto keep_memos = [&](std::size_t i) -> std::expected<void, std::string> {
    for (const std::string& memo : ex.TakeMemos()) {
      if (!journal) continue;
      if (auto ok = journal->Memo(i, memo); !ok) return ok;
    }
    return {};
  };
  auto record = [&](std::size_t i, const planner::Step& st) -> std::expected<void, std::string> {
    if (!journal) return {};
    return journal->Record(i, st.Describe(scenario));
  };
  auto interrupted = [&](int sig, const std::string& what) {
    return ApplyResult{ApplyOutcome::kInterrupted,
                       "interrupted by " + SignalName(sig) + " " + what +
                           (journal ? "; a run with the same --journal reads the cluster before it redoes or skips it"
                                    : ""),
                       sig};
  };
  std::uint64_t rejected_before = ex.Observe().rejected;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const planner::Step& st = plan.steps[i];
    const std::string what = "step " + std::to_string(i + 1) + "/" + std::to_string(plan.steps.size()) + " (" +
                             st.Describe(scenario) + ")";
    if (const int sig = StopSignal()) return interrupted(sig, "before " + what + ": it did not start");
    if (journal && journal->Done(i)) {
      if (ex.ReplaysJournal()) {
        // A rehearsal's cluster is new: bring it to where the journal left it.
        log << "swarmplan apply: replaying " << what << " (done before) on the " << ex.name() << " executor\n";
        if (auto done = Perform(ex, scenario, st); !done) {
          return std::unexpected("replaying the journal's " + what + " on the " + std::string(ex.name()) +
                                 " executor: " + done.error());
        }
        rejected_before = ex.Observe().rejected;
      }
      continue;
    }
    if (journal && journal->InDoubt(i)) {
      auto verdict = SettleInDoubt(ex, scenario, plan, i);
      if (!verdict) return std::unexpected(what + " was left in doubt, and the cluster cannot be read: " + verdict.error());
      const char* word = verdict->what == InDoubt::kRedo ? "redoing it" : verdict->what == InDoubt::kSkip ? "skipping it" : "stopping";
      log << "swarmplan apply: " << what << " was begun and not finished by an earlier run: " << verdict->why << "; "
          << word << "\n";
      if (verdict->what == InDoubt::kStop) {
        return ApplyResult{ApplyOutcome::kStopped, "stopped at " + what + ", left in doubt by an earlier run: " + verdict->why};
      }
      if (verdict->what == InDoubt::kSkip) {
        SWARMPLAN_CHECK(record(i, st));
        continue;
      }
    }
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
    const bool stack = opt.stack && ex.DeploysStacks() && IsDeployStep(st);
    if (stack) {
      while (last + 1 < plan.steps.size() && IsDeployStep(plan.steps[last + 1])) ++last;
    }
    if (const int sig = StopSignal()) return interrupted(sig, "before " + what + ": it did not start");
    if (journal) {
      for (std::size_t k = i; k <= last; ++k) {
        SWARMPLAN_CHECK(journal->Begin(k, plan.steps[k].Describe(scenario)));
      }
    }
    std::expected<void, std::string> done;
    if (stack) {
      log << "swarmplan apply: steps " << i + 1 << "-" << last + 1 << "/" << plan.steps.size()
          << " (the stack's deploy): docker stack deploy " << opt.stack->name << "\n";
      done = ex.DeployStack(*opt.stack);
    } else {
      log << "swarmplan apply: " << what << "\n";
      done = Perform(ex, scenario, st);
    }
    SWARMPLAN_CHECK(keep_memos(i));
    if (!done) {
      if (const int sig = StopSignal()) return interrupted(sig, "during " + what + ": " + done.error() + "; the step is in doubt");
      return ApplyResult{ApplyOutcome::kStopped, "stopped at " + what + ": " + done.error()};
    }
    const auto seen = ex.Observe();
    // The step ran: it is recorded even when what follows stops the run.
    for (; i <= last; ++i) {
      SWARMPLAN_CHECK(record(i, plan.steps[i]));
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

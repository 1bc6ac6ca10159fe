#include "planner/trial.hpp"

#include "model/operator.hpp"
#include "model/swarm.hpp"

#include <algorithm>
#include <optional>

namespace swarmplan::planner {

using model::Swarm;
using sim::Time;

namespace {

// The simulated operator as a target of Perform (planner/step.hpp): the
// scenario's indices are the model's ids, but for networks (model network
// k + 1 is the scenario's network k; 0 is ingress).
struct OperatorTarget {
  using Done = std::expected<void, std::string>;
  model::Operator& op;
  model::Swarm& w;
  static model::NodeId N(std::size_t i) { return static_cast<model::NodeId>(i); }
  static model::ServiceId S(std::size_t i) { return static_cast<model::ServiceId>(i); }
  Done Drain(std::size_t n) { return op.Drain(N(n)); }
  Done Activate(std::size_t n) { return op.SetAvailability(N(n), model::Availability::kActive); }
  Done Pause(std::size_t n) { return op.SetAvailability(N(n), model::Availability::kPause); }
  Done Promote(std::size_t n) { return op.SetRole(N(n), model::Role::kManager); }
  Done Demote(std::size_t n) { return op.SetRole(N(n), model::Role::kWorker); }
  Done Join(std::size_t n, model::Role r) { return op.Join(N(n), r); }
  Done Leave(std::size_t n) { return op.Leave(N(n)); }
  Done RemoveNode(std::size_t n) { return op.RemoveNode(N(n)); }
  Done Stop(std::size_t n) { return op.Stop(N(n)); }
  Done Install(std::size_t n, model::EngineVersion v) { return op.Install(N(n), v); }
  Done Start(std::size_t n) { return op.Start(N(n)); }
  // A wait that gives up says so in the trace; the trial goes on.
  Done Wait() {
    op.WaitConverged();
    return {};
  }
  Done Sleep(sim::Time d) {
    op.Sleep(d);
    return {};
  }
  Done Create(std::size_t v) { return op.CreateService(S(v)); }
  Done Remove(std::size_t v) { return op.RemoveService(S(v)); }
  Done Scale(std::size_t v, std::uint32_t r) { return op.ScaleService(S(v), r); }
  Done Update(std::size_t v) { return op.UpdateService(S(v)); }
  Done Rollback(std::size_t v) { return op.RollbackService(S(v)); }
  Done ChangeNetwork(std::size_t v, std::size_t k, bool add) {
    return op.ChangeNetwork(S(v), static_cast<model::NetworkId>(k + 1), add);
  }
  Done Fault(const Step& st) { return InjectFault(w, st); }
};

std::expected<void, std::string> Perform(model::Operator& op, model::Swarm& w, const Step& st) {
  OperatorTarget t{op, w};
  return planner::Perform(t, st);
}

}  // namespace

std::expected<void, std::string> InjectFault(model::Swarm& w, const Step& st) {
  model::Faults& f = w.faults();
  const auto n = static_cast<model::NodeId>(st.node);
  switch (st.action) {
    case Action::kKill: return f.Kill(n);
    case Action::kKillLeader: return f.KillLeader();
    case Action::kHostDown: return f.HostDown(n, st.duration);
    case Action::kPartition: return f.Partition(n, st.duration);
    case Action::kSlow: return f.Slow(n, st.slow_pct);
    case Action::kInstallFails: return f.FailNextInstall(n, false);
    case Action::kInstallKeepsOld: return f.FailNextInstall(n, true);
    default: return std::unexpected("not a fault: " + std::string(ToString(st.action)));
  }
}

StateCounts CountState(const model::Swarm& w) {
  StateCounts c;
  for (std::size_t k = 1; k < w.networks.size(); ++k) c.used.push_back(w.networks[k].pool.used());
  const std::size_t n = w.services.size();
  c.running.assign(n, 0);
  c.waiting_new.assign(n, 0);
  c.rejected.assign(n, 0);
  for (const model::Task& task : w.tasks) {
    if (task.state == model::TaskState::kRunning) ++c.running[task.service];
    if (task.state == model::TaskState::kNew) ++c.waiting_new[task.service];
    if (task.state == model::TaskState::kRejected) ++c.rejected[task.service];
  }
  return c;
}

TrialResult RunTrial(const model::Scenario& s, const Plan& p, std::uint64_t seed, const TrialOptions& opt,
                     model::Trace* trace) {
  Swarm w(s, seed, trace != nullptr || opt.trace, opt.max_events);
  w.trace().SetExplain(opt.explain);
  if (opt.heartbeat) w.engine().SetHeartbeat([&w, &opt] { opt.heartbeat(w.Now(), w.engine().fired()); });
  TrialResult r;
  r.seed = seed;
  model::Operator op(w);
  w.Deploy();
  r.deploy_converged = op.WaitConverged(s.timings.settle);

  std::vector<std::uint64_t> before(w.networks.size());
  for (std::size_t k = 0; k < w.networks.size(); ++k) before[k] = w.networks[k].pool.used();
  std::vector<std::uint32_t> running_before;
  for (const auto& svc : w.services) running_before.push_back(svc.running);

  if (opt.on_event) w.SetObserver([&] { opt.on_event(w); });
  w.trace().Add(w.Now(), "step", [&] { return "plan starts (" + p.origin + ")"; });
  w.StartMeasuring();
  const Time plan_start = w.Now();
  r.snapshots.resize(opt.snapshots.size());
  std::vector<bool> taken(opt.snapshots.size(), false);
  for (std::size_t i = 0; i < opt.snapshots.size(); ++i) {
    w.engine().Schedule(plan_start + opt.snapshots[i], [&w, &r, &taken, i] {
      r.snapshots[i] = CountState(w);
      taken[i] = true;
    });
  }
  std::vector<Time> starts;
  std::optional<FaultInjector> faults;
  if (p.faults.count > 0) faults.emplace(p.faults, p, seed);
  for (std::size_t i = 0; i < p.steps.size() && !r.plan_failed; ++i) {
    if (i > 0) op.Think();
    starts.push_back(w.Now());
    if (faults) faults->StepStarts(w, i, plan_start);
    const Step& st = p.steps[i];
    if (opt.on_step) opt.on_step(w, i, st.Describe(s));
    w.trace().Add(w.Now(), "step", [&] { return std::to_string(i + 1) + "/" + std::to_string(p.steps.size()) + " " + st.Describe(s); });
    auto done = Perform(op, w, st);
    if (!done || w.engine().bound_hit()) {
      r.plan_failed = true;
      r.plan_error = "step " + std::to_string(i + 1) + " (" + st.Describe(s) + "): " +
                     (done ? std::string("event bound hit") : done.error());
      w.trace().Add(w.Now(), "step", "FAILED " + r.plan_error);
    }
  }
  // A fault armed but not struck yet strikes before the end, and one
  // still running its course (a partition open, a host off) is part of
  // the plan's story: the final wait starts once it is over.
  if (faults) {
    faults->PlanEnds();
    if (!r.plan_failed && w.Now() < faults->last_strike()) w.engine().RunUntil(faults->last_strike());
  }
  // A plan a fault stopped (an engine that did not come back) is still
  // watched to its end: whether the swarm brings every replica back
  // without the rest of the plan is what the fault's report says.
  const bool watch = (faults.has_value() || std::any_of(p.steps.begin(), p.steps.end(), [](const Step& x) { return x.IsFault(); })) &&
                     !w.engine().bound_hit();
  if ((watch || !r.plan_failed) && w.faults().injected() > 0) op.WaitFaultsOver();
  const std::uint64_t rejected_before_tail = w.metrics.rejected_total();
  const Time tail_start = w.Now();
  r.converged = (watch || !r.plan_failed) && op.WaitConverged(s.timings.converge_timeout);
  r.tail_s = sim::ToSeconds(w.Now() - tail_start);
  r.tail_rejections = w.metrics.rejected_total() - rejected_before_tail;
  r.still_rejecting = w.metrics.last_reject_time >= 0 && w.Now() - w.metrics.last_reject_time <= sim::Minute(1);
  w.FinishMeasuring();
  r.plan_s = sim::ToSeconds(w.Now() - plan_start);
  w.trace().Add(w.Now(), "step", r.converged ? "converged" : "did not converge");

  for (std::size_t i = 0; i < taken.size(); ++i) {
    if (!taken[i]) r.snapshots[i] = CountState(w);
  }
  const auto& m = w.metrics;
  r.metrics = m;
  // Trouble is the first rejection; failing that, the first time a task or
  // a node's load balancer found no address.
  const Time trouble = m.first_reject_time >= 0 ? m.first_reject_time : m.first_shortage_time;
  if (trouble >= 0) {
    for (std::size_t i = 0; i < starts.size(); ++i) {
      if (starts[i] <= trouble) r.first_risk_step = static_cast<int>(i);
    }
  }
  for (std::size_t k = 1; k < w.networks.size(); ++k) {
    const auto& pool = w.networks[k].pool;
    r.networks.push_back({w.networks[k].name, pool.capacity(), before[k], pool.peak_used(), pool.used()});
  }
  std::vector<std::uint32_t> stuck(w.services.size(), 0);
  std::vector<bool> busy(w.nodes.size(), false);
  for (const model::Task& t : w.tasks) {
    if (t.state == model::TaskState::kNew) ++stuck[t.service];
    if (t.state == model::TaskState::kRunning) busy[t.node] = true;
  }
  for (std::size_t i = 0; i < w.services.size(); ++i) {
    const auto& svc = w.services[i];
    r.services.push_back({svc.spec.name, svc.desired(), running_before[i], svc.min_running,
                          sim::ToSeconds(svc.below_total), svc.running, stuck[i]});
  }
  for (const model::Node& n : w.nodes) r.empty_nodes += n.schedulable() && !busy[n.id];
  if (faults) r.faults = faults->struck();
  if (faults && opt.pair_calm) {
    Plan calm = p;
    calm.faults = {};
    TrialOptions calm_opt;
    calm_opt.max_events = opt.max_events;
    const TrialResult c = RunTrial(s, calm, seed, calm_opt);
    r.calm_run = true;
    r.calm_at_risk = c.at_risk();
    r.calm_converged = c.converged;
  }
  r.events = w.engine().fired();
  r.unseed = w.rng().Next();
  r.peak_pending = w.engine().peak_pending();
  if (trace != nullptr) *trace = w.trace();
  return r;
}

}  // namespace swarmplan::planner

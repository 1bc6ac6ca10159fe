#include "planner/trial.hpp"

#include <functional>

#include "model/swarm.hpp"

namespace swarmplan::planner {

using model::Swarm;
using sim::Time;

namespace {

// Drives the plan's steps on a Swarm as events: each step starts after the
// previous one finished plus an operator's delay.
class PlanRunner {
 public:
  PlanRunner(Swarm& w, const model::Scenario& s, const Plan& p) : w_(w), s_(s), p_(p) {}

  void Start() { Next(); }
  bool done() const { return done_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  const std::vector<Time>& step_start() const { return start_; }

 private:
  void Next() {
    if (i_ == p_.steps.size()) {
      done_ = true;
      return;
    }
    const Time delay = i_ == 0 ? 0 : w_.Draw(w_.timings().operator_step);
    w_.engine().After(delay, [this] { Begin(); });
  }
  void Finish() {
    ++i_;
    Next();
  }
  void Fail(const std::string& why) {
    error_ = "step " + std::to_string(i_ + 1) + " (" + p_.steps[i_].Describe(s_) + "): " + why;
    w_.trace().Add(w_.Now(), "step", "FAILED " + error_);
    done_ = true;
  }
  void Begin() {
    const Step& st = p_.steps[i_];
    start_.push_back(w_.Now());
    w_.trace().Add(w_.Now(), "step", std::to_string(i_ + 1) + "/" + std::to_string(p_.steps.size()) + " " +
                                         st.Describe(s_));
    deadline_ = w_.Now() + w_.timings().converge_timeout;
    const auto node = static_cast<model::NodeId>(st.node);
    switch (st.action) {
      case Action::kDrain:
      case Action::kActivate:
      case Action::kPause: {
        const auto av = st.action == Action::kDrain      ? model::Availability::kDrain
                         : st.action == Action::kActivate ? model::Availability::kActive
                                                          : model::Availability::kPause;
        UpdateNode(node, av);
        return;
      }
      case Action::kStop:
        w_.engine().After(w_.Draw(w_.timings().engine_stop), [this, node] {
          w_.StopEngine(node);
          Finish();
        });
        return;
      case Action::kInstall:
        w_.InstallEngine(node, st.version);
        Finish();
        return;
      case Action::kStart:
        w_.StartEngine(node);
        Poll([this, node] { return w_.nodes[node].connected; }, "the node did not come back");
        return;
      case Action::kWait:
        Poll([this] { return w_.Converged(); }, "", /*soft=*/true);
        return;
      case Action::kSleep:
        w_.engine().After(st.duration, [this] { Finish(); });
        return;
    }
  }
  // `docker node update` goes through the leader: retried while there is none.
  void UpdateNode(model::NodeId node, model::Availability av) {
    auto r = w_.SetAvailability(node, av);
    if (!r) {
      if (w_.Now() >= deadline_) return Fail(r.error());
      w_.engine().After(sim::kSecond, [this, node, av] { UpdateNode(node, av); });
      return;
    }
    if (av == model::Availability::kDrain) {
      // "verify that containers have all stopped"
      Poll([this, node] { return w_.LiveTasksOn(node) == 0; }, "tasks did not stop on the drained node", true);
      return;
    }
    Finish();
  }

  // Checks `ok` now and every second until it holds or the step's deadline
  // passes (then a soft wait moves on, a hard one fails the plan).
  void Poll(std::function<bool()> ok, std::string why, bool soft = false) {
    pred_ = std::move(ok);
    why_ = std::move(why);
    soft_ = soft;
    PollTick();
  }
  void PollTick() {
    if (pred_()) return Finish();
    if (w_.Now() >= deadline_) {
      if (soft_) {
        w_.trace().Add(w_.Now(), "step", "gave up waiting after " +
                                             std::to_string(w_.timings().converge_timeout / sim::kSecond) + " s");
        return Finish();
      }
      return Fail(why_);
    }
    w_.engine().After(sim::kSecond, [this] { PollTick(); });
  }

  Swarm& w_;
  const model::Scenario& s_;
  const Plan& p_;
  std::size_t i_ = 0;
  Time deadline_ = 0;
  bool done_ = false;
  std::string error_;
  std::vector<Time> start_;
  std::function<bool()> pred_;
  std::string why_;
  bool soft_ = false;
};

bool RunUntilConverged(Swarm& w, Time budget) {
  const Time deadline = w.Now() + budget;
  while (w.Now() < deadline) {
    if (!w.engine().RunUntil(std::min(deadline, w.Now() + sim::kSecond))) return false;
    if (w.Converged()) return true;
  }
  return w.Converged();
}

}  // namespace

TrialResult RunTrial(const model::Scenario& s, const Plan& p, std::uint64_t seed, const TrialOptions& opt,
                     model::Trace* trace) {
  Swarm w(s, seed, trace != nullptr || opt.trace, opt.max_events);
  TrialResult r;
  r.seed = seed;
  w.Deploy();
  r.deploy_converged = RunUntilConverged(w, s.timings.settle);

  std::vector<std::uint64_t> before(w.networks.size());
  for (std::size_t k = 0; k < w.networks.size(); ++k) before[k] = w.networks[k].pool.used();
  std::vector<std::uint32_t> running_before;
  for (const auto& svc : w.services) running_before.push_back(svc.running);

  w.trace().Add(w.Now(), "step", "plan starts (" + p.origin + ")");
  w.StartMeasuring();
  const Time plan_start = w.Now();
  PlanRunner runner(w, s, p);
  runner.Start();
  // Steps drive themselves; bound the whole plan generously.
  const Time plan_budget = static_cast<Time>(p.steps.size() + 2) * (s.timings.converge_timeout + sim::Minute(2));
  while (!runner.done() && w.Now() - plan_start < plan_budget) {
    if (!w.engine().RunUntil(w.Now() + sim::kSecond)) break;
  }
  r.plan_failed = runner.failed() || !runner.done();
  if (runner.failed()) r.plan_error = runner.error();
  else if (!runner.done()) r.plan_error = w.engine().bound_hit() ? "event bound hit" : "plan did not finish";
  r.converged = !r.plan_failed && RunUntilConverged(w, s.timings.converge_timeout);
  w.FinishMeasuring();
  r.plan_s = sim::ToSeconds(w.Now() - plan_start);
  w.trace().Add(w.Now(), "step", r.converged ? "converged" : "did not converge");

  const auto& m = w.metrics;
  r.rejected_attachments = m.rejected_missing_attachments;
  r.rejected_swarm_inactive = m.rejected_swarm_inactive;
  r.failed_other = m.failed_other;
  r.allocation_failures = m.allocation_failures;
  r.attachment_failures = m.attachment_failures;
  r.max_unallocated = m.max_unallocated;
  // Trouble is the first rejection; failing that, the first time a task or
  // a node's load balancer found no address.
  const Time trouble = m.first_reject_time >= 0 ? m.first_reject_time : m.first_shortage_time;
  if (trouble >= 0) {
    const auto& starts = runner.step_start();
    for (std::size_t i = 0; i < starts.size(); ++i) {
      if (starts[i] <= trouble) r.first_risk_step = static_cast<int>(i);
    }
  }
  for (std::size_t k = 1; k < w.networks.size(); ++k) {
    const auto& pool = w.networks[k].pool;
    r.networks.push_back({w.networks[k].name, pool.capacity(), before[k], pool.peak_used(), pool.used()});
  }
  for (std::size_t i = 0; i < w.services.size(); ++i) {
    const auto& svc = w.services[i];
    r.services.push_back({svc.spec.name, svc.desired(), running_before[i], svc.min_running,
                          sim::ToSeconds(svc.below_total), svc.running});
  }
  r.events = w.engine().fired();
  if (trace != nullptr) *trace = w.trace();
  return r;
}

}  // namespace swarmplan::planner

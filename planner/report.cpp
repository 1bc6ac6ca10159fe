#include "planner/report.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <map>

#include "planner/hazards.hpp"

namespace swarmplan::planner {

namespace {

// Quantile of a column (nearest rank).
double Quantile(Eigen::VectorXd v, double q) {
  if (v.size() == 0) return 0;
  std::sort(v.data(), v.data() + v.size());
  const auto idx = static_cast<Eigen::Index>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::clamp<Eigen::Index>(idx, 0, v.size() - 1)];
}

// The newest engine the plan installs (the leader's if it installs none).
model::EngineVersion TargetEngine(const model::Scenario& s, const Plan& p) {
  model::EngineVersion v = s.nodes[s.InitialLeader().value()].engine;
  for (const Step& st : p.steps) {
    if (st.action == Action::kInstall) v = std::max(v, st.version);
  }
  return v;
}

}  // namespace

Report Aggregate(const model::Scenario& s, const Plan& p, std::uint64_t seed, const std::vector<TrialResult>& r) {
  Report rep;
  rep.scenario_name = s.name;
  rep.seed = seed;
  rep.trials = r.size();
  const model::EngineVersion from = s.nodes[s.InitialLeader().value()].engine, to = TargetEngine(s, p);
  rep.from = from.ToString();
  rep.to = to.ToString();
  rep.plan_origin = p.origin;
  for (const Step& st : p.steps) rep.plan_steps.push_back(st.Describe(s));
  rep.plan_notes = p.notes;
  rep.budget = Budget(s, from, to, &p);
  rep.hazards = Hazards(s, p);
  const auto n = static_cast<Eigen::Index>(r.size());
  if (n == 0) return rep;

  // One row per trial; columns are the metrics summarised below.
  const std::size_t nets = r.front().networks.size(), svcs = r.front().services.size();
  enum Col { kRejected, kRejectAny, kRace, kShortage, kLbMissing, kNotConverged, kPlanFailed, kDeployBad, kPlanS, kEvents, kFixed };
  const Eigen::Index cols = kFixed + static_cast<Eigen::Index>(2 * nets + 3 * svcs);
  Eigen::MatrixXd m(n, cols);
  for (Eigen::Index i = 0; i < n; ++i) {
    const TrialResult& t = r[static_cast<std::size_t>(i)];
    // Every task `docker service ps` would show as Rejected counts; the
    // transient ones (the node held the address, the worker had not seen
    // it) are a labelled subset of them, not left out.
    const double rejected = static_cast<double>(t.metrics.rejected_total());
    m(i, kRejected) = rejected;
    m(i, kRejectAny) = rejected > 0;
    m(i, kRace) = t.metrics.rejected_attachment_race > 0;
    m(i, kShortage) = t.metrics.allocation_failures > 0;
    m(i, kLbMissing) = t.metrics.attachment_failures > 0;
    m(i, kNotConverged) = !t.converged;
    m(i, kPlanFailed) = t.plan_failed;
    m(i, kDeployBad) = !t.deploy_converged;
    m(i, kPlanS) = t.plan_s;
    m(i, kEvents) = static_cast<double>(t.events);
    for (std::size_t k = 0; k < nets; ++k) {
      m(i, kFixed + static_cast<Eigen::Index>(2 * k)) = static_cast<double>(t.networks[k].peak_used);
      m(i, kFixed + static_cast<Eigen::Index>(2 * k + 1)) = static_cast<double>(t.networks[k].used_before);
    }
    for (std::size_t k = 0; k < svcs; ++k) {
      const Eigen::Index c = kFixed + static_cast<Eigen::Index>(2 * nets + 3 * k);
      m(i, c) = t.services[k].min_running;
      m(i, c + 1) = t.services[k].below_desired_s;
      m(i, c + 2) = t.services[k].running_after;
    }
    rep.rejected_attachments += t.metrics.rejected_missing_attachments + t.metrics.rejected_attachment_race;
    rep.rejected_swarm_inactive += t.metrics.rejected_swarm_inactive;
    rep.rejected_race += t.metrics.rejected_attachment_race;
    rep.failed_other += t.metrics.failed_other;
    if (rep.plan_error.empty() && t.plan_failed) rep.plan_error = t.plan_error;
  }
  const Eigen::RowVectorXd mean = m.colwise().mean();
  const Eigen::RowVectorXd mx = m.colwise().maxCoeff();
  const Eigen::RowVectorXd mn = m.colwise().minCoeff();
  rep.mean_rejected = mean(kRejected);
  rep.p_reject = mean(kRejectAny);
  {
    const double z = 1.96, nn = static_cast<double>(n), ph = rep.p_reject;
    const double denom = 1 + z * z / nn;
    const double centre = (ph + z * z / (2 * nn)) / denom;
    const double half = z * std::sqrt(ph * (1 - ph) / nn + z * z / (4 * nn * nn)) / denom;
    rep.p_reject_lo = std::max(0.0, centre - half);
    rep.p_reject_hi = std::min(1.0, centre + half);
  }
  rep.p_race = mean(kRace);
  rep.p_shortage = mean(kShortage);
  rep.p_node_lb_missing = mean(kLbMissing);
  rep.p_not_converged = mean(kNotConverged);
  rep.p_plan_failed = mean(kPlanFailed);
  rep.p_deploy_unhealthy = mean(kDeployBad);
  rep.plan_s_mean = mean(kPlanS);
  rep.plan_s_p50 = Quantile(m.col(kPlanS), 0.5);
  rep.plan_s_p95 = Quantile(m.col(kPlanS), 0.95);
  rep.plan_s_max = mx(kPlanS);
  rep.events_mean = mean(kEvents);
  for (std::size_t k = 0; k < nets; ++k) {
    const auto c = kFixed + static_cast<Eigen::Index>(2 * k);
    rep.networks.push_back({r.front().networks[k].name, r.front().networks[k].capacity, mean(c + 1),
                            static_cast<std::uint64_t>(mx(c)), mean(c)});
  }
  for (std::size_t k = 0; k < svcs; ++k) {
    const auto c = kFixed + static_cast<Eigen::Index>(2 * nets + 3 * k);
    rep.services.push_back({r.front().services[k].name, r.front().services[k].desired,
                            static_cast<std::uint32_t>(mn(c)), mean(c), mean(c + 1), mx(c + 1),
                            static_cast<std::uint32_t>(mn(c + 2))});
  }
  // Where trouble starts: the most common first risky step.
  std::map<int, int> first;
  for (const TrialResult& t : r) {
    if (t.first_risk_step >= 0) ++first[t.first_risk_step];
  }
  int best = 0;
  for (auto [step, count] : first) {
    if (count > best) {
      best = count;
      rep.first_risk_step = step;
    }
  }
  if (rep.first_risk_step >= 0) {
    rep.first_risk_fraction = static_cast<double>(best) / static_cast<double>(n);
    rep.first_risk_desc = p.steps[static_cast<std::size_t>(rep.first_risk_step)].Describe(s);
  }
  rep.unseed = 1469598103934665603ULL;
  for (const TrialResult& t : r) {
    for (int b = 0; b < 8; ++b) {
      rep.unseed ^= (t.unseed >> (8 * b)) & 0xff;
      rep.unseed *= 1099511628211ULL;
    }
  }
  rep.example_seed = r.front().seed;
  std::uint64_t worst = 0;
  for (const TrialResult& t : r) {
    const std::uint64_t bad = t.metrics.rejected_total() + t.metrics.allocation_failures +
                              (t.converged ? 0 : 1000000);
    if (bad > worst) {
      worst = bad;
      rep.example_seed = t.seed;
    }
  }
  // Waiting in NEW for an address that frees moments later is ordinary swarm
  // behaviour during a drain; rejections and failing to converge are not.
  rep.safe = rep.p_reject == 0 && rep.p_not_converged == 0 && rep.p_plan_failed == 0;

  // What to change: nothing on a SAFE verdict.
  if (rep.safe) return rep;
  const bool upgrades = std::any_of(p.steps.begin(), p.steps.end(), [](const Step& st) {
    return st.action == Action::kInstall;
  });
  for (const NetworkBudget& b : rep.budget) {
    const bool tight = b.free_after() < 0 || b.free_before() < 0;
    const auto ns = std::find_if(rep.networks.begin(), rep.networks.end(), [&](const auto& x) { return x.name == b.name; });
    const bool hit = ns != rep.networks.end() && ns->peak_max >= b.capacity;
    if (!tight && !hit) continue;
    rep.recommendations.push_back("give " + b.name + " a larger subnet: a /" + std::to_string(b.SuggestedPrefix()) +
                                  " holds the " + std::to_string(b.tasks) + " tasks, " + std::to_string(b.vips) +
                                  " VIP(s), " + std::to_string(std::max(b.lb_after, b.lb_before)) +
                                  " node LB addresses and the replacements of one drained node (a subnet cannot "
                                  "be resized in place: create a new overlay and move the services to it)");
    const std::int64_t room = static_cast<std::int64_t>(b.capacity) - 3 - static_cast<std::int64_t>(b.vips + b.lb_after);
    if (b.free_after() < 0 && room > 0) {
      rep.recommendations.push_back("or run at most " + std::to_string(room) + " tasks on " + b.name + " (now " +
                                    std::to_string(b.tasks) + ")");
    }
    const std::int64_t nodes_fit = static_cast<std::int64_t>(b.capacity) - 3 - static_cast<std::int64_t>(b.vips + b.tasks);
    if (b.free_after() < 0 && nodes_fit >= 1 && to.lb_policy() == model::LbPolicy::kOnDemand) {
      rep.recommendations.push_back("or constrain the services on " + b.name + " to at most " +
                                    std::to_string(nodes_fit) + " nodes (each node with a task takes one address)");
    }
  }
  if (!rep.hazards.empty() && upgrades) {
    rep.recommendations.push_back("fix the order: upgrade and keep drained every manager first, activate them "
                                  "together, then upgrade workers one at a time (the seed procedure, `--order` "
                                  "omitted)");
  }
  if (rep.rejected_swarm_inactive > 0) {
    rep.recommendations.push_back("drain each node before stopping its engine, and activate it only after it is "
                                  "back");
  }
  return rep;
}

void AddSensitivity(Report& rep, const model::Scenario& s, const Plan& p, std::uint64_t trials, unsigned threads) {
  rep.sensitivity = RunSensitivity(s, p, rep.seed, kSensitivityPoints, SensitivityTrialsPerPoint(trials), threads);
  rep.has_sensitivity = true;
  if (rep.sensitivity.p_max > 0 && rep.safe) {
    rep.safe = false;
    rep.recommendations.push_back("the plan rejects tasks under some of the plausible timings (see the "
                                  "sensitivity line): leave more free addresses than the default timings need");
  }
}

}  // namespace swarmplan::planner

#include "planner/report.hpp"

#include <tuple>

#include <algorithm>
#include <cmath>
#include <map>

#include "planner/hazards.hpp"

namespace swarmplan::planner {

namespace {

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
  TrialStats st;
  for (std::size_t i = 0; i < r.size(); ++i) st.Add(r[i], i);
  return Aggregate(s, p, seed, st);
}

namespace {
// The engines of the run newer than the harness's 20.10, e.g. "24.0" or
// "23.0, 24.0" (empty if none).
std::string EnginesReadFromSource(const model::Scenario& s, const model::EngineVersion& to) {
  const model::EngineVersion harness{20, 10};
  std::vector<model::EngineVersion> newer;
  for (const auto& n : s.nodes) {
    if (harness < n.engine) newer.push_back(n.engine);
  }
  if (harness < to) newer.push_back(to);
  std::sort(newer.begin(), newer.end());
  newer.erase(std::unique(newer.begin(), newer.end()), newer.end());
  std::string out;
  for (const auto& v : newer) out += (out.empty() ? "" : ", ") + v.ToString();
  return out;
}
}  // namespace

namespace {

Report::FaultPart FaultsOf(const model::Scenario& s, const Plan& p, const TrialStats& stats) {
  Report::FaultPart f;
  f.count = p.faults.count;
  f.kinds = FaultKindsText(p.faults.kinds);
  f.struck_trials = stats.struck;
  if (stats.n > 0) {
    f.p_with = static_cast<double>(stats.at_risk) / static_cast<double>(stats.n);
    std::tie(f.p_with_lo, f.p_with_hi) = Wilson95(stats.at_risk, stats.n);
  }
  f.p_recovered = stats.n > 0 ? 1.0 - static_cast<double>(stats.not_converged) / static_cast<double>(stats.n) : 0;
  if (stats.calm > 0) {
    f.has_without = true;
    f.p_without = static_cast<double>(stats.calm_at_risk) / static_cast<double>(stats.calm);
    std::tie(f.p_without_lo, f.p_without_hi) = Wilson95(stats.calm_at_risk, stats.calm);
    f.p_recovered_without = static_cast<double>(stats.calm_converged) / static_cast<double>(stats.calm);
  }
  // One (kind, step) cell as the report shows it.
  const auto moment = [&](Action kind, int step, const TrialStats::FaultCell& c) {
    Report::FaultMoment m;
    m.kind = std::string(ToString(kind));
    m.step = step;
    if (step >= 0) {
      m.step_desc = static_cast<std::size_t>(step) < p.steps.size() ? p.steps[static_cast<std::size_t>(step)].Describe(s)
                                                                    : "after the last step";
    }
    m.trials = c.trials;
    m.at_risk = c.at_risk;
    m.not_recovered = c.not_recovered;
    m.made_at_risk = c.made_at_risk;
    m.hurt = c.hurt;
    m.made_hurt = c.made_hurt;
    m.stopped = c.stopped;
    m.p = c.trials > 0 ? static_cast<double>(c.at_risk) / static_cast<double>(c.trials) : 0;
    m.example_seed = c.example_seed;
    return m;
  };
  for (Action kind : FaultKinds()) {
    TrialStats::FaultCell all;
    for (const auto& [key, c] : stats.fault_cells) {
      if (key.first == static_cast<int>(kind)) all.Add(c);
    }
    if (all.trials > 0) f.by_kind.push_back(moment(kind, -1, all));
  }
  for (const auto& [key, c] : stats.fault_cells) {
    if (c.at_risk > 0) f.weakest.push_back(moment(static_cast<Action>(key.first), key.second, c));
  }
  // The services most hurt by the fault first, by the lower end of the
  // Wilson interval (a moment struck once is not the weakest for one bad
  // trial), then most hurt, then most at risk (a stopped plan counts
  // there) the same way; ties keep (kind, step) order.
  const auto hurt = [](const Report::FaultMoment& m) { return Wilson95(m.made_hurt, m.trials).first; };
  const auto hurt_any = [](const Report::FaultMoment& m) { return Wilson95(m.hurt, m.trials).first; };
  const auto lo = [](const Report::FaultMoment& m) { return Wilson95(m.at_risk, m.trials).first; };
  std::stable_sort(f.weakest.begin(), f.weakest.end(), [&](const auto& a, const auto& b) {
    if (hurt(a) != hurt(b)) return hurt(a) > hurt(b);
    if (hurt_any(a) != hurt_any(b)) return hurt_any(a) > hurt_any(b);
    return lo(a) > lo(b);
  });
  if (f.weakest.size() > 5) f.weakest.resize(5);
  return f;
}

}  // namespace

Report Aggregate(const model::Scenario& s, const Plan& p, std::uint64_t seed, const TrialStats& stats) {
  Report rep;
  rep.scenario_name = s.name;
  rep.seed = seed;
  rep.trials = stats.n;
  const model::EngineVersion from = s.nodes[s.InitialLeader().value()].engine, to = TargetEngine(s, p);
  rep.from = from.ToString();
  rep.to = to.ToString();
  rep.plan_origin = p.origin;
  for (const Step& st : p.steps) rep.plan_steps.push_back(st.Describe(s));
  rep.plan_notes = p.notes;
  if (std::string newer = EnginesReadFromSource(s, to); !newer.empty()) {
    rep.plan_notes.push_back("engine " + newer + ": the conformance harness runs 20.10; the rules for newer engines were read in "
                             "the swarmkit and moby they ship and are unchanged since 20.10 (docs/engine-versions.md), "
                             "the timings are those measured on 20.10");
  }
  rep.upgrade = p.Upgrades();
  for (const Step& st : p.steps) {
    if (st.OnService()) rep.change += (rep.change.empty() ? "" : ", ") + st.Describe(s);
  }
  rep.budget = Budget(s, from, to, &p);
  rep.hazards = Hazards(s, p);
  if (stats.n == 0) return rep;
  const double n = static_cast<double>(stats.n);
  auto mean = [&](std::uint64_t sum) { return static_cast<double>(sum) / n; };
  rep.mean_rejected = mean(stats.rejected);
  rep.p_reject = mean(stats.reject_any);
  const auto [lo, hi] = Wilson95(stats.reject_any, stats.n);
  rep.p_reject_lo = lo;
  rep.p_reject_hi = hi;
  rep.rejected_attachments = stats.rejected_attachments;
  rep.rejected_swarm_inactive = stats.rejected_swarm_inactive;
  rep.rejected_race = stats.rejected_race;
  rep.failed_other = stats.failed_other;
  rep.plan_error = stats.plan_error;
  rep.p_race = mean(stats.race_any);
  rep.p_shortage = mean(stats.shortage_any);
  rep.p_node_lb_missing = mean(stats.lb_missing_any);
  rep.p_not_converged = mean(stats.not_converged);
  rep.p_rejecting_forever = mean(stats.forever);
  if (stats.forever > 0) {
    std::uint64_t seen = 0;
    for (const auto& [rate, count] : stats.forever_per_hour_hist) {
      seen += count;
      if (2 * seen >= stats.forever) {
        rep.forever_per_hour = static_cast<double>(rate);
        break;
      }
    }
  }
  rep.p_plan_failed = mean(stats.plan_failed);
  rep.p_deploy_unhealthy = mean(stats.deploy_unhealthy);
  rep.plan_s_mean = mean(stats.plan_us) / 1e6;
  rep.plan_s_p50 = stats.PlanQuantile(0.5);
  rep.plan_s_p95 = stats.PlanQuantile(0.95);
  rep.plan_s_max = static_cast<double>(stats.plan_us_max) / 1e6;
  rep.events_mean = mean(stats.events);
  for (const auto& x : stats.nets) {
    rep.networks.push_back({x.name, x.capacity, mean(x.before_sum), x.peak_max, mean(x.peak_sum), x.after_hist});
  }
  for (const auto& x : stats.svcs) {
    rep.services.push_back({x.name, x.desired, x.min_running_min, mean(x.min_running_sum), mean(x.below_us_sum) / 1e6,
                            static_cast<double>(x.below_us_max) / 1e6, x.after_min, x.running_after_hist,
                            x.new_after_hist, {}});
    for (const auto& v : s.services) {
      if (v.name == x.name) rep.services.back().networks = v.networks;
    }
  }
  rep.rejected_per_trial = stats.rejected_hist;
  rep.empty_nodes = stats.empty_nodes_hist;
  // Where trouble starts: the most common first risky step (the earliest
  // among equals).
  std::uint64_t best = 0;
  for (auto [step, count] : stats.first_risk) {
    if (count > best) {
      best = count;
      rep.first_risk_step = step;
    }
  }
  if (rep.first_risk_step >= 0) {
    rep.first_risk_fraction = static_cast<double>(best) / n;
    rep.first_risk_desc = p.steps[static_cast<std::size_t>(rep.first_risk_step)].Describe(s);
  }
  if (p.faults.count > 0) rep.faults = FaultsOf(s, p, stats);
  rep.unseed = stats.unseed;
  rep.example_seed = stats.worst_index != UINT64_MAX ? stats.worst_seed : stats.first_seed;
  // Waiting in NEW for an address that frees moments later is ordinary swarm
  // behaviour during a drain; rejections and failing to converge are not.
  rep.safe = rep.SafeAtDefaults();

  // What to change: nothing on a SAFE verdict.
  if (rep.safe) return rep;
  for (const NetworkBudget& b : rep.budget) {
    const bool tight = b.free_after() < 0 || b.free_before() < 0;
    const auto ns = std::find_if(rep.networks.begin(), rep.networks.end(), [&](const auto& x) { return x.name == b.name; });
    const bool hit = ns != rep.networks.end() && ns->peak_max >= b.capacity;
    if (!tight && !hit) continue;
    rep.tight_networks.push_back(b.name);
    rep.paper_fixes.push_back("give " + b.name + " a larger subnet: a /" + std::to_string(b.SuggestedPrefix()) +
                                  " holds the " + std::to_string(std::max(b.tasks, b.tasks_after)) + " tasks, " +
                                  std::to_string(std::max(b.vips, b.vips_after)) +
                                  " VIP(s), " + std::to_string(std::max(b.lb_after, b.lb_before)) +
                                  " node LB addresses and the replacements of one drained node (a subnet cannot "
                                  "be resized in place: create a new overlay and move the services to it)");
    const std::int64_t room = b.Room(b.vips_after, b.lb_after);
    if (b.free_after() < 0 && room > 0) {
      rep.paper_fixes.push_back("or run at most " + std::to_string(room) + " tasks on " + b.name + " (the plan " +
                                    "leaves " + std::to_string(b.tasks_after) + ")");
    }
    const std::int64_t nodes_fit = b.Room(b.vips_after, b.tasks_after);
    if (b.free_after() < 0 && nodes_fit >= 1 && to.lb_policy() == model::LbPolicy::kOnDemand) {
      rep.paper_fixes.push_back("or constrain the services on " + b.name + " to at most " +
                                    std::to_string(nodes_fit) + " nodes (each node with a task takes one address)");
    }
  }
  if (!rep.hazards.empty() && p.Upgrades()) {
    rep.paper_fixes.push_back("fix the order: upgrade and keep drained every manager first, activate them "
                                  "together, then upgrade workers one at a time (the seed procedure, `--order` "
                                  "omitted)");
  }
  // (Under faults a killed engine restarts under its tasks whatever the
  // order does: the advice is for the order's own restarts.)
  if (rep.rejected_swarm_inactive > 0 && p.faults.count == 0) {
    rep.recommendations.push_back("drain each node before stopping its engine, and activate it only after it is "
                                  "back");
  }
  return rep;
}

void AddFixes(Report& rep, const model::Scenario& s, const Plan& p, std::uint64_t trials, unsigned threads,
              std::function<std::optional<Plan>(const model::Scenario&)> plan_for) {
  // Only a plan that goes wrong under the default timings: a fix proven
  // against those would prove nothing for a plan that is at risk only
  // under other timings.
  if (rep.SafeAtDefaults()) return;
  FixOptions opt;
  opt.seed = rep.seed;
  opt.trials = std::min<std::uint64_t>(trials, kFixTrials);
  opt.threads = threads;
  opt.plan_for = std::move(plan_for);
  rep.fixes = ProveFixes(s, p, rep.tight_networks, !rep.hazards.empty(), opt);
  rep.has_fixes = true;
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

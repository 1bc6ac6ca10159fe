#include "planner/render.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace swarmplan::planner {

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

std::string Percent(double p) {
  if (p > 0 && p < 0.001) return "<0.1%";
  return Fixed(100.0 * p, 1) + "%";
}

std::string RenderText(const Report& r, const std::string& reproduce) {
  std::ostringstream o;
  o << "swarmplan: " << r.scenario_name << "\n";
  if (r.upgrade) {
    o << "upgrade " << r.from << " -> " << r.to;
  } else {
    o << "change (no engine upgrade, engines " << r.from << ")" << (r.change.empty() ? "" : ": " + r.change);
  }
  o << ", " << r.plan_steps.size() << " steps (" << r.plan_origin << ")\n";
  for (const auto& n : r.plan_notes) o << "note: " << n << "\n";
  o << "seed " << r.seed << ", " << r.trials << " trials\n";
  if (!r.stopped_early.empty()) {
    o << "stopped after " << r.trials << " of up to " << r.trials_budget << " trials, the verdict decided: " << r.stopped_early
      << " (--trials N runs all N)\n";
  }
  o << "\n";
  o << "Address budget per overlay:\n";
  for (const auto& b : r.budget) {
    o << "  " << b.name << " " << b.subnet << "\n";
    o << "    before: " << b.Sum(false) << (b.free_before() < 0 ? "  -> SHORT by " + std::to_string(-b.free_before()) : "  -> fits") << "\n";
    o << "    after:  " << b.Sum(true) << (b.free_after() < 0 ? "  -> SHORT by " + std::to_string(-b.free_after()) : "  -> fits") << "\n";
    if (b.free_after() == -1 && b.lb_after > 0) {
      o << "    (with one node holding no task: " << b.capacity - 3 - b.vips_after - (b.lb_after - 1) << " for "
        << b.tasks_after << "; whether that happens depends on the order swarm hands out addresses)\n";
    }
  }
  for (const auto& n : r.networks) {
    o << "  simulated peak on " << n.name << ": " << n.peak_max << " of " << n.capacity << " addresses"
      << (n.peak_max >= n.capacity ? " (exhausted)" : "") << "\n";
  }
  std::string verdict = r.safe ? "SAFE" : "AT RISK";
  if (r.has_sensitivity) {
    const auto& v = r.sensitivity;
    if (r.safe) verdict += " whatever the timing";
    else if (v.p_min > 0 && r.p_reject > 0) verdict += " whatever the timing";
    else if (v.p_max > 0) verdict += " under some timings (" + Percent(std::min(v.p_min, r.p_reject)) + " - " +
                                     Percent(std::max(v.p_max, r.p_reject)) + ")";
  }
  o << "\nVerdict: " << verdict << "\n";
  o << "  P(a task rejected: no address, no attachment, or swarm not active) = " << Percent(r.p_reject) << "  (95% CI " << Percent(r.p_reject_lo) << " - "
    << Percent(r.p_reject_hi) << ")\n";
  o << "  expected rejected tasks per upgrade = " << Fixed(r.mean_rejected, 2) << "\n";
  if (r.has_sensitivity) {
    const auto& v = r.sensitivity;
    o << "  over plausible timings (" << v.points << " designs x " << v.trials_per_point << " trials): P = "
      << Percent(v.p_min) << " - " << Percent(v.p_max);
    if (v.p_max > 0) {
      o << "; depends most on";
      for (std::size_t i = 0; i < v.effects.size() && i < 2; ++i) {
        o << (i ? "," : "") << " " << v.effects[i].key << " (" << (v.effects[i].change >= 0 ? "+" : "")
          << Fixed(100 * v.effects[i].change, 1) << " points low to high)";
      }
    }
    o << "\n";
  }
  if (r.rejected_attachments) o << "    \"node is missing network attachments, ip addresses may be exhausted\": " << r.rejected_attachments << " in all trials\n";
  if (r.rejected_swarm_inactive) o << "    \"cannot create a swarm scoped network when swarm is not active\": " << r.rejected_swarm_inactive << " in all trials\n";
  if (r.p_race > 0) {
    o << "      of which transient, in " << Percent(r.p_race) << " of trials (" << r.rejected_race
      << " in all): the node held the address, but the task's desired state changed before the worker saw the "
         "new load-balancer address; its replacement ran\n";
  }
  if (r.p_shortage > 0) o << "  tasks waited in NEW for a free address in " << Percent(r.p_shortage) << " of trials\n";
  if (r.p_node_lb_missing > 0) o << "  a node found no address for its load balancer in " << Percent(r.p_node_lb_missing) << " of trials\n";
  if (r.p_not_converged > 0) o << "  did not converge within the wait in " << Percent(r.p_not_converged) << " of trials\n";
  if (r.p_rejecting_forever > 0) {
    o << "  rejected again and again, about " << static_cast<long>(r.forever_per_hour)
      << " an hour, in " << Percent(r.p_rejecting_forever)
      << " of trials: does not converge (each replacement is rejected as the one before it)\n";
  }
  if (r.p_plan_failed > 0) o << "  the plan could not finish in " << Percent(r.p_plan_failed) << " of trials: " << r.plan_error << "\n";
  if (r.p_deploy_unhealthy > 0) o << "  note: the cluster was already unhealthy before the upgrade in " << Percent(r.p_deploy_unhealthy) << " of trials\n";
  for (const auto& s : r.services) {
    o << "  " << s.name << ": lowest running " << s.min_running_worst << "/" << s.desired << " (mean lowest "
      << Fixed(s.min_running_mean, 1) << "), below desired " << Fixed(s.below_mean_s, 0) << " s on average, "
      << Fixed(s.below_max_s, 0) << " s at worst; after: at worst " << s.final_worst << "/" << s.desired << "\n";
    // Tasks still NEW at the end have no address: name the networks.
    std::uint64_t stuck_trials = 0, stuck_max = 0;
    for (const auto& [count, trials] : s.new_after) {
      if (count == 0) continue;
      stuck_trials += trials;
      stuck_max = std::max(stuck_max, count);
    }
    if (stuck_trials > 0) {
      std::string nets;
      for (const auto& n : s.networks) nets += (nets.empty() ? "" : " or ") + n;
      o << "    " << s.name << " is left with tasks stuck in NEW (up to " << stuck_max << ") in "
        << Percent(static_cast<double>(stuck_trials) / static_cast<double>(r.trials))
        << " of trials: no free address on " << (nets.empty() ? std::string("its networks") : nets) << "\n";
    }
  }
  for (std::size_t i = 0; i < r.snapshot_at_s.size() && i < r.snapshots.size(); ++i) {
    // One line per --at time: medians and ranges, and how often it hurts.
    const auto& sn = r.snapshots[i];
    const auto n = static_cast<double>(r.trials);
    const auto median = [](const TrialStats::Histogram& h) {
      std::uint64_t total = 0, seen = 0;
      for (const auto& [v, c] : h) total += c;
      for (const auto& [v, c] : h) {
        seen += c;
        if (2 * seen >= total) return v;
      }
      return std::uint64_t{0};
    };
    const auto share = [&](const TrialStats::Histogram& h, auto pred) {
      std::uint64_t c = 0;
      for (const auto& [v, k] : h) c += pred(v) ? k : 0;
      return Percent(static_cast<double>(c) / n);
    };
    o << "  at " << Fixed(r.snapshot_at_s[i], 1) << " s after the first step:";
    for (std::size_t k = 0; k < sn.used.size() && k < r.networks.size(); ++k) {
      const auto cap = r.networks[k].capacity;
      o << " " << r.networks[k].name << " " << median(sn.used[k]) << " of " << cap << " addresses (median; full in "
        << share(sn.used[k], [&](std::uint64_t v) { return v >= cap; }) << ");";
    }
    for (std::size_t k = 0; k < sn.running.size() && k < r.services.size(); ++k) {
      const auto& h = sn.running[k];
      o << " " << r.services[k].name << " running " << median(h) << " (" << (h.empty() ? 0 : h.begin()->first) << "-"
        << (h.empty() ? 0 : h.rbegin()->first) << "), NEW in " << share(sn.waiting_new[k], [](std::uint64_t v) { return v > 0; })
        << ", rejected so far in " << share(sn.rejected[k], [](std::uint64_t v) { return v > 0; }) << ";";
    }
    o << "\n";
  }
  o << "  " << (r.upgrade ? "upgrade" : "change") << " takes " << Fixed(r.plan_s_mean / 60, 1) << " min on average (p95 " << Fixed(r.plan_s_p95 / 60, 1) << " min)\n";
  if (r.first_risk_step >= 0) {
    o << "  trouble starts at step " << r.first_risk_step + 1 << " (" << r.first_risk_desc << ") in "
      << Percent(r.first_risk_fraction) << " of trials\n";
  }
  if (r.faults) {
    const auto& f = *r.faults;
    o << "\nUnder faults (" << f.count << " a trial, kinds: " << f.kinds << "; a fault hit a node in " << f.struck_trials
      << " of " << r.trials << " trials):\n";
    o << "  P(at risk: a task rejected, not every replica back, or a step failed) = " << Percent(f.p_with) << " (95% CI "
      << Percent(f.p_with_lo) << " - " << Percent(f.p_with_hi) << ") with them";
    if (f.has_without) {
      o << "; " << Percent(f.p_without) << " (" << Percent(f.p_without_lo) << " - " << Percent(f.p_without_hi)
        << ") on the same seeds without";
    }
    o << "\n  recovers (every replica running at the end) in " << Percent(f.p_recovered) << " of trials";
    if (f.has_without) o << " (" << Percent(f.p_recovered_without) << " without)";
    o << "\n";
    o << "  services hurt, by kind:";
    for (std::size_t i = 0; i < f.by_kind.size(); ++i) {
      const auto& k = f.by_kind[i];
      o << (i ? ";" : "") << " " << k.kind << " " << k.hurt << "/" << k.trials;
      if (f.has_without) o << " (" << k.made_hurt << " by it)";
      if (k.stopped > 0) o << ", plan stopped in " << k.stopped;
    }
    o << "\n  (services hurt: a task rejected, or not every replica back; a plan stopped by a fault is watched to its end)\n";
    if (f.weakest.empty()) {
      o << "  no fault put the plan at risk\n";
    } else {
      const std::size_t cut = reproduce.rfind(" --seed ");
      const std::string replay = reproduce.substr(0, cut);
      o << "  weakest moments:\n";
      for (const auto& m : f.weakest) {
        o << "    " << m.kind << " during step " << m.step + 1 << " (" << m.step_desc << "): services hurt in " << m.hurt
          << "/" << m.trials << " trials";
        if (f.has_without) o << " (" << m.made_hurt << " safe without it)";
        if (m.not_recovered > 0) o << ", " << m.not_recovered << " not every replica back";
        if (m.stopped > 0) o << ", plan stopped in " << m.stopped;
        o << "\n      replay: " << replay << " --seed " << m.example_seed << "\n";
      }
    }
  }
  if (!r.hazards.empty()) {
    o << "\nOrder hazards:\n";
    for (const auto& h : r.hazards) o << "  - " << h << "\n";
  }
  if (r.has_fixes) {
    std::uint64_t n = 0;
    for (const auto& f : r.fixes) n = std::max(n, f.trials);
    o << "\nWhat to change";
    if (n > 0) {
      o << " (each fix simulated over the verdict's first " << n << " trial seeds"
        << (r.faults ? ", with the same faults; at risk there: services hurt" : "") << ")";
    }
    o << ":\n";
    if (r.fixes.empty()) o << "  - no fix tried here survives its trials\n";
    for (const auto& f : r.fixes) {
      if (f.proven) {
        o << "  - " << f.what << "\n      proven: " << f.failing << "/" << f.trials << " trials at risk, P <= "
          << Percent(f.p_hi) << "; cost: " << f.cost << "\n";
        if (!f.order.empty()) {
          o << "      with the order found for it: --order ";
          for (std::size_t i = 0; i < f.order.size(); ++i) o << (i ? "," : "") << f.order[i];
          o << "\n";
        }
      } else {
        o << "  - on paper: " << f.what << "\n";
      }
    }
    for (const auto& h : r.recommendations) o << "  - " << h << "\n";
  } else if (!r.recommendations.empty() || !r.paper_fixes.empty()) {
    o << "\nWhat to change (on paper, not simulated):\n";
    for (const auto& h : r.paper_fixes) o << "  - " << h << "\n";
    for (const auto& h : r.recommendations) o << "  - " << h << "\n";
  }
  o << "\nReproduce one trial: " << reproduce << "\n";
  return o.str();
}

std::string RenderSearchText(const SearchResult& found, const std::string& order) {
  std::ostringstream out;
  out << "Search: over " << found.verified_trials << " trials, the best path found had " << found.found_at_risk
      << " at risk (" << static_cast<long>(found.found_seconds) << " s), the seed procedure " << found.default_at_risk
      << " (" << static_cast<long>(found.default_seconds) << " s); "
      << (found.default_kept ? "keeping the seed procedure" : "taking the path found") << ":\n  --order " << order
      << "\n\n";
  return out.str();
}

}  // namespace swarmplan::planner

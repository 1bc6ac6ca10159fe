#include "planner/trial_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "sim/random.hpp"

namespace swarmplan::planner {

std::uint32_t TrialStats::Bin(std::uint64_t us) {
  if (us < 64) return static_cast<std::uint32_t>(us);
  const int width = std::bit_width(us);                      // 7..64
  const std::uint64_t mantissa = (us >> (width - 7)) & 63;    // the 6 bits after the leading one
  return static_cast<std::uint32_t>(64 * (width - 6) + static_cast<int>(mantissa));
}

double TrialStats::BinMiddle(std::uint32_t bin) {
  if (bin < 64) return static_cast<double>(bin) / 1e6;
  const int width = static_cast<int>(bin / 64) + 6;
  const double lo = std::ldexp(64.0 + static_cast<double>(bin % 64), width - 7);
  const double hi = std::ldexp(65.0 + static_cast<double>(bin % 64), width - 7);
  return (lo + hi) / 2 / 1e6;
}

void TrialStats::Add(const TrialResult& t, std::uint64_t index) {
  ++n;
  const auto& m = t.metrics;
  // Every task `docker service ps` would show as Rejected counts; the
  // transient ones (the node held the address, the worker had not seen
  // it) are a labelled subset of them, not left out.
  reject_any += m.rejected_total() > 0;
  race_any += m.rejected_attachment_race > 0;
  shortage_any += m.allocation_failures > 0;
  lb_missing_any += m.attachment_failures > 0;
  not_converged += !t.converged;
  plan_failed += t.plan_failed;
  at_risk += t.at_risk();
  deploy_unhealthy += !t.deploy_converged;
  rejected += m.rejected_total();
  rejected_attachments += m.rejected_missing_attachments + m.rejected_attachment_race;
  rejected_swarm_inactive += m.rejected_swarm_inactive;
  rejected_race += m.rejected_attachment_race;
  failed_other += m.failed_other;
  events += t.events;
  const auto us = static_cast<std::uint64_t>(std::llround(std::max(0.0, t.plan_s) * 1e6));
  plan_us += us;
  plan_us_max = std::max(plan_us_max, us);
  ++plan_hist[Bin(us)];
  ++rejected_hist[m.rejected_total()];
  ++empty_nodes_hist[t.empty_nodes];
  if (t.rejects_forever() && t.tail_s > 0) {
    ++forever;
    ++forever_per_hour_hist[static_cast<std::uint64_t>(std::llround(static_cast<double>(t.tail_rejections) / t.tail_s * 3600))];
  }
  if (nets.empty()) {
    for (const auto& x : t.networks) nets.push_back({x.name, x.capacity, 0, 0, 0, {}});
    for (const auto& x : t.services) {
      Svc v;
      v.name = x.name;
      v.desired = x.desired;
      svcs.push_back(std::move(v));
    }
  }
  for (std::size_t k = 0; k < nets.size() && k < t.networks.size(); ++k) {
    nets[k].peak_max = std::max(nets[k].peak_max, t.networks[k].peak_used);
    nets[k].peak_sum += t.networks[k].peak_used;
    nets[k].before_sum += t.networks[k].used_before;
    ++nets[k].after_hist[t.networks[k].used_after];
  }
  for (std::size_t k = 0; k < svcs.size() && k < t.services.size(); ++k) {
    const auto& x = t.services[k];
    Svc& s = svcs[k];
    s.min_running_min = std::min(s.min_running_min, x.min_running);
    s.after_min = std::min(s.after_min, x.running_after);
    s.min_running_sum += x.min_running;
    const auto below = static_cast<std::uint64_t>(std::llround(std::max(0.0, x.below_desired_s) * 1e6));
    s.below_us_sum += below;
    s.below_us_max = std::max(s.below_us_max, below);
    ++s.running_after_hist[x.running_after];
    ++s.new_after_hist[x.new_after];
  }
  if (snaps.size() < t.snapshots.size()) snaps.resize(t.snapshots.size());
  for (std::size_t i = 0; i < t.snapshots.size(); ++i) {
    const StateCounts& c = t.snapshots[i];
    Snap& sn = snaps[i];
    sn.used.resize(c.used.size());
    sn.running.resize(c.running.size());
    sn.waiting_new.resize(c.running.size());
    sn.rejected.resize(c.running.size());
    for (std::size_t k = 0; k < c.used.size(); ++k) ++sn.used[k][c.used[k]];
    for (std::size_t k = 0; k < c.running.size(); ++k) {
      ++sn.running[k][c.running[k]];
      ++sn.waiting_new[k][c.waiting_new[k]];
      ++sn.rejected[k][c.rejected[k]];
    }
  }
  if (t.first_risk_step >= 0) ++first_risk[t.first_risk_step];
  bool hit = false;
  for (const StruckFault& f : t.faults) {
    if (f.node < 0) continue;
    hit = true;
    FaultCell& c = fault_cells[{static_cast<int>(f.kind), f.step}];
    ++c.trials;
    c.at_risk += t.at_risk();
    c.not_recovered += !t.converged;
    c.made_at_risk += t.calm_run && t.at_risk() && !t.calm_at_risk;
    c.hurt += t.hurt();
    c.made_hurt += t.calm_run && t.hurt() && !t.calm_at_risk;
    c.stopped += t.plan_failed;
    if (t.at_risk() && index < c.example_index) {
      c.example_index = index;
      c.example_seed = t.seed;
    }
  }
  struck += hit;
  calm += t.calm_run;
  calm_at_risk += t.calm_run && t.calm_at_risk;
  calm_converged += t.calm_run && t.calm_converged;
  const std::uint64_t bad = m.rejected_total() + m.allocation_failures + (t.converged ? 0 : 1000000);
  if (bad > 0 && (bad > worst_bad || (bad == worst_bad && index < worst_index))) {
    worst_bad = bad;
    worst_index = index;
    worst_seed = t.seed;
  }
  if (index < first_index) {
    first_index = index;
    first_seed = t.seed;
  }
  if (t.plan_failed && index < plan_error_index) {
    plan_error_index = index;
    plan_error = t.plan_error;
  }
  std::uint64_t mix = t.unseed ^ (index * 0x9E3779B97F4A7C15ULL);
  unseed += sim::SplitMix64(mix);
}

void TrialStats::FaultCell::Add(const FaultCell& x) {
  trials += x.trials;
  at_risk += x.at_risk;
  not_recovered += x.not_recovered;
  made_at_risk += x.made_at_risk;
  hurt += x.hurt;
  made_hurt += x.made_hurt;
  stopped += x.stopped;
  if (x.example_index < example_index) {
    example_index = x.example_index;
    example_seed = x.example_seed;
  }
}

void TrialStats::Merge(const TrialStats& o) {
  if (o.n == 0) return;
  if (n == 0) {
    *this = o;
    return;
  }
  n += o.n;
  reject_any += o.reject_any;
  race_any += o.race_any;
  shortage_any += o.shortage_any;
  lb_missing_any += o.lb_missing_any;
  not_converged += o.not_converged;
  plan_failed += o.plan_failed;
  at_risk += o.at_risk;
  deploy_unhealthy += o.deploy_unhealthy;
  rejected += o.rejected;
  rejected_attachments += o.rejected_attachments;
  rejected_swarm_inactive += o.rejected_swarm_inactive;
  rejected_race += o.rejected_race;
  failed_other += o.failed_other;
  events += o.events;
  plan_us += o.plan_us;
  plan_us_max = std::max(plan_us_max, o.plan_us_max);
  for (const auto& [bin, count] : o.plan_hist) plan_hist[bin] += count;
  for (const auto& [v, count] : o.rejected_hist) rejected_hist[v] += count;
  forever += o.forever;
  for (const auto& [v, count] : o.forever_per_hour_hist) forever_per_hour_hist[v] += count;
  for (const auto& [v, count] : o.empty_nodes_hist) empty_nodes_hist[v] += count;
  for (std::size_t k = 0; k < nets.size() && k < o.nets.size(); ++k) {
    nets[k].peak_max = std::max(nets[k].peak_max, o.nets[k].peak_max);
    nets[k].peak_sum += o.nets[k].peak_sum;
    nets[k].before_sum += o.nets[k].before_sum;
    for (const auto& [v, count] : o.nets[k].after_hist) nets[k].after_hist[v] += count;
  }
  for (std::size_t k = 0; k < svcs.size() && k < o.svcs.size(); ++k) {
    Svc& s = svcs[k];
    const Svc& x = o.svcs[k];
    s.min_running_min = std::min(s.min_running_min, x.min_running_min);
    s.after_min = std::min(s.after_min, x.after_min);
    s.min_running_sum += x.min_running_sum;
    s.below_us_sum += x.below_us_sum;
    s.below_us_max = std::max(s.below_us_max, x.below_us_max);
    for (const auto& [v, count] : x.running_after_hist) s.running_after_hist[v] += count;
    for (const auto& [v, count] : x.new_after_hist) s.new_after_hist[v] += count;
  }
  for (const auto& [step, count] : o.first_risk) first_risk[step] += count;
  for (const auto& [key, x] : o.fault_cells) fault_cells[key].Add(x);
  struck += o.struck;
  calm += o.calm;
  calm_at_risk += o.calm_at_risk;
  calm_converged += o.calm_converged;
  if (snaps.size() < o.snaps.size()) snaps.resize(o.snaps.size());
  const auto add = [](std::vector<Histogram>& into, const std::vector<Histogram>& from) {
    if (into.size() < from.size()) into.resize(from.size());
    for (std::size_t k = 0; k < from.size(); ++k) {
      for (const auto& [v, count] : from[k]) into[k][v] += count;
    }
  };
  for (std::size_t i = 0; i < o.snaps.size(); ++i) {
    add(snaps[i].used, o.snaps[i].used);
    add(snaps[i].running, o.snaps[i].running);
    add(snaps[i].waiting_new, o.snaps[i].waiting_new);
    add(snaps[i].rejected, o.snaps[i].rejected);
  }
  if (o.worst_index != UINT64_MAX &&
      (o.worst_bad > worst_bad || (o.worst_bad == worst_bad && o.worst_index < worst_index))) {
    worst_bad = o.worst_bad;
    worst_index = o.worst_index;
    worst_seed = o.worst_seed;
  }
  if (o.first_index < first_index) {
    first_index = o.first_index;
    first_seed = o.first_seed;
  }
  if (o.plan_error_index < plan_error_index) {
    plan_error_index = o.plan_error_index;
    plan_error = o.plan_error;
  }
  unseed += o.unseed;
}

double TrialStats::PlanQuantile(double q) const {
  if (n == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<std::uint64_t>(rank, 1, n);
  std::uint64_t seen = 0;
  for (const auto& [bin, count] : plan_hist) {
    seen += count;
    if (seen >= rank) return std::min(BinMiddle(bin), static_cast<double>(plan_us_max) / 1e6);
  }
  return static_cast<double>(plan_us_max) / 1e6;
}

std::pair<double, double> Wilson95(std::uint64_t k, std::uint64_t n) {
  const double z = 1.96, nn = static_cast<double>(n), ph = static_cast<double>(k) / nn;
  const double denom = 1 + z * z / nn;
  const double centre = (ph + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(ph * (1 - ph) / nn + z * z / (4 * nn * nn)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

}  // namespace swarmplan::planner

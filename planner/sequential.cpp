#include "planner/sequential.hpp"

#include "planner/render.hpp"

#include <algorithm>

namespace swarmplan::planner {

std::string Decided(const TrialStats& st) {
  if (st.n < kFirstLook) return "";
  if (st.reject_any == 0 && st.not_converged == 0 && st.plan_failed == 0) {
    if (st.n < kSafeLook) return "";
    const double hi = Wilson95(0, st.n).second;
    return "no trial at risk in " + std::to_string(st.n) + ": P(at risk) < " + Percent(hi) + " at 95% confidence";
  }
  // At risk: that is certain; stop once its probability is known well
  // enough to act on (the 95% interval's half-width within 3 points, or a
  // quarter of the estimate).
  const std::uint64_t k = st.reject_any > 0 ? st.reject_any : std::max(st.not_converged, st.plan_failed);
  const auto [lo, hi] = Wilson95(k, st.n);
  const double p = static_cast<double>(k) / static_cast<double>(st.n);
  if ((hi - lo) / 2 > std::max(0.03, 0.25 * p)) return "";
  return std::string(st.reject_any > 0 ? "tasks rejected" : "at risk") + " in " + std::to_string(k) + " of " +
         std::to_string(st.n) + " trials: P = " + Percent(p) + " (95% CI " + Percent(lo) + " - " + Percent(hi) + ")";
}

SequentialRun RunSequential(const model::Scenario& s, const Plan& p, std::uint64_t base_seed, std::uint64_t budget,
                            unsigned threads, const std::function<void(std::uint64_t done)>& progress,
                            const TrialOptions& opt, std::uint64_t cheap_events) {
  SequentialRun run;
  run.budget = budget;
  std::uint64_t done = 0;
  auto look = [&](std::uint64_t upto) {
    const std::uint64_t base = done;
    const auto part = [&](std::uint64_t d) {
      if (progress) progress(base + d);
    };
    run.stats.Merge(RunTrialStats(s, p, base_seed, {done, upto - done}, threads, part, opt));
    done = upto;
  };
  look(std::min(budget, kFirstLook));
  if (done == budget) return run;
  if (run.stats.events / run.stats.n <= cheap_events) {
    look(budget);  // cheap: every trial
    return run;
  }
  for (std::uint64_t next = kSafeLook; done < budget; next = next < 1000 ? next + 200 : 2 * next) {
    if (std::string why = Decided(run.stats); !why.empty()) {
      run.stopped = why;
      return run;
    }
    look(std::min(budget, next));
  }
  return run;
}

}  // namespace swarmplan::planner

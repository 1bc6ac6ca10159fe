#include "planner/runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "sim/random.hpp"

namespace swarmplan::planner {

TrialRange Shard(std::uint64_t trials, std::uint64_t index, std::uint64_t shares) {
  const std::uint64_t base = trials / shares, extra = trials % shares;
  const std::uint64_t first = index * base + std::min(index, extra);
  return {first, base + (index < extra ? 1 : 0)};
}

std::vector<TrialResult> RunTrials(const model::Scenario& s, const Plan& p, std::uint64_t base_seed,
                                   TrialRange range, unsigned threads, const TrialOptions& opt) {
  std::vector<TrialResult> out(range.count);
  std::atomic<std::uint64_t> next{0};
  auto work = [&] {
    for (;;) {
      const std::uint64_t i = next.fetch_add(1);
      if (i >= range.count) return;
      out[i] = RunTrial(s, p, sim::TrialSeed(base_seed, range.first + i), opt);
    }
  };
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::uint64_t>(1, range.count))));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return out;
}

TrialStats RunTrialStats(const model::Scenario& s, const Plan& p, std::uint64_t base_seed, TrialRange range,
                         unsigned threads, const std::function<void(std::uint64_t done)>& progress,
                         const TrialOptions& opt) {
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::uint64_t>(1, range.count))));
  std::vector<TrialStats> per_thread(threads);
  std::atomic<std::uint64_t> next{0}, done{0};
  auto work = [&](unsigned me) {
    for (;;) {
      const std::uint64_t i = next.fetch_add(1);
      if (i >= range.count) return;
      per_thread[me].Add(RunTrial(s, p, sim::TrialSeed(base_seed, range.first + i), opt), range.first + i);
      done.fetch_add(1);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  if (progress) {
    // The calling thread reports; the others run trials.
    std::thread reporter_work(work, 0u);
    while (done.load() < range.count) {
      for (int k = 0; k < 20 && done.load() < range.count; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      progress(done.load());
    }
    reporter_work.join();
  } else {
    work(0);
  }
  for (auto& t : pool) t.join();
  TrialStats all;
  for (const TrialStats& t : per_thread) all.Merge(t);
  return all;
}

TrialsJudged JudgeTrials(const model::Scenario& s, const Plan& p, std::uint64_t base_seed, TrialRange range,
                         unsigned threads) {
  TrialsJudged j;
  for (const TrialResult& r : RunTrials(s, p, base_seed, range, threads)) {
    ++j.trials;
    // Under faults a stopped plan is the fault's own doing (an engine that
    // did not come back): what an order or a fix can change is whether the
    // services are hurt.
    j.at_risk += p.faults.count > 0 ? r.hurt() : r.at_risk();
    j.rejected += r.metrics.rejected_total();
    j.mean_seconds += r.plan_s;
    if (j.lowest_running.empty()) j.lowest_running.assign(r.services.size(), UINT32_MAX);
    for (std::size_t k = 0; k < r.services.size() && k < j.lowest_running.size(); ++k) {
      j.lowest_running[k] = std::min(j.lowest_running[k], r.services[k].min_running);
    }
  }
  if (j.trials > 0) j.mean_seconds /= static_cast<double>(j.trials);
  return j;
}

}  // namespace swarmplan::planner

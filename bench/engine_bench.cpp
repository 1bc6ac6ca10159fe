// Engine alone: the classic hold model. A fixed number of events is pending;
// each fired event schedules one more at a random later time.
// Compared, in the same run, with a plain std::priority_queue of
// std::function events (the "obvious" engine).
#include <benchmark/benchmark.h>

#include <functional>
#include <queue>
#include <vector>

#include "sim/engine.hpp"
#include "sim/random.hpp"

using namespace swarmplan::sim;

namespace {

struct HoldState {
  Engine* engine;
  Rng* rng;
  std::uint64_t* fired;
};

void Hold(HoldState* s) {
  ++*s->fired;
  s->engine->After(static_cast<Time>(1 + s->rng->Below(1000000)), [s] { Hold(s); });
}

void BM_EngineHold(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  Engine e;
  Rng rng(1);
  std::uint64_t fired = 0;
  HoldState hs{&e, &rng, &fired};
  for (std::size_t i = 0; i < pending; ++i) e.After(static_cast<Time>(rng.Below(1000000)), [&hs] { Hold(&hs); });
  for (auto _ : state) {
    e.Step();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["pending"] = static_cast<double>(e.pending());
}

// The baseline: a binary heap of std::function.
struct StdEvent {
  Time time;
  std::uint64_t seq;
  std::function<void()> fn;
  bool operator>(const StdEvent& o) const { return time > o.time || (time == o.time && seq > o.seq); }
};
struct StdEngine {
  std::priority_queue<StdEvent, std::vector<StdEvent>, std::greater<>> q;
  Time now = 0;
  std::uint64_t seq = 0;
  void After(Time d, std::function<void()> f) { q.push({now + d, seq++, std::move(f)}); }
  void Step() {
    StdEvent ev = q.top();  // copy, as std::priority_queue::top is const
    q.pop();
    now = ev.time;
    ev.fn();
  }
};

struct StdHoldState {
  StdEngine* engine;
  Rng* rng;
};
void StdHold(StdHoldState* s) {
  s->engine->After(static_cast<Time>(1 + s->rng->Below(1000000)), [s] { StdHold(s); });
}

void BM_StdPriorityQueueHold(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  StdEngine e;
  Rng rng(1);
  StdHoldState hs{&e, &rng};
  for (std::size_t i = 0; i < pending; ++i) e.After(static_cast<Time>(rng.Below(1000000)), [&hs] { StdHold(&hs); });
  for (auto _ : state) {
    e.Step();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

// Arg(100) is the tiny size the test suite runs.
BENCHMARK(BM_EngineHold)->Arg(100)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(BM_StdPriorityQueueHold)->Arg(100)->Arg(1000)->Arg(100000)->Arg(1000000);

BENCHMARK_MAIN();

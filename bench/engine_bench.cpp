// Engine alone: the classic hold model. A fixed number of events is pending;
// each fired event schedules one more at a random later time.
// Compared, in the same run, with a plain std::priority_queue of
// std::function events (the "obvious" engine) and a 4-ary heap of 16-byte
// keys with the handlers aside (the strong simple one).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <queue>
#include <vector>

#include "sim/engine.hpp"
#include "sim/handler.hpp"
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

// The second anchor (issue 13): a 4-ary min-heap of 16-byte POD keys
// (time, schedule order, slot) with the handlers in a side array and a free
// list of slots; ties fire in schedule order, a cancel is O(1) (the slot's
// generation changes, its key is skipped when it surfaces).
class FourAryEngine {
 public:
  struct Id {
    std::uint32_t slot, gen;
  };
  Id After(Time d, Handler h) {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(handlers_.size());
      handlers_.push_back(h);
      gen_.push_back(0);
    } else {
      slot = free_.back();
      free_.pop_back();
      handlers_[slot] = h;
    }
    Push({now_ + d, seq_++, slot});
    return {slot, gen_[slot]};
  }
  bool Cancel(Id id) {
    if (id.slot >= gen_.size() || gen_[id.slot] != id.gen || !handlers_[id.slot]) return false;
    handlers_[id.slot].Reset();
    ++gen_[id.slot];
    return true;
  }
  bool Step() {
    while (!heap_.empty()) {
      const Key k = heap_[0];
      Pop();
      Handler h = handlers_[k.slot];
      handlers_[k.slot].Reset();
      free_.push_back(k.slot);
      if (!h) continue;  // cancelled
      ++gen_[k.slot];
      now_ = k.time;
      h();
      return true;
    }
    return false;
  }
  std::size_t pending() const { return heap_.size(); }

 private:
  struct Key {
    Time time;
    std::uint32_t seq;  // schedule order (wraps after 2^32 events: enough for a benchmark)
    std::uint32_t slot;
    bool operator<(const Key& o) const { return time != o.time ? time < o.time : seq < o.seq; }
  };
  static_assert(sizeof(Key) == 16);
  void Push(Key k) {
    std::size_t i = heap_.size();
    heap_.push_back(k);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!(k < heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = k;
  }
  void Pop() {
    const Key last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = std::min(first + 4, n);
      for (std::size_t c = first + 1; c < end; ++c) {
        if (heap_[c] < heap_[best]) best = c;
      }
      if (!(heap_[best] < last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
  }
  std::vector<Key> heap_;
  std::vector<Handler> handlers_;
  std::vector<std::uint32_t> gen_, free_;
  Time now_ = 0;
  std::uint32_t seq_ = 0;
};

struct FourAryHoldState {
  FourAryEngine* engine;
  Rng* rng;
};
void FourAryHold(FourAryHoldState* s) {
  s->engine->After(static_cast<Time>(1 + s->rng->Below(1000000)), [s] { FourAryHold(s); });
}

void BM_FourAryHeapHold(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  FourAryEngine e;
  Rng rng(1);
  FourAryHoldState hs{&e, &rng};
  for (std::size_t i = 0; i < pending; ++i) {
    e.After(static_cast<Time>(rng.Below(1000000)), [p = &hs] { FourAryHold(p); });
  }
  for (auto _ : state) {
    e.Step();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["pending"] = static_cast<double>(e.pending());
}

}  // namespace

// Arg(100) is the tiny size the test suite runs.
BENCHMARK(BM_EngineHold)->Arg(100)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(BM_StdPriorityQueueHold)->Arg(100)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(BM_FourAryHeapHold)->Arg(100)->Arg(1000)->Arg(100000)->Arg(1000000);

BENCHMARK_MAIN();

// Engine: the discrete-event core. A flat queue of (time, sequence) ordered
// events; equal times fire in the order they were scheduled, so a run is a
// pure function of its inputs and seed.
//
// Events live in a slab of handler slots; the queue is a 4-ary min-heap of
// 16-byte keys (time, sequence<<24 | slot). Cancel() destroys the handler at
// once and leaves a tombstone that is skipped when it reaches the top, so it
// is O(1). Not thread-safe: one engine per run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/handler.hpp"
#include "sim/time.hpp"

namespace swarmplan::sim {

// Identifies one scheduled event. Default-constructed ids name no event.
struct EventId {
  std::uint32_t slot = UINT32_MAX;
  std::uint64_t seq = 0;
  bool valid() const { return slot != UINT32_MAX; }
};

class Engine {
 public:
  // Bounds: at most kMaxPending events pending at once; a run may fire at
  // most `max_events` events (0 = no bound) before RunUntil reports it.
  static constexpr std::uint32_t kMaxPending = (1u << 24) - 1;

  explicit Engine(std::uint64_t max_events = 0) : max_events_(max_events) {}
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Time Now() const { return now_; }

  // Schedules `h` to run at absolute time `at`. REQUIRES: at >= Now().
  EventId Schedule(Time at, Handler h);
  EventId After(Time delay, Handler h) { return Schedule(now_ + delay, std::move(h)); }

  // Cancels a pending event. Returns false if it already fired, was
  // cancelled, or the id is empty.
  bool Cancel(EventId id);
  bool IsPending(EventId id) const;

  // Fires the earliest event. Returns false if none is pending.
  bool Step();
  // Fires every event with time <= t, then sets Now() to t.
  // Returns false (and stops) if the event bound was hit.
  bool RunUntil(Time t);
  // Fires events until none is pending or `pred()` becomes true after an
  // event; bounded by `deadline`. Returns true if pred() held.
  template <typename Pred>
  bool RunWhile(Time deadline, Pred keep_going);

  std::size_t pending() const { return live_; }
  std::uint64_t fired() const { return fired_; }
  bool bound_hit() const { return bound_hit_; }
  Time NextTime() const;  // REQUIRES: pending() > 0

 private:
  struct Key {
    Time time;
    std::uint64_t seq_slot;  // seq << 24 | slot
    bool operator<(const Key& o) const {
      return time < o.time || (time == o.time && seq_slot < o.seq_slot);
    }
  };
  struct Slot {
    Handler handler;
    std::uint64_t seq = 0;
    bool live = false;
  };

  void Push(Key k);
  Key PopTop();
  void DropTombstones();

  std::vector<Key> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  Time now_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t fired_ = 0;
  std::uint64_t max_events_;
  std::size_t live_ = 0;
  bool bound_hit_ = false;
};

template <typename Pred>
bool Engine::RunWhile(Time deadline, Pred keep_going) {
  while (keep_going()) {
    DropTombstones();
    if (heap_.empty() || heap_.front().time > deadline) return false;
    if (max_events_ != 0 && fired_ >= max_events_) {
      bound_hit_ = true;
      return false;
    }
    Step();
  }
  return true;
}

}  // namespace swarmplan::sim

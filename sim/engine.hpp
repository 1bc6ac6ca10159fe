// Engine: the discrete-event core. A flat queue of (time, sequence) ordered
// events; equal times fire in the order they were scheduled, so a run is a
// pure function of its inputs and seed.
//
// Events live in a slab of 64-byte handler slots; the queue is a radix heap
// (monotone: simulated time never goes back) of 16-byte keys
// (time, sequence<<24 | slot) in 65 buckets by the highest bit in which a
// key differs from the last time popped. Each key moves down a bucket at a
// time and only in sequential sweeps, which is what keeps it fast with a
// million events pending. Equal times stay in schedule order: keys with the
// same time always share a bucket and every move is stable. Cancel()
// destroys the handler at once and leaves a tombstone that is skipped when
// it comes out, so it is O(1). Not thread-safe: one engine per run.
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
  struct alignas(64) Slot {
    Handler handler;
    std::uint64_t seq = 0;  // 0: free or cancelled
  };
  static constexpr int kBuckets = 65;

  int BucketOf(Time t) const {
    const auto x = static_cast<std::uint64_t>(t) ^ static_cast<std::uint64_t>(last_);
    return x == 0 ? 0 : 64 - __builtin_clzll(x);
  }
  void Push(Key k);
  // Makes bucket 0 hold the earliest keys. Returns false if none is queued.
  bool Prepare();
  // The earliest queued time (tombstones included), without moving keys.
  bool PeekTime(Time& t) const;
  // Fires the earliest live event if its time is <= limit.
  bool StepUntil(Time limit);
  // Re-files every key against a lower `last_` (a key earlier than last_
  // arrived; happens only after trailing tombstones were dropped).
  void Rebase(Time new_last);
  bool Empty() const { return queued_ == 0; }
  const Key& Top() const { return buckets_[0][head0_]; }
  void PopTop();

  std::vector<Key> buckets_[kBuckets];
  std::size_t head0_ = 0;      // bucket 0 is consumed from the front
  std::uint64_t occupied_ = 0; // bit i-1 set: bucket i (1..64) is non-empty
  Time last_ = 0;              // the last time that reached bucket 0
  std::size_t queued_ = 0;     // keys in buckets (tombstones included)
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
    if (max_events_ != 0 && fired_ >= max_events_) {
      bound_hit_ = true;
      return false;
    }
    if (!StepUntil(deadline)) return false;
  }
  return true;
}

}  // namespace swarmplan::sim

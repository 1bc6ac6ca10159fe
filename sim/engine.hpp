// Engine: the discrete-event core. Events are ordered by (time, sequence):
// equal times fire in the order they were scheduled, so a run is a pure
// function of its inputs and seed.
//
// The queue is a two-level ladder (after Tang, Goh and Thng's ladder queue,
// 2005) of 16-byte keys; the handlers stay in their slots beside it:
//  - far: keys beyond the window, unsorted (an append);
//  - the window: 2^k buckets of 2^shift microseconds each, unsorted (an
//    append); its width is chosen, each time it is rebuilt from `far`, so
//    that about half the far events fall in it, 8 to 16 to a bucket;
//  - the current bucket, sorted once when it is reached (a small, cached
//    sort), popped from its end, and a small heap for events scheduled into
//    the current bucket after it was sorted (a zero or tiny delay) once
//    the bucket is large (a small one takes them by sorted insert).
// So scheduling is an append and taking the next event a pop with the
// handler's slot prefetched: O(1) amortised whatever the number pending or
// how they spread (crowds at one time, a few far timeouts). Cancel() marks
// the slot free at once; its key stays behind as a tombstone, skipped when
// reached and dropped when the far keys are redistributed or compacted.
// Not thread-safe.
#pragma once

#include <cassert>
#include <functional>

#include <cstdint>
#include <vector>

#include "sim/handler.hpp"
#include "sim/huge.hpp"
#include "sim/time.hpp"

namespace swarmplan::sim {

// Identifies one scheduled event: its sequence number and slot in one word
// (a task keeps two). Default-constructed ids name no event.
struct EventId {
  std::uint64_t packed = UINT64_MAX;
  bool valid() const { return packed != UINT64_MAX; }
};

class Engine {
 public:
  static constexpr int kSlotBits = 28;
  static constexpr std::uint32_t kMaxPending = (std::uint32_t{1} << kSlotBits) - 1;

  // A run may fire at most `max_events` events (0 = no bound) before
  // RunUntil reports it.
  explicit Engine(std::uint64_t max_events = 0);
  // Hands its storage to the thread's next engine (trials build one engine
  // each, one after another: the next starts with warm, allocated arrays).
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Time Now() const { return now_; }

  // Schedules `h` to run at absolute time `at`. REQUIRES: at >= Now().
  // `touch`, if given, is the memory the handler reads first (its task,
  // say): it is prefetched while the event before it runs, so a large
  // trial's random reads overlap instead of waiting one after another.
  // The handler is built in its slot (a template, so the callable's
  // captures are stored there directly, not staged on the stack and copied).
  template <typename F>
  EventId Schedule(Time at, F&& f, const void* touch = nullptr) {
    assert(at >= now_ && "events cannot be scheduled in the past");
    if (at < now_) at = now_;
    const std::uint32_t s = Acquire();
    Node& n = node_[s];
    ::new (static_cast<void*>(&n.handler)) Handler(std::forward<F>(f));
    n.touch = touch;
    return Insert(at, s);
  }
  template <typename F>
  EventId After(Time delay, F&& f, const void* touch = nullptr) {
    return Schedule(now_ + delay, std::forward<F>(f), touch);
  }

  // Cancels a pending event. Returns false if it already fired, was
  // cancelled, or the id is empty.
  bool Cancel(EventId id);
  bool IsPending(EventId id) const {
    const std::uint64_t slot = id.packed & kMaxPending;
    return id.valid() && slot < node_.size() && node_[slot].seq == id.packed >> kSlotBits;
  }

  // Fires the earliest event. Returns false if none is pending.
  bool Step() { return StepUntil(INT64_MAX); }
  // Fires the earliest event if its time is <= limit.
  bool StepUntil(Time limit);
  // Fires every event with time <= t, then sets Now() to t.
  // Returns false (and stops) if the event bound was hit.
  bool RunUntil(Time t);

  // Called after every fired event (for recording a timeline; empty by
  // default, one test of a branch per event).
  void SetObserver(std::function<void()> f) { observer_ = std::move(f); }
  // Called after every 4,096th event: for a progress line within a long
  // run (it must not change the simulation; it is not called otherwise).
  void SetHeartbeat(std::function<void()> f) { heartbeat_ = std::move(f); }

  std::size_t pending() const { return size_; }
  std::size_t peak_pending() const { return peak_; }
  std::uint64_t fired() const { return fired_; }
  bool bound_hit() const { return bound_hit_; }
  // The earliest pending time, or INT64_MAX.
  Time NextTime();

 private:
  // (time, sequence << kSlotBits | slot): the sequence decides ties, and
  // the slot holds the handler.
  struct Key {
    Time time;
    std::uint64_t order;
    std::uint32_t slot() const { return static_cast<std::uint32_t>(order & kMaxPending); }
    std::uint64_t seq() const { return order >> kSlotBits; }
  };
  static bool Earlier(const Key& a, const Key& b) { return a.time < b.time || (a.time == b.time && a.order < b.order); }
  struct Later {
    bool operator()(const Key& a, const Key& b) const { return Earlier(b, a); }
  };
  bool Live(const Key& k) const { return node_[k.slot()].seq == k.seq(); }
  // A free slot for a new event (its handler and touch set by the caller).
  std::uint32_t Acquire() {
    if (!free_.empty()) {
      const std::uint32_t s = free_.back();
      free_.pop_back();
      return s;
    }
    return Grow();
  }
  std::uint32_t Grow();
  // Gives slot `s` its sequence number and files its key.
  EventId Insert(Time at, std::uint32_t s);
  // The earliest live key (tombstones at the front dropped; the window
  // advanced or rebuilt as needed), or nullptr if none is pending.
  const Key* Top();
  void PopTop();
  // Pops the current bucket's earliest key, prefetching ahead.
  void PopCur();
  // Loads the next non-empty bucket, or rebuilds the window from `far`.
  bool Advance();
  void Rebuild();
  // Drops every tombstone (when they outnumber the live events).
  void Compact();

  // One cache line per event: firing one reads one line.
  struct alignas(64) Node {
    Handler handler;
    std::uint64_t seq = 0;  // 0: free
    const void* touch = nullptr;
  };
  static_assert(sizeof(Node) == 64);
  // The arrays an engine leaves behind for the thread's next one.
  struct Storage {
    HugeVector<Node> node;
    std::vector<std::uint32_t> free;
    HugeVector<Key> cur, heap, far;
    std::vector<HugeVector<Key>> buckets;
  };
  static std::vector<Storage>& Recycled();

  HugeVector<Node> node_;
  std::vector<std::uint32_t> free_;
  HugeVector<Key> cur_;   // the current bucket, sorted latest first
  HugeVector<Key> heap_;  // keys before hi_ scheduled after cur_ was sorted (a min-heap)
  HugeVector<Key> far_;   // keys at or after wend_
  std::vector<HugeVector<Key>> buckets_;
  std::size_t nb_ = 0;     // buckets in the window
  std::size_t bc_ = 0;     // the next bucket to load
  Time base_ = 0;          // the window's start
  int shift_ = 0;          // bucket width = 1 << shift_ microseconds
  Time hi_ = 0;            // keys before this go to heap_
  Time wend_ = 0;          // keys at or after this go to far_
  std::size_t size_ = 0;   // live events
  std::size_t dead_ = 0;   // tombstones still held somewhere
  std::size_t peak_ = 0;
  Time now_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t fired_ = 0;
  std::function<void()> observer_;
  std::function<void()> heartbeat_;
  std::uint64_t max_events_;
  bool bound_hit_ = false;
};

}  // namespace swarmplan::sim

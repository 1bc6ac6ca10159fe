// Engine: the discrete-event core. A flat queue of (time, sequence) ordered
// events; equal times fire in the order they were scheduled, so a run is a
// pure function of its inputs and seed.
//
// The queue is a calendar queue (Brown, CACM 1988): events live in slots,
// threaded on sorted singly-linked lists, one list per bucket of
// `width` microseconds, the buckets a power of two wrapping around like the
// days of a year. Taking the next event looks at the current day's list;
// scheduling appends to a day's list (usually at its tail). Both are O(1)
// on average whatever the number pending; the calendar is resized (and the
// day width re-estimated from the spacing of the earliest events) when the
// number pending doubles or halves, and re-estimated if a scan finds the
// year mostly empty. Cancel() unlinks at once. Not thread-safe.
#pragma once

#include <functional>

#include <cstdint>
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
  static constexpr std::uint32_t kMaxPending = UINT32_MAX - 1;

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
  EventId Schedule(Time at, Handler h);
  EventId After(Time delay, Handler h) { return Schedule(now_ + delay, h); }

  // Cancels a pending event. Returns false if it already fired, was
  // cancelled, or the id is empty.
  bool Cancel(EventId id);
  bool IsPending(EventId id) const { return id.valid() && id.slot < node_.size() && node_[id.slot].seq == id.seq; }

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
  static constexpr std::uint32_t kNil = UINT32_MAX;

  std::size_t BucketOf(Time t) const { return static_cast<std::size_t>(static_cast<std::uint64_t>(t) >> shift_) & mask_; }
  bool Before(std::uint32_t a, std::uint32_t b) const {
    return node_[a].time < node_[b].time || (node_[a].time == node_[b].time && node_[a].seq < node_[b].seq);
  }
  // Links a newly scheduled slot (its sequence is the largest so far).
  void Link(std::uint32_t s);
  // The slot of the earliest event (kNil if none); moves the day cursor.
  std::uint32_t Earliest();
  void Unlink(std::uint32_t s);
  void Resize(std::size_t buckets);
  void StartDay(Time t);

  // One cache line per event: taking an event reads one line.
  struct alignas(64) Node {
    Time time = 0;
    std::uint64_t seq = 0;  // 0: free
    std::uint32_t next = kNil;
    Handler handler;
  };
  static_assert(sizeof(Node) == 64);
  struct Day {
    std::uint32_t head = kNil, tail = kNil;
    Time tail_time = 0;  // so an append needs no look at the tail's node
    // The slot linked last into this day (and its sequence number, to tell
    // whether it is still pending): a later event at the same time or
    // after it is linked by walking on from it, not from the head, so a
    // crowd of events at one time (a batch) costs O(1) each, not a walk
    // through the crowd.
    std::uint32_t hint = kNil;
    std::uint64_t hint_seq = 0;
  };
  // The arrays an engine leaves behind for the thread's next one.
  struct Storage {
    std::vector<Node> node;
    std::vector<std::uint32_t> free;
    std::vector<Day> days;
    std::vector<std::uint32_t> all;
    std::vector<Time> gaps;
  };
  static std::vector<Storage>& Recycled();

  std::vector<Node> node_;
  std::vector<std::uint32_t> free_;
  std::vector<Day> days_;
  std::vector<std::uint32_t> all_;  // Resize's scratch
  std::vector<Time> gaps_;
  std::size_t mask_ = 0;
  int shift_ = 0;          // day width = 1 << shift_ microseconds
  std::size_t day_ = 0;    // current bucket
  Time day_end_ = 0;       // end of the current day's window
  std::size_t size_ = 0;
  std::size_t peak_ = 0;
  std::size_t scanned_ = 0;  // buckets stepped over since the last resize
  std::size_t popped_ = 0;
  Time now_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t fired_ = 0;
  std::function<void()> observer_;
  std::function<void()> heartbeat_;
  std::uint64_t max_events_;
  bool bound_hit_ = false;
};

}  // namespace swarmplan::sim

#include "sim/engine.hpp"

#include <cassert>
#include <stdexcept>

namespace swarmplan::sim {

namespace {
constexpr std::uint64_t kSlotMask = (1u << 24) - 1;
constexpr std::uint64_t kMaxSeq = (1ULL << 40) - 1;
}  // namespace

EventId Engine::Schedule(Time at, Handler h) {
  assert(at >= now_ && "events cannot be scheduled in the past");
  if (at < now_) at = now_;
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    if (slots_.size() >= kMaxPending) throw std::length_error("engine: too many pending events");
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  const std::uint64_t seq = next_seq_++;
  if (seq > kMaxSeq) throw std::length_error("engine: event sequence exhausted");
  Slot& s = slots_[slot];
  s.handler = std::move(h);
  s.seq = seq;
  s.live = true;
  ++live_;
  Push(Key{at, (seq << 24) | slot});
  return EventId{slot, seq};
}

bool Engine::Cancel(EventId id) {
  if (!IsPending(id)) return false;
  Slot& s = slots_[id.slot];
  s.live = false;
  s.handler.Reset();
  --live_;
  return true;
}

bool Engine::IsPending(EventId id) const {
  return id.valid() && id.slot < slots_.size() && slots_[id.slot].live &&
         slots_[id.slot].seq == id.seq;
}

void Engine::Push(Key k) {
  heap_.push_back(k);
  std::size_t i = heap_.size() - 1;
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!(k < heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = k;
}

Engine::Key Engine::PopTop() {
  const Key top = heap_.front();
  const Key last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n > 0) {
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = first + 4 < n ? first + 4 : n;
      for (std::size_t c = first + 1; c < end; ++c) {
        if (heap_[c] < heap_[best]) best = c;
      }
      if (!(heap_[best] < last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
  }
  return top;
}

void Engine::DropTombstones() {
  while (!heap_.empty()) {
    const auto slot = static_cast<std::uint32_t>(heap_.front().seq_slot & kSlotMask);
    const std::uint64_t seq = heap_.front().seq_slot >> 24;
    const Slot& s = slots_[slot];
    if (s.live && s.seq == seq) return;
    PopTop();
    free_.push_back(slot);
  }
}

Time Engine::NextTime() const {
  // Tombstones may sit on top; their times are never later than a live
  // event's, so this is a lower bound. Callers use it only for look-ahead.
  return heap_.front().time;
}

bool Engine::Step() {
  DropTombstones();
  if (heap_.empty()) return false;
  const Key k = PopTop();
  const auto slot = static_cast<std::uint32_t>(k.seq_slot & kSlotMask);
  Slot& s = slots_[slot];
  Handler h = std::move(s.handler);
  s.live = false;
  --live_;
  free_.push_back(slot);
  now_ = k.time;
  ++fired_;
  h();
  return true;
}

bool Engine::RunUntil(Time t) {
  for (;;) {
    DropTombstones();
    if (heap_.empty() || heap_.front().time > t) break;
    if (max_events_ != 0 && fired_ >= max_events_) {
      bound_hit_ = true;
      return false;
    }
    Step();
  }
  if (t > now_) now_ = t;
  return true;
}

}  // namespace swarmplan::sim

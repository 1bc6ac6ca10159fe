#include "sim/engine.hpp"

#include <cassert>
#include <algorithm>
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
  ++live_;
  Push(Key{at, (seq << 24) | slot});
  return EventId{slot, seq};
}

bool Engine::Cancel(EventId id) {
  if (!IsPending(id)) return false;
  Slot& s = slots_[id.slot];
  s.seq = 0;
  s.handler.Reset();
  --live_;
  return true;
}

bool Engine::IsPending(EventId id) const {
  return id.valid() && id.slot < slots_.size() && slots_[id.slot].seq == id.seq;
}

void Engine::Push(Key k) {
  if (k.time < last_) Rebase(k.time);
  const int b = BucketOf(k.time);
  buckets_[b].push_back(k);
  if (b > 0) occupied_ |= std::uint64_t{1} << (b - 1);
  ++queued_;
}

bool Engine::Prepare() {
  if (head0_ < buckets_[0].size()) return true;
  buckets_[0].clear();
  head0_ = 0;
  if (occupied_ == 0) return false;
  // The lowest non-empty bucket holds the earliest keys: move its minimum
  // time to `last_` and spread the bucket over the lower buckets, in order.
  const int b = __builtin_ctzll(occupied_) + 1;
  std::vector<Key>& src = buckets_[b];
  Time min = src.front().time;
  for (const Key& k : src) min = k.time < min ? k.time : min;
  last_ = min;
  occupied_ &= ~(std::uint64_t{1} << (b - 1));
  for (const Key& k : src) {
    const int nb = BucketOf(k.time);
    buckets_[nb].push_back(k);
    if (nb > 0) occupied_ |= std::uint64_t{1} << (nb - 1);
  }
  src.clear();
  return true;
}

void Engine::PopTop() {
  ++head0_;
  --queued_;
}

void Engine::Rebase(Time new_last) {
  std::vector<Key> all;
  all.reserve(queued_);
  for (std::size_t i = head0_; i < buckets_[0].size(); ++i) all.push_back(buckets_[0][i]);
  for (int b = 1; b < kBuckets; ++b) {
    all.insert(all.end(), buckets_[b].begin(), buckets_[b].end());
    buckets_[b].clear();
  }
  // Stable by time keeps equal times in schedule order.
  std::stable_sort(all.begin(), all.end(), [](const Key& x, const Key& y) { return x.time < y.time; });
  buckets_[0].clear();
  head0_ = 0;
  occupied_ = 0;
  last_ = new_last;
  for (const Key& k : all) {
    const int nb = BucketOf(k.time);
    buckets_[nb].push_back(k);
    if (nb > 0) occupied_ |= std::uint64_t{1} << (nb - 1);
  }
}

bool Engine::PeekTime(Time& t) const {
  if (head0_ < buckets_[0].size()) {
    t = buckets_[0][head0_].time;
    return true;
  }
  if (occupied_ == 0) return false;
  const int b = __builtin_ctzll(occupied_) + 1;
  Time min = INT64_MAX;
  for (const Key& k : buckets_[b]) min = k.time < min ? k.time : min;
  t = min;
  return true;
}

bool Engine::StepUntil(Time limit) {
  for (;;) {
    Time t;
    if (!PeekTime(t) || t > limit) return false;
    Prepare();
    const Key k = Top();
    PopTop();
    const auto slot = static_cast<std::uint32_t>(k.seq_slot & kSlotMask);
    Slot& s = slots_[slot];
    if (s.seq != (k.seq_slot >> 24)) {  // cancelled
      free_.push_back(slot);
      continue;
    }
    Handler h = std::move(s.handler);
    s.seq = 0;
    --live_;
    free_.push_back(slot);
    now_ = k.time;
    ++fired_;
    h();
    return true;
  }
}

Time Engine::NextTime() const {
  Time t = INT64_MAX;
  PeekTime(t);
  return t;
}

bool Engine::Step() { return StepUntil(INT64_MAX); }

bool Engine::RunUntil(Time t) {
  for (;;) {
    if (max_events_ != 0 && fired_ >= max_events_) {
      Time next;
      if (PeekTime(next) && next <= t) {
        bound_hit_ = true;
        return false;
      }
      break;
    }
    if (!StepUntil(t)) break;
  }
  if (t > now_) now_ = t;
  return true;
}

}  // namespace swarmplan::sim

#include "sim/engine.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace swarmplan::sim {

namespace {
constexpr std::size_t kMinBuckets = 16;
}

std::vector<Engine::Storage>& Engine::Recycled() {
  thread_local std::vector<Storage> recycled;
  return recycled;
}

Engine::Engine(std::uint64_t max_events) : max_events_(max_events) {
  std::vector<Storage>& recycled = Recycled();
  if (!recycled.empty()) {
    Storage& st = recycled.back();
    node_ = std::move(st.node);
    free_ = std::move(st.free);
    days_ = std::move(st.days);
    all_ = std::move(st.all);
    gaps_ = std::move(st.gaps);
    recycled.pop_back();
  }
  days_.assign(kMinBuckets, Day{});
  mask_ = kMinBuckets - 1;
  shift_ = 10;
  StartDay(0);
}

Engine::~Engine() {
  std::vector<Storage>& recycled = Recycled();
  if (recycled.size() >= 4 || node_.capacity() > (std::size_t{1} << 20)) return;  // keep a few, not huge ones
  node_.clear();
  free_.clear();
  recycled.push_back({std::move(node_), std::move(free_), std::move(days_), std::move(all_), std::move(gaps_)});
}

void Engine::StartDay(Time t) {
  day_ = BucketOf(t);
  day_end_ = ((t >> shift_) + 1) << shift_;
}

EventId Engine::Schedule(Time at, Handler h) {
  assert(at >= now_ && "events cannot be scheduled in the past");
  if (at < now_) at = now_;
  std::uint32_t s;
  if (!free_.empty()) {
    s = free_.back();
    free_.pop_back();
  } else {
    if (node_.size() >= kMaxPending) throw std::length_error("engine: too many pending events");
    s = static_cast<std::uint32_t>(node_.size());
    node_.emplace_back();
  }
  node_[s].handler = h;
  node_[s].time = at;
  node_[s].seq = next_seq_++;
  Link(s);
  ++size_;
  peak_ = std::max(peak_, size_);
  if (size_ > 2 * (mask_ + 1)) Resize(2 * (mask_ + 1));
  return EventId{s, node_[s].seq};
}

void Engine::Link(std::uint32_t s) {
  const Time t = node_[s].time;
  // An event earlier than the day being looked at (possible after a peek
  // moved the cursor past Now()): look from its day again.
  if (t < day_end_ - (Time{1} << shift_)) StartDay(t);
  const std::size_t b = BucketOf(t);
  Day& d = days_[b];
  node_[s].next = kNil;
  if (d.head == kNil) {
    d.head = d.tail = s;
    d.tail_time = t;
    return;
  }
  if (t >= d.tail_time) {  // the common case; equal times keep schedule order
    node_[d.tail].next = s;
    d.tail = s;
    d.tail_time = t;
    return;
  }
  if (Before(s, d.head)) {
    node_[s].next = d.head;
    d.head = s;
    d.hint = s;
    d.hint_seq = node_[s].seq;
    return;
  }
  // Walk from the last slot linked here if it is still pending and not
  // later than this event (then everything before it is too); else from
  // the head. The order reached is the same: the one (time, seq) gives.
  std::uint32_t prev = d.head;
  if (d.hint != kNil && node_[d.hint].seq == d.hint_seq && node_[d.hint].time <= t) prev = d.hint;
  while (!Before(s, node_[prev].next)) prev = node_[prev].next;
  node_[s].next = node_[prev].next;
  node_[prev].next = s;
  d.hint = s;
  d.hint_seq = node_[s].seq;
}

void Engine::Unlink(std::uint32_t s) {
  const std::size_t b = BucketOf(node_[s].time);
  std::uint32_t prev = kNil, cur = days_[b].head;
  while (cur != s) {
    prev = cur;
    cur = node_[cur].next;
  }
  const std::uint32_t next = node_[s].next;
  if (prev == kNil) days_[b].head = next; else node_[prev].next = next;
  if (days_[b].tail == s) {
    days_[b].tail = prev;
    if (prev != kNil) days_[b].tail_time = node_[prev].time;
  }
}

std::uint32_t Engine::Earliest() {
  if (size_ == 0) return kNil;
  const std::size_t buckets = mask_ + 1;
  for (std::size_t n = 0; n < buckets; ++n) {
    const std::uint32_t h = days_[day_].head;
    if (h != kNil && node_[h].time < day_end_) return h;
    day_ = (day_ + 1) & mask_;
    day_end_ += Time{1} << shift_;
    ++scanned_;
  }
  // A whole year without an event: jump to the earliest head directly.
  std::uint32_t best = kNil;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::uint32_t h = days_[b].head;
    if (h != kNil && (best == kNil || Before(h, best))) best = h;
  }
  StartDay(node_[best].time);
  // The day width no longer fits the spacing of events: re-estimate it.
  if (scanned_ > 8 * (popped_ + buckets)) Resize(buckets);
  return best;
}

void Engine::Resize(std::size_t buckets) {
  // Gather every pending slot, in time order.
  std::vector<std::uint32_t>& all = all_;
  all.clear();
  for (std::size_t b = 0; b <= mask_; ++b) {
    for (std::uint32_t s = days_[b].head; s != kNil; s = node_[s].next) all.push_back(s);
  }
  std::sort(all.begin(), all.end(), [this](std::uint32_t a, std::uint32_t b) { return Before(a, b); });
  // Brown's estimate of the day width: the mean spacing of (up to) the
  // first 32 distinct times, ignoring gaps over twice the mean, times three.
  std::vector<Time>& gaps = gaps_;
  gaps.clear();
  for (std::size_t i = 1; i < all.size() && gaps.size() < 32; ++i) {
    const Time g = node_[all[i]].time - node_[all[i - 1]].time;
    if (g > 0) gaps.push_back(g);
  }
  if (!gaps.empty()) {
    double mean = 0;
    for (Time g : gaps) mean += static_cast<double>(g);
    mean /= static_cast<double>(gaps.size());
    double trimmed = 0;
    int kept = 0;
    for (Time g : gaps) {
      if (static_cast<double>(g) <= 2 * mean) {
        trimmed += static_cast<double>(g);
        ++kept;
      }
    }
    const double width = 2 * (kept ? trimmed / kept : mean);
    shift_ = 0;
    while (shift_ < 40 && static_cast<double>(Time{1} << shift_) < width) ++shift_;
  }
  buckets = std::max(buckets, kMinBuckets);
  days_.assign(buckets, Day{});
  mask_ = buckets - 1;
  StartDay(all.empty() ? now_ : node_[all.front()].time);
  for (std::uint32_t s : all) {  // in order: every link is an append
    const std::size_t b = BucketOf(node_[s].time);
    node_[s].next = kNil;
    if (days_[b].head == kNil) days_[b].head = s; else node_[days_[b].tail].next = s;
    days_[b].tail = s;
    days_[b].tail_time = node_[s].time;
  }
  scanned_ = 0;
  popped_ = 0;
}

bool Engine::Cancel(EventId id) {
  if (!IsPending(id)) return false;
  Unlink(id.slot);
  node_[id.slot].seq = 0;
  node_[id.slot].handler.Reset();
  free_.push_back(id.slot);
  --size_;
  return true;
}

Time Engine::NextTime() {
  const std::uint32_t s = Earliest();
  return s == kNil ? INT64_MAX : node_[s].time;
}

bool Engine::StepUntil(Time limit) {
  const std::uint32_t s = Earliest();
  if (s == kNil || node_[s].time > limit) return false;
  const std::uint32_t next = node_[s].next;
  days_[day_].head = next;
  if (next == kNil) {
    days_[day_].tail = kNil;
  } else {
    __builtin_prefetch(&node_[next]);
  }
  Handler h = node_[s].handler;
  now_ = node_[s].time;
  node_[s].seq = 0;
  free_.push_back(s);
  --size_;
  ++popped_;
  ++fired_;
  if (size_ < (mask_ + 1) / 4 && mask_ + 1 > kMinBuckets) Resize((mask_ + 1) / 2);
  h();
  if (observer_) observer_();
  if ((fired_ & 0xFFF) == 0 && heartbeat_) heartbeat_();
  return true;
}

bool Engine::RunUntil(Time t) {
  for (;;) {
    if (max_events_ != 0 && fired_ >= max_events_) {
      if (NextTime() <= t) {
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

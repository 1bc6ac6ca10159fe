#include "sim/engine.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace swarmplan::sim {

namespace {
// A rebuild of no more keys than this sorts them all into the current bucket.
constexpr std::size_t kSmall = 64;
// Keys per bucket the window is sized for (fewer while few are pending:
// the bucket's sort is then the larger cost; more for many: the buckets'
// appends spread over more cache lines), and the most buckets it has.
constexpr std::size_t PerBucket(std::size_t pending) { return pending < 16384 ? 8 : 16; }
// A bucket keeping room for more keys than this is freed at a rebuild.
constexpr std::size_t kBucketKeep = 128;
constexpr std::size_t kMaxBuckets = std::size_t{1} << 16;
constexpr std::uint64_t kMaxSeq = (std::uint64_t{1} << (64 - Engine::kSlotBits)) - 1;
// The current bucket takes new keys by sorted insert up to this size.
constexpr std::size_t kSortedInsert = 256;
// How many keys ahead of the one fired the handler slots are prefetched.
constexpr std::size_t kPrefetch = 4;

Time AddSat(Time a, Time b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }
}  // namespace

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
    cur_ = std::move(st.cur);
    heap_ = std::move(st.heap);
    far_ = std::move(st.far);
    buckets_ = std::move(st.buckets);
    recycled.pop_back();
  }
}

Engine::~Engine() {
  std::vector<Storage>& recycled = Recycled();
  if (recycled.size() >= 4 || node_.capacity() > (std::size_t{1} << 20)) return;  // keep a few, not huge ones
  node_.clear();
  free_.clear();
  cur_.clear();
  heap_.clear();
  far_.clear();
  for (auto& b : buckets_) b.clear();
  recycled.push_back({std::move(node_), std::move(free_), std::move(cur_), std::move(heap_), std::move(far_),
                      std::move(buckets_)});
}

std::uint32_t Engine::Grow() {
  if (node_.size() >= kMaxPending) throw std::length_error("engine: too many pending events");
  node_.emplace_back();
  return static_cast<std::uint32_t>(node_.size() - 1);
}

EventId Engine::Insert(Time at, std::uint32_t s) {
  if (next_seq_ > kMaxSeq) {
    node_[s].handler.Reset();
    free_.push_back(s);
    throw std::length_error("engine: too many events scheduled");
  }
  const std::uint64_t seq = next_seq_++;
  node_[s].seq = seq;
  const Key k{at, seq << kSlotBits | s};
  if (at < hi_) {
    // Into the current bucket: a sorted insert while it is small (the
    // insert is usually near its end, the earliest), else the heap.
    if (cur_.size() < kSortedInsert) {
      // From the end (the earliest keys): a new key usually lands within
      // a few places of it, and a short predictable scan beats a binary
      // search's mispredicted branches.
      std::size_t i = cur_.size();
      cur_.push_back(k);
      Key* c = cur_.data();
      while (i > 0 && Earlier(c[i - 1], k)) {
        c[i] = c[i - 1];
        --i;
      }
      c[i] = k;
    } else {
      heap_.push_back(k);
      std::push_heap(heap_.begin(), heap_.end(), Later{});
    }
  } else if (at < wend_) {
    buckets_[static_cast<std::size_t>(static_cast<std::uint64_t>(at - base_) >> shift_)].push_back(k);
  } else {
    far_.push_back(k);
  }
  ++size_;
  peak_ = std::max(peak_, size_);
  return EventId{k.order};
}

bool Engine::Cancel(EventId id) {
  if (!IsPending(id)) return false;
  const auto slot = static_cast<std::uint32_t>(id.packed & kMaxPending);
  node_[slot].seq = 0;
  node_[slot].handler.Reset();
  free_.push_back(slot);
  --size_;
  if (++dead_ > size_ + 4096) Compact();
  return true;
}

void Engine::Compact() {
  const auto dead = [this](const Key& k) { return !Live(k); };
  std::erase_if(cur_, dead);  // keeps the order
  std::erase_if(heap_, dead);
  std::make_heap(heap_.begin(), heap_.end(), Later{});
  for (std::size_t b = bc_; b < nb_; ++b) std::erase_if(buckets_[b], dead);
  std::erase_if(far_, dead);
  dead_ = 0;
}

bool Engine::Advance() {
  for (;;) {
    while (bc_ < nb_ && buckets_[bc_].empty()) ++bc_;
    if (bc_ < nb_) {
      cur_.clear();
      cur_.swap(buckets_[bc_]);
      std::sort(cur_.begin(), cur_.end(), Later{});  // latest first: pop from the end
      ++bc_;
      hi_ = AddSat(base_, static_cast<Time>(static_cast<std::uint64_t>(bc_) << shift_));
      return true;
    }
    if (far_.empty()) return false;
    Rebuild();
    if (!cur_.empty()) return true;  // few keys: loaded at once
  }
}

void Engine::Rebuild() {
  const std::size_t before = far_.size();
  std::erase_if(far_, [this](const Key& k) { return !Live(k); });
  dead_ -= before - far_.size();
  nb_ = bc_ = 0;
  const std::size_t n = far_.size();
  // The buckets' memory follows what is pending: the buckets a larger
  // window or a crowd left behind are freed (a large cluster's deploy
  // would otherwise keep tens of megabytes for the rest of the trial).
  std::size_t want = 0;
  if (n > kSmall) {
    want = 2;
    while (want < kMaxBuckets && want * PerBucket(n) < n) want *= 2;
  }
  if (buckets_.size() > want) buckets_.resize(want);
  for (auto& b : buckets_) {
    if (b.capacity() > kBucketKeep) HugeVector<Key>().swap(b);
  }
  if (cur_.capacity() > kBucketKeep) HugeVector<Key>().swap(cur_);  // empty here
  if (n == 0) {
    hi_ = wend_ = now_;
    return;
  }
  if (n <= kSmall) {
    // Few: all of them are the current bucket.
    if (far_.capacity() > 4096) HugeVector<Key>(far_.begin(), far_.end()).swap(far_);  // a drained crowd's room
    cur_.clear();
    cur_.swap(far_);
    std::sort(cur_.begin(), cur_.end(), Later{});
    hi_ = wend_ = AddSat(cur_.front().time, 1);
    return;
  }
  // The window starts at the earliest key and is twice as wide as the
  // distance to the median one: half the keys (more if they crowd early)
  // are spread over it, a few far timeouts do not stretch it.
  Time lo = INT64_MAX;
  for (const Key& k : far_) lo = std::min(lo, k.time);
  auto mid = far_.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(far_.begin(), mid, far_.end(), [](const Key& a, const Key& b) { return a.time < b.time; });
  const std::uint64_t span = static_cast<std::uint64_t>(mid->time - lo);
  const std::size_t buckets = want;
  shift_ = 0;
  while (shift_ < 62 && (std::uint64_t{buckets} << shift_) < 2 * span + 1) ++shift_;
  base_ = lo;
  nb_ = buckets;
  const std::uint64_t width = std::uint64_t{buckets} << shift_;
  wend_ = width > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : AddSat(base_, static_cast<Time>(width));
  if (buckets_.size() < nb_) buckets_.resize(nb_);
  std::size_t kept = 0;
  for (const Key& k : far_) {
    if (k.time < wend_) {
      buckets_[static_cast<std::size_t>(static_cast<std::uint64_t>(k.time - base_) >> shift_)].push_back(k);
    } else {
      far_[kept++] = k;
    }
  }
  far_.resize(kept);
  if (far_.capacity() > 4 * std::max<std::size_t>(n, 4096)) far_.shrink_to_fit();
  hi_ = base_;
}

const Engine::Key* Engine::Top() {
  for (;;) {
    while (!cur_.empty() && !Live(cur_.back())) {
      cur_.pop_back();
      --dead_;
    }
    while (!heap_.empty() && !Live(heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      heap_.pop_back();
      --dead_;
    }
    if (!cur_.empty() || !heap_.empty()) break;
    if (size_ == 0 || !Advance()) return nullptr;
  }
  if (heap_.empty()) return &cur_.back();
  if (cur_.empty()) return &heap_.front();
  return Earlier(heap_.front(), cur_.back()) ? &heap_.front() : &cur_.back();
}

void Engine::PopTop() {
  if (!heap_.empty() && (cur_.empty() || Earlier(heap_.front(), cur_.back()))) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    return;
  }
  PopCur();
}

void Engine::PopCur() {
  cur_.pop_back();
  if (cur_.size() > kPrefetch) __builtin_prefetch(&node_[cur_[cur_.size() - 1 - kPrefetch].slot()]);
  // The next event's slot was prefetched kPrefetch events ago: start the
  // read of what its handler will touch.
  if (!cur_.empty()) {
    if (const void* t = node_[cur_.back().slot()].touch) __builtin_prefetch(t);
  }
}

Time Engine::NextTime() {
  const Key* k = Top();
  return k == nullptr ? INT64_MAX : k->time;
}

bool Engine::StepUntil(Time limit) {
  Key k;
  if (heap_.empty() && !cur_.empty() && Live(cur_.back())) {  // the common case
    k = cur_.back();
    if (k.time > limit) return false;
    PopCur();
  } else {
    const Key* top = Top();
    if (top == nullptr || top->time > limit) return false;
    k = *top;
    PopTop();
  }
  Node& n = node_[k.slot()];
  Handler h = n.handler;
  n.seq = 0;
  free_.push_back(k.slot());
  --size_;
  now_ = k.time;
  ++fired_;
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

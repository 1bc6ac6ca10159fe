// NodeHeap: the scheduler's per-service index of candidate nodes, a
// binary min-heap of (rank, random tie, node) entries.
//
// The order is strict and total (the node id last, for the rare equal
// random keys), so the order entries leave in never depends on the heap's
// shape: any correct heap gives the same placements for the same draws.
// Its sift picks the smaller child with a conditional move: random tie keys
// make that choice a coin toss, which a branch mispredicts half the time,
// and a large cluster's placements spend much of their time here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/types.hpp"

namespace swarmplan::model {

__extension__ typedef unsigned __int128 NodeKey;  // (GCC and Clang; quiet under -Wpedantic)

struct NodeEntry {
  std::uint64_t rank;  // failures at/over the threshold<<48 | service count<<24 | total count
  std::uint32_t tie;   // random: Go's map order
  NodeId node;
  // One 128-bit comparison, without branches.
  NodeKey key() const { return static_cast<NodeKey>(rank) << 64 | (std::uint64_t{tie} << 32 | node); }
  bool operator<(const NodeEntry& o) const { return key() < o.key(); }
};

class NodeHeap {
 public:
  bool empty() const { return v_.empty(); }
  std::size_t size() const { return v_.size(); }
  void clear() { v_.clear(); }
  // The least entry. REQUIRES: !empty().
  const NodeEntry& top() const { return v_.front(); }
  void push(const NodeEntry& e);
  // Removes top(). REQUIRES: !empty().
  void pop();
  // Appends without order; Heapify() restores it.
  void append(const NodeEntry& e) { v_.push_back(e); }
  void Heapify();

 private:
  void SiftDown(std::size_t i);
  std::vector<NodeEntry> v_;
};

inline void NodeHeap::push(const NodeEntry& e) {
  std::size_t i = v_.size();
  v_.push_back(e);
  NodeEntry* const h = v_.data();
  const NodeKey k = e.key();
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!(k < h[parent].key())) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}

inline void NodeHeap::pop() {
  v_.front() = v_.back();
  v_.pop_back();
  if (!v_.empty()) SiftDown(0);
}

inline void NodeHeap::SiftDown(std::size_t i) {
  NodeEntry* const h = v_.data();
  const std::size_t n = v_.size();
  const NodeEntry e = h[i];
  const NodeKey k = e.key();
  for (;;) {
    std::size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n) c += static_cast<std::size_t>(h[c + 1].key() < h[c].key());
    if (!(h[c].key() < k)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = e;
}

inline void NodeHeap::Heapify() {
  for (std::size_t i = v_.size() / 2; i-- > 0;) SiftDown(i);
}

}  // namespace swarmplan::model

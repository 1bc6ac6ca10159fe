#include "model/store.hpp"

#include "sim/huge.hpp"

namespace swarmplan::model {

namespace {
// Chunks of finished runs, for the thread's next runs.
std::vector<std::unique_ptr<Task[]>>& RecycledChunks() {
  thread_local std::vector<std::unique_ptr<Task[]>> chunks;
  return chunks;
}
constexpr std::size_t kSlabBytes = sim::kHugePage;
constexpr std::size_t kChunksPerSlab = kSlabBytes / (TaskStore::kChunk * sizeof(Task));
static_assert(kChunksPerSlab >= 1);
}  // namespace

TaskStore::~TaskStore() {
  auto& recycled = RecycledChunks();
  for (auto& c : own_) {
    if (recycled.size() >= kOwnChunks) break;
    recycled.push_back(std::move(c));
  }
  // Slab chunks hold tasks constructed in place: destroy them, then unmap.
  std::size_t chunk = own_.size();
  for (const Slab& s : slabs_) {
    for (std::size_t c = 0; c < s.chunks; ++c, ++chunk) {
      const std::size_t first = chunk * kChunk;
      for (std::size_t i = 0; i < kChunk && first + i < size_; ++i) chunks_[chunk][i].~Task();
    }
    sim::HugeFree(s.mem, kSlabBytes);
  }
}

Task& TaskStore::emplace_back() {
  if (size_ == chunks_.size() * kChunk) {
    if (own_.size() < kOwnChunks) {
      auto& recycled = RecycledChunks();
      if (recycled.empty()) {
        own_.push_back(std::make_unique<Task[]>(kChunk));
      } else {
        own_.push_back(std::move(recycled.back()));
        recycled.pop_back();
      }
      chunks_.push_back(own_.back().get());
    } else {
      if (slabs_.empty() || slabs_.back().chunks == kChunksPerSlab) slabs_.push_back({sim::HugeAlloc(kSlabBytes), 0});
      Slab& s = slabs_.back();
      chunks_.push_back(static_cast<Task*>(s.mem) + s.chunks * kChunk);
      ++s.chunks;
    }
  }
  const std::size_t chunk = size_ / kChunk;
  Task* slot = &chunks_[chunk][size_ % kChunk];
  ++size_;
  if (chunk >= own_.size()) return *::new (static_cast<void*>(slot)) Task{};  // a slab's raw memory
  *slot = Task{};
  return *slot;
}

}  // namespace swarmplan::model

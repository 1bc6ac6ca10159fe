// Memory for the large arrays of a big trial (tasks, events), backed by
// transparent huge pages where the kernel offers them (madvise mode, the
// Debian default). A 10,000-node trial touches some 400 MiB at random: in
// 4 KiB pages that is ~100,000 first-touch faults and a TLB miss on most
// accesses; in 2 MiB pages, a few hundred of each. Small blocks come from
// the ordinary heap, so a seed-sized trial is unchanged.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace swarmplan::sim {

// Blocks of at least this many bytes are mapped on their own and advised
// as huge; smaller ones use operator new.
inline constexpr std::size_t kHugeMin = std::size_t{1} << 20;
inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

// `bytes` of memory aligned to kHugePage (zeroed, as fresh mappings are).
// Throws std::bad_alloc when the mapping fails.
void* HugeAlloc(std::size_t bytes);
void HugeFree(void* p, std::size_t bytes);

// An allocator for std::vector: large arrays go to HugeAlloc.
template <typename T>
struct HugeAllocator {
  using value_type = T;
  HugeAllocator() = default;
  template <typename U>
  HugeAllocator(const HugeAllocator<U>&) {}  // NOLINT: rebinding, as allocators do

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= kHugeMin) return static_cast<T*>(HugeAlloc(bytes));
    return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T)}));
  }
  void deallocate(T* p, std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= kHugeMin) {
      HugeFree(p, bytes);
    } else {
      ::operator delete(p, std::align_val_t{alignof(T)});
    }
  }
  template <typename U>
  bool operator==(const HugeAllocator<U>&) const { return true; }
};

template <typename T>
using HugeVector = std::vector<T, HugeAllocator<T>>;

}  // namespace swarmplan::sim

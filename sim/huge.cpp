#include "sim/huge.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace swarmplan::sim {

namespace {
std::size_t Rounded(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
}  // namespace

void* HugeAlloc(std::size_t bytes) {
  const std::size_t size = Rounded(bytes);
  // Map one huge page more than asked, then give back the ends that are
  // not huge-page aligned.
  void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) & ~(std::uintptr_t{kHugePage} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t end = start + size + kHugePage;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // advice only: without THP these are 4 KiB pages
  return p;
}

void HugeFree(void* p, std::size_t bytes) { munmap(p, Rounded(bytes)); }

}  // namespace swarmplan::sim

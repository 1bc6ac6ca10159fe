#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "model/store.hpp"
#include "sim/huge.hpp"

using namespace swarmplan;
using namespace swarmplan::model;

TEST_CASE("the task store keeps references and values across its own chunks and huge slabs", "[unit][store]") {
  // 100,000 tasks: the first kOwnChunks chunks are allocated one by one,
  // the rest carved from huge-page slabs; a reference taken early stays
  // valid, every task keeps what was written to it, and a second store on
  // the same thread reuses the recycled chunks with fresh tasks.
  for (int round = 0; round < 2; ++round) {
    TaskStore s;
    Task& first = s.emplace_back();
    CHECK(first.id == kNoId);  // fresh, even from a recycled chunk
    first.id = 0;
    first.addrs.assign(6, 7);  // beyond the inline addresses: owns heap memory
    std::vector<Task*> where;
    for (std::uint32_t i = 1; i < 100'000; ++i) {
      Task& t = s.emplace_back();
      CHECK(t.state == TaskState::kNew);
      t.id = i;
      t.slot = i * 3;
      if (i % 1000 == 0) t.addrs.assign(5, i);
      where.push_back(&t);
    }
    REQUIRE(s.size() == 100'000);
    CHECK(&s[0] == &first);
    std::size_t wrong = 0;
    for (std::uint32_t i = 1; i < 100'000; ++i) {
      wrong += &s[i] != where[i - 1] || s[i].id != i || s[i].slot != i * 3;
      if (i % 1000 == 0) wrong += s[i].addrs.size() != 5 || s[i].addrs[4] != i;
    }
    CHECK(wrong == 0);
    CHECK(first.addrs.size() == 6);
  }
}

TEST_CASE("huge allocations are aligned, zeroed and usable", "[unit][store]") {
  const std::size_t bytes = 3 * sim::kHugePage + 12345;
  auto* p = static_cast<unsigned char*>(sim::HugeAlloc(bytes));
  CHECK(reinterpret_cast<std::uintptr_t>(p) % sim::kHugePage == 0);
  CHECK(p[0] == 0);
  CHECK(p[bytes - 1] == 0);
  p[bytes - 1] = 1;
  sim::HugeFree(p, bytes);
  sim::HugeVector<std::uint64_t> v(1'000'000, 5);  // 8 MB: from HugeAlloc
  v.push_back(6);
  CHECK(v.size() == 1'000'001);
  CHECK(v[999'999] == 5);
  CHECK(v.back() == 6);
}

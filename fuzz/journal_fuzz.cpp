// The journal reader: any file content opens as a journal of the plan or is
// refused with an error; never a crash, and never a step out of range.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "executor/journal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/swarmplan_fuzz_journal_" + std::to_string(::getpid());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  const swarmplan::executor::JournalKey key{"00112233aabbccdd", 6, "docker", "c1"};
  auto j = swarmplan::executor::Journal::Open(path, key);
  if (j) {
    for (std::size_t i = 6; i < 64; ++i) {
      if (j->Done(i)) std::abort();
    }
  }
  std::remove(path.c_str());
  return 0;
}

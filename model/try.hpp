// Forwarding a failure of a std::expected<T, std::string> to the caller,
// the one way the code does it (as SerenityOS's TRY and abseil's
// ASSIGN_OR_RETURN do):
//   const std::uint64_t n = SWARMPLAN_TRY(r.Uint(node, path, 100));
//   SWARMPLAN_CHECK(r.Keys(node, path, known));
// TRY yields the value or returns the error; CHECK is for expected<void>.
// The function using them returns a std::expected with a std::string error.
// (A statement expression: GCC and Clang; __extension__ keeps -Wpedantic
// quiet.)
#pragma once

#include <expected>
#include <utility>

#define SWARMPLAN_TRY(...)                                                            \
  __extension__({                                                                     \
    auto swarmplan_try_ = (__VA_ARGS__);                                              \
    if (!swarmplan_try_) return std::unexpected(std::move(swarmplan_try_).error());   \
    std::move(*swarmplan_try_);                                                       \
  })

#define SWARMPLAN_CHECK(...)                                                               \
  do {                                                                                     \
    if (auto swarmplan_check_ = (__VA_ARGS__); !swarmplan_check_) {                        \
      return std::unexpected(std::move(swarmplan_check_).error());                         \
    }                                                                                      \
  } while (0)

// Handler: a move-only callable `void()` stored inline, without allocation.
//
// Event handlers in the model capture a pointer and a few ids; keeping them
// inline (no std::function heap box) is what lets the engine reach tens of
// millions of events per second. The callable must be trivially copyable
// and at most kCapacity bytes (capture ids and pointers, not objects): a
// callable that does not fit is a compile error, not a silent allocation.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace swarmplan::sim {

class Handler {
 public:
  static constexpr std::size_t kCapacity = 32;

  Handler() = default;

  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Handler>>>
  Handler(F&& f) {  // NOLINT: implicit on purpose, so lambdas convert.
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= kCapacity, "handler captures too much; capture ids, not objects");
    static_assert(alignof(Fn) <= alignof(std::max_align_t));
    static_assert(std::is_trivially_copyable_v<Fn> && std::is_trivially_destructible_v<Fn>,
                  "handlers capture pointers and ids only");
    ::new (static_cast<void*>(buf_)) Fn(std::forward<F>(f));
    invoke_ = [](void* p) { (*static_cast<Fn*>(p))(); };
  }

  Handler(const Handler&) = default;
  Handler& operator=(const Handler&) = default;

  explicit operator bool() const { return invoke_ != nullptr; }
  void operator()() { invoke_(buf_); }
  void Reset() { invoke_ = nullptr; }

 private:
  alignas(8) unsigned char buf_[kCapacity];
  void (*invoke_)(void*) = nullptr;
};

}  // namespace swarmplan::sim

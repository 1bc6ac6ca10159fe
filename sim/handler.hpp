// Handler: a move-only callable `void()` stored inline, without allocation.
//
// Event handlers in the model capture a pointer and a few ids; keeping them
// inline (no std::function heap box) is what lets the engine reach tens of
// millions of events per second. A callable that does not fit is a compile
// error, not a silent allocation.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace swarmplan::sim {

class Handler {
 public:
  static constexpr std::size_t kCapacity = 40;

  Handler() = default;

  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Handler>>>
  Handler(F&& f) {  // NOLINT: implicit on purpose, so lambdas convert.
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= kCapacity, "handler captures too much; capture ids, not objects");
    static_assert(alignof(Fn) <= alignof(std::max_align_t));
    static_assert(std::is_nothrow_move_constructible_v<Fn>);
    ::new (static_cast<void*>(buf_)) Fn(std::forward<F>(f));
    invoke_ = [](void* p) { (*static_cast<Fn*>(p))(); };
    if constexpr (std::is_trivially_copyable_v<Fn> && std::is_trivially_destructible_v<Fn>) {
      manage_ = nullptr;
    } else {
      manage_ = [](void* dst, void* src) {
        if (dst != nullptr) ::new (dst) Fn(std::move(*static_cast<Fn*>(src)));
        static_cast<Fn*>(src)->~Fn();
      };
    }
  }

  Handler(Handler&& o) noexcept { MoveFrom(o); }
  Handler& operator=(Handler&& o) noexcept {
    if (this != &o) {
      Reset();
      MoveFrom(o);
    }
    return *this;
  }
  Handler(const Handler&) = delete;
  Handler& operator=(const Handler&) = delete;
  ~Handler() { Reset(); }

  explicit operator bool() const { return invoke_ != nullptr; }
  void operator()() { invoke_(buf_); }

  void Reset() {
    if (manage_ != nullptr) manage_(nullptr, buf_);
    invoke_ = nullptr;
    manage_ = nullptr;
  }

 private:
  void MoveFrom(Handler& o) {
    invoke_ = o.invoke_;
    manage_ = o.manage_;
    if (manage_ != nullptr) {
      manage_(buf_, o.buf_);
    } else if (invoke_ != nullptr) {
      __builtin_memcpy(buf_, o.buf_, kCapacity);
    }
    o.invoke_ = nullptr;
    o.manage_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char buf_[kCapacity];
  void (*invoke_)(void*) = nullptr;
  void (*manage_)(void*, void*) = nullptr;
};

}  // namespace swarmplan::sim

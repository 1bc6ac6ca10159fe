// Trace: the timeline of one simulated run, for `swarmplan simulate`.
// Recording is off unless enabled, so trials pay nothing for it.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include "sim/time.hpp"

namespace swarmplan::model {

struct TraceEvent {
  sim::Time time;
  std::string kind;  // "step", "task", "address", "node", "leader", "reject", "note"
  std::string text;
};

class Trace {
 public:
  explicit Trace(bool enabled = false, bool explain = false) : enabled_(enabled), explain_(enabled && explain) {}
  bool enabled() const { return enabled_; }
  // Also record why: each placement's candidates, filtered and ranked
  // (`simulate --explain`). Costs a scan of every node per placement.
  bool explain() const { return explain_; }
  void SetExplain(bool on) { explain_ = enabled_ && on; }
  void Add(sim::Time t, std::string kind, std::string text) {
    if (enabled_) events_.push_back({t, std::move(kind), std::move(text)});
  }
  // The text made only when recording: trials build no strings.
  template <typename MakeText>
    requires std::is_invocable_v<MakeText>
  void Add(sim::Time t, const char* kind, MakeText&& make) {
    if (enabled_) events_.push_back({t, kind, std::string(make())});
  }
  const std::vector<TraceEvent>& events() const { return events_; }

 private:
  bool enabled_;
  bool explain_ = false;
  std::vector<TraceEvent> events_;
};

}  // namespace swarmplan::model

// The reader of `merge`'s share files: strict JSON, then each trial record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/strict_json.hpp"
#include "planner/shard.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = swarmplan::model::ParseStrictJson(text);
  if (!j) return 0;
  const nlohmann::json* results = j->is_object() && j->contains("results") ? &(*j)["results"] : &*j;
  if (!results->is_array()) return 0;
  for (const auto& r : *results) {
    auto t = swarmplan::planner::TrialFromJson(r);
    if (!t) continue;
    // What was read writes back to the same record.
    auto again = swarmplan::planner::TrialFromJson(swarmplan::planner::TrialToJson(*t));
    if (!again || swarmplan::planner::TrialToJson(*again) != swarmplan::planner::TrialToJson(*t)) std::abort();
  }
  return 0;
}

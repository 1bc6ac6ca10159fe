// The scenario reader: never crashes on any text, and a scenario it accepts
// is written and read back unchanged (write/read round trip).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/scenario_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto s = swarmplan::model::ScenarioFromJson(text, "fuzz");
  if (!s) return 0;
  const auto j = swarmplan::model::ScenarioToJson(*s);
  auto back = swarmplan::model::ScenarioFromJson(j.dump(), "round trip");
  if (!back) std::abort();
  if (swarmplan::model::ScenarioToJson(*back) != j) std::abort();
  return 0;
}

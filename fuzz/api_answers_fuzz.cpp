// The readers of Engine API answers (import, usage, diagnose's reading): any JSON a daemon
// could send gives a scenario or an error, never a crash. The input is one
// JSON object {"info":..., "nodes":..., "networks":..., "services":..., "tasks":...}.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "docker/import.hpp"
#include "docker/trouble.hpp"
#include "docker/usage.hpp"
#include "model/strict_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = swarmplan::model::ParseStrictJson(text);
  if (!j || !j->is_object()) return 0;
  swarmplan::docker::ApiState st;
  auto take = [&](const char* key, nlohmann::json& out) {
    if (j->contains(key)) out = (*j)[key];
  };
  take("info", st.info);
  take("nodes", st.nodes);
  take("networks", st.networks);
  take("services", st.services);
  take("tasks", st.tasks);
  (void)swarmplan::docker::ImportScenario(st);
  (void)swarmplan::docker::CountUsage(st);
  (void)swarmplan::docker::ReadTrouble(st);
  return 0;
}

// The Compose reader: never crashes on any text (YAML, anchors, merge keys,
// interpolation), and a stack it accepts lands on the cluster as a scenario
// that validates, with a plan that ends in "wait".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compose/stack.hpp"
#include "model/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const swarmplan::model::Scenario cluster = [] {
    swarmplan::model::Scenario s;
    s.name = "fuzz";
    for (int i = 0; i < 3; ++i) {
      swarmplan::model::NodeSpec n;
      n.name = "n" + std::to_string(i);
      n.role = i == 0 ? swarmplan::model::Role::kManager : swarmplan::model::Role::kWorker;
      n.engine = {20, 10};
      s.nodes.push_back(n);
    }
    s.ingress = *swarmplan::model::Ipv4Cidr::Parse("10.0.0.0/24");
    s.networks.push_back({"shared", *swarmplan::model::Ipv4Cidr::Parse("10.5.0.0/24"), {}});
    return s;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto st = swarmplan::compose::Deploy(cluster, text, "fuzz.yml", "st", [](const std::string& k) -> std::optional<std::string> {
    if (k == "SET") return std::string("3");
    return std::nullopt;
  });
  if (!st) return 0;
  if (!st->scenario.Validate()) std::abort();
  if (st->order.empty() || st->order.back() != "wait") std::abort();
  return 0;
}

// CIDR and address parsing: never crashes; what parses prints back to
// text that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "model/ipam.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto c = swarmplan::model::Ipv4Cidr::Parse(text)) {
    auto again = swarmplan::model::Ipv4Cidr::Parse(c->ToString());
    if (!again || again->base != c->base || again->prefix != c->prefix) std::abort();
  }
  if (auto ip = swarmplan::model::ParseIpv4(text)) {
    auto again = swarmplan::model::ParseIpv4(swarmplan::model::FormatIpv4(*ip));
    if (!again || *again != *ip) std::abort();
  }
  return 0;
}

// IPv4 CIDR parsing and the per-network address pool of swarm's IPAM.
//
// AddressPool mirrors libnetwork's default IPAM as swarm drives it: the
// network and broadcast addresses are set when the pool is made, the manager
// then takes the gateway, and every later request is served serially: a
// cursor moves forward and wraps, so a freed address is reused only after
// wrap-around (docs/swarm-semantics.md section 2). Not thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmplan::model {

struct Ipv4Cidr {
  std::uint32_t base = 0;  // host order, host bits zero
  int prefix = 0;

  // Accepts "a.b.c.d/n" with 0 < n <= 30 and no host bits set.
  static std::expected<Ipv4Cidr, std::string> Parse(std::string_view text);

  std::uint64_t size() const { return 1ULL << (32 - prefix); }
  std::uint32_t last() const { return base + static_cast<std::uint32_t>(size() - 1); }
  bool Overlaps(const Ipv4Cidr& o) const { return base <= o.last() && o.base <= last(); }
  std::string ToString() const;
  friend bool operator==(const Ipv4Cidr&, const Ipv4Cidr&) = default;
};

std::string FormatIpv4(std::uint32_t addr);
std::expected<std::uint32_t, std::string> ParseIpv4(std::string_view text);

class AddressPool {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  static constexpr int kReserved = 3;  // network, gateway, broadcast

  // REQUIRES: subnet parsed by Ipv4Cidr::Parse (prefix <= 30).
  explicit AddressPool(Ipv4Cidr subnet);

  // Serial allocation: the first free address at or after the cursor,
  // wrapping once. Returns the address' offset in the subnet, or kNone when
  // the pool is exhausted.
  std::uint32_t Allocate();
  // Takes one given address (an allocation made before the run began);
  // false if it is outside the pool or already in use.
  bool Take(std::uint32_t offset);
  // REQUIRES: offset was returned by Allocate and not released since.
  void Release(std::uint32_t offset);
  // A new leader's IPAM starts with a fresh cursor (state is in memory only).
  void ResetCursor() { cursor_ = 0; }

  bool InUse(std::uint32_t offset) const { return (bits_[offset / 64] >> (offset % 64)) & 1U; }
  std::uint64_t capacity() const { return subnet_.size(); }
  std::uint64_t used() const { return used_; }  // includes the reserved three
  std::uint64_t free() const { return capacity() - used_; }
  std::uint64_t peak_used() const { return peak_used_; }
  void ResetPeak() { peak_used_ = used_; }
  std::uint32_t cursor() const { return cursor_; }
  const Ipv4Cidr& subnet() const { return subnet_; }
  std::string Address(std::uint32_t offset) const { return FormatIpv4(subnet_.base + offset); }

 private:
  void Set(std::uint32_t offset);
  Ipv4Cidr subnet_;
  std::vector<std::uint64_t> bits_;
  std::uint64_t used_ = 0;
  std::uint64_t peak_used_ = 0;
  std::uint32_t cursor_ = 0;
};

}  // namespace swarmplan::model

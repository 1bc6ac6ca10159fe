#include "model/ipam.hpp"

#include <bit>
#include <cassert>
#include <charconv>

namespace swarmplan::model {

namespace {
// "text", with quotes (built by appending: GCC 12 warns falsely on
// operator+ chains of string literals, PR105651).
std::string Quote(std::string_view text) {
  std::string q;
  q.reserve(text.size() + 2);
  q += '"';
  q += text;
  q += '"';
  return q;
}
}  // namespace

std::expected<std::uint32_t, std::string> ParseIpv4(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    return std::unexpected(Quote(text) + " is IPv6; swarm overlays here are IPv4");
  }
  std::uint32_t addr = 0;
  std::string_view rest = text;
  for (int i = 0; i < 4; ++i) {
    const auto dot = rest.find('.');
    std::string_view part = rest.substr(0, dot);
    if ((i < 3) != (dot != std::string_view::npos) || part.empty() || part.size() > 3) {
      return std::unexpected(Quote(text) + " is not an IPv4 address");
    }
    unsigned v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size() || v > 255) {
      return std::unexpected(Quote(text) + " is not an IPv4 address");
    }
    addr = (addr << 8) | v;
    rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
  }
  return addr;
}

std::expected<Ipv4Cidr, std::string> Ipv4Cidr::Parse(std::string_view text) {
  const std::string quoted = Quote(text);
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::unexpected("subnet " + quoted + " has no prefix length (write e.g. 10.0.1.0/27)");
  }
  auto addr = ParseIpv4(text.substr(0, slash));
  if (!addr) return std::unexpected("subnet " + quoted + ": " + addr.error());
  std::string_view ps = text.substr(slash + 1);
  int prefix = -1;
  auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), prefix);
  if (ps.empty() || ec != std::errc() || p != ps.data() + ps.size() || prefix < 0 || prefix > 32) {
    return std::unexpected("subnet " + quoted + " has a bad prefix length (0 to 32)");
  }
  if (prefix > 30) {
    return std::unexpected("subnet " + quoted + " is too small: a /" + std::to_string(prefix) +
                           " has no room for a task after the 3 reserved addresses (use /30 or larger)");
  }
  if (prefix < 8) {
    return std::unexpected("subnet " + quoted + " is larger than a /8, which swarm's IPAM cannot serve");
  }
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  if ((*addr & ~mask) != 0) {
    return std::unexpected("subnet " + quoted + " has host bits set (did you mean " +
                           FormatIpv4(*addr & mask) + "/" + std::to_string(prefix) + "?)");
  }
  return Ipv4Cidr{*addr, prefix};
}

std::string Ipv4Cidr::ToString() const { return FormatIpv4(base) + "/" + std::to_string(prefix); }

std::string FormatIpv4(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

AddressPool::AddressPool(Ipv4Cidr subnet) : subnet_(subnet) {
  assert(subnet.prefix <= 30);
  bits_.assign((subnet_.size() + 63) / 64, 0);
  // Network and broadcast are set when the pool is made (libnetwork
  // ipam/allocator.go insertBitMask); the manager then asks for the gateway,
  // the first host address (cnmallocator allocatePools), serially.
  Set(0);
  Set(static_cast<std::uint32_t>(subnet_.size() - 1));
  const std::uint32_t gw = Allocate();
  assert(gw == 1);
  (void)gw;
}

void AddressPool::Set(std::uint32_t offset) {
  bits_[offset / 64] |= std::uint64_t{1} << (offset % 64);
  ++used_;
  if (used_ > peak_used_) peak_used_ = used_;
}

std::uint32_t AddressPool::Allocate() {
  const auto n = static_cast<std::uint32_t>(subnet_.size());
  if (used_ >= n) return kNone;
  // Scan word by word from the cursor to the end, then from 0 (one wrap).
  auto scan = [&](std::uint32_t from, std::uint32_t to) -> std::uint32_t {
    std::uint32_t i = from;
    while (i < to) {
      const std::uint64_t word = ~bits_[i / 64] >> (i % 64);
      if (word != 0) {
        const std::uint32_t hit = i + static_cast<std::uint32_t>(std::countr_zero(word));
        return hit < to ? hit : kNone;
      }
      i = (i / 64 + 1) * 64;
    }
    return kNone;
  };
  std::uint32_t hit = scan(cursor_, n);
  if (hit == kNone) hit = scan(0, cursor_);
  if (hit == kNone) return kNone;
  Set(hit);
  cursor_ = hit + 1 == n ? 0 : hit + 1;
  return hit;
}

bool AddressPool::Take(std::uint32_t offset) {
  if (offset >= subnet_.size() || InUse(offset)) return false;
  Set(offset);
  return true;
}

void AddressPool::Release(std::uint32_t offset) {
  assert(offset < subnet_.size() && InUse(offset));
  bits_[offset / 64] &= ~(std::uint64_t{1} << (offset % 64));
  --used_;
}

}  // namespace swarmplan::model

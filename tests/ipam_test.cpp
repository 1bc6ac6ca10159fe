#include <catch2/catch.hpp>

#include <set>

#include "model/ipam.hpp"
#include "sim/random.hpp"

using namespace swarmplan::model;

TEST_CASE("CIDR parsing accepts IPv4 subnets and names what is wrong", "[unit][ipam]") {
  auto c = Ipv4Cidr::Parse("10.0.0.0/27");
  REQUIRE(c);
  CHECK(c->size() == 32);
  CHECK(c->ToString() == "10.0.0.0/27");
  CHECK(Ipv4Cidr::Parse("10.0.0.0/31").error().find("too small") != std::string::npos);
  CHECK(Ipv4Cidr::Parse("10.0.0.0/32").error().find("too small") != std::string::npos);
  CHECK(Ipv4Cidr::Parse("10.0.0.5/27").error().find("host bits set") != std::string::npos);
  CHECK(Ipv4Cidr::Parse("10.0.0.5/27").error().find("10.0.0.0/27") != std::string::npos);
  CHECK(Ipv4Cidr::Parse("fd00::/64").error().find("IPv6") != std::string::npos);
  CHECK_FALSE(Ipv4Cidr::Parse("10.0.0.0"));
  CHECK_FALSE(Ipv4Cidr::Parse("10.0.0/24"));
  CHECK_FALSE(Ipv4Cidr::Parse("10.0.0.256/24"));
  CHECK_FALSE(Ipv4Cidr::Parse("10.0.0.0/33"));
  CHECK_FALSE(Ipv4Cidr::Parse("10.0.0.0/-1"));
  CHECK_FALSE(Ipv4Cidr::Parse("10.0.0.0/2x"));
  CHECK_FALSE(Ipv4Cidr::Parse(""));
}

TEST_CASE("overlap checks", "[unit][ipam]") {
  const auto a = *Ipv4Cidr::Parse("10.0.0.0/24");
  CHECK(a.Overlaps(*Ipv4Cidr::Parse("10.0.0.0/27")));
  CHECK(a.Overlaps(*Ipv4Cidr::Parse("10.0.0.224/27")));
  CHECK_FALSE(a.Overlaps(*Ipv4Cidr::Parse("10.0.1.0/27")));
  CHECK(Ipv4Cidr::Parse("10.0.0.0/8")->Overlaps(*Ipv4Cidr::Parse("10.200.0.0/16")));
}

TEST_CASE("a /27 pool: 3 reserved - serial cursor - wrap", "[unit][ipam]") {
  AddressPool p(*Ipv4Cidr::Parse("10.10.0.0/27"));
  CHECK(p.capacity() == 32);
  CHECK(p.used() == 3);  // network, gateway, broadcast
  CHECK(p.InUse(0));
  CHECK(p.InUse(1));
  CHECK(p.InUse(31));
  // The first allocation is .2 (observed on Docker 20.10 for a VIP).
  const auto first = p.Allocate();
  CHECK(p.Address(first) == "10.10.0.2");
  std::vector<std::uint32_t> got{first};
  for (int i = 0; i < 28; ++i) got.push_back(p.Allocate());
  CHECK(got.back() == 30);
  CHECK(p.Allocate() == AddressPool::kNone);
  CHECK(p.free() == 0);
  // A freed address is reused only after the cursor wraps.
  p.Release(5);
  p.Release(9);
  CHECK(p.Allocate() == 5);
  CHECK(p.Allocate() == 9);
  p.Release(20);
  p.Release(3);
  CHECK(p.Allocate() == 20);  // the cursor sits after 9: 20 comes before 3
  CHECK(p.Allocate() == 3);
}

TEST_CASE("serial allocation never reuses a freed address before the others", "[unit][ipam]") {
  AddressPool p(*Ipv4Cidr::Parse("10.1.0.0/24"));
  const auto a = p.Allocate();  // .2
  const auto b = p.Allocate();  // .3
  p.Release(a);
  CHECK(p.Allocate() == b + 1);  // not a
  p.ResetCursor();               // a new leader starts at 0
  CHECK(p.Allocate() == a);
}

TEST_CASE("pool agrees with a std::set model under random use", "[unit][ipam]") {
  swarmplan::sim::Rng rng(3);
  AddressPool p(*Ipv4Cidr::Parse("10.2.0.0/25"));
  std::set<std::uint32_t> used{0, 1, 127};
  for (int i = 0; i < 20000; ++i) {
    if (rng.Chance(1, 2) && used.size() > 3) {
      auto it = used.begin();
      std::advance(it, static_cast<long>(rng.Below(used.size())));
      if (*it == 0 || *it == 1 || *it == 127) continue;
      p.Release(*it);
      used.erase(it);
    } else {
      const auto got = p.Allocate();
      if (used.size() == 128) {
        CHECK(got == AddressPool::kNone);
      } else {
        REQUIRE(got != AddressPool::kNone);
        CHECK(used.insert(got).second);
      }
    }
    REQUIRE(p.used() == used.size());
  }
}

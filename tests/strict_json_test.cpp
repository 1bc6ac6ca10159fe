// model/strict_json: the parser and file reader every input goes through.
#include <catch2/catch.hpp>

#include <string>

#include "model/strict_json.hpp"

using namespace swarmplan;

TEST_CASE("strict JSON: duplicate keys - deep nesting and huge numbers are errors", "[unit][safety]") {
  auto dup = model::ParseStrictJson(R"({"nodes":[{"name":"a","name":"b"}]})");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().find("/nodes/0: key \"name\" appears twice") != std::string::npos);
  auto top = model::ParseStrictJson(R"({"a":1,"a":2})");
  REQUIRE_FALSE(top);
  CHECK(top.error().find("the document: key \"a\"") != std::string::npos);
  // The same key in two objects is fine.
  CHECK(model::ParseStrictJson(R"({"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]})"));
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto d = model::ParseStrictJson(deep);
  REQUIRE_FALSE(d);
  CHECK(d.error().find("nesting deeper than") != std::string::npos);
  CHECK(model::ParseStrictJson(std::string(60, '[') + std::string(60, ']')));
  auto big = model::ParseStrictJson(R"({"replicas": 1e400})");
  REQUIRE_FALSE(big);
  CHECK(big.error().find("malformed JSON") != std::string::npos);
  CHECK(big.error().find("1e400") != std::string::npos);
}

TEST_CASE("input files: directories and endless sources are refused", "[unit][safety]") {
  auto dir = model::ReadInputFile("/tmp", 1 << 20, "scenario file");
  REQUIRE_FALSE(dir);
  CHECK(dir.error() == "/tmp: is a directory, not a scenario file");
  auto zero = model::ReadInputFile("/dev/zero", 1 << 20, "scenario file");
  REQUIRE_FALSE(zero);
  CHECK(zero.error().find("larger than 1 MiB") != std::string::npos);
  auto missing = model::ReadInputFile("/nonexistent/x.json", 1 << 20, "scenario file");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("cannot open the scenario file") != std::string::npos);
}

// Loading a Compose file as docker's loader does (cli/compose/loader):
// the YAML read with its anchors, aliases and merge keys resolved, every
// value interpolated once ($VAR, ${VAR:-default}, $$), duplicate keys and
// text that is not UTF-8 refused, and the scalars read by docker's rules
// (YAML numbers, Go durations, byte sizes). Internal to compose/.
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <expected>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "compose/stack.hpp"
#include "model/try.hpp"
#include "sim/time.hpp"

namespace swarmplan::compose::detail {

// The tag InterpolateTree gives a value it changed.
inline constexpr const char* kInterpolatedTag = "!swarmplan-interpolated";

// Go's strconv.Atoi: an optional sign and decimal digits.
std::optional<long double> DecimalInt(const std::string& s);
// A plain YAML 1.1 number as docker's YAML library reads one.
std::optional<long double> YamlNumber(const std::string& s);

class Reader {
 public:
  Reader(std::string file, Environment env) : file_(std::move(file)), env_(std::move(env)) {}

  std::vector<std::string>& notes() { return notes_; }
  std::optional<std::string> Lookup(const std::string& name) const { return env_ ? env_(name) : std::nullopt; }

  std::unexpected<std::string> Err(const std::string& path, const std::string& what) const {
    return std::unexpected(file_ + ": " + path + ": " + what);
  }
  std::unexpected<std::string> Err(const YAML::Node& n, const std::string& path, const std::string& what) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return Err(path, what);
    return std::unexpected(file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " +
                           path + ": " + what);
  }

  // A scalar (interpolated already, by InterpolateTree).
  std::expected<std::string, std::string> Str(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) return Err(n, path, "expected a single value");
    return n.Scalar();
  }

  // Every value of the file with its variables interpolated, in place, as
  // docker's loader does before it reads any field (keys stay as written).
  std::expected<void, std::string> InterpolateTree(YAML::Node n, const std::string& path, int depth = 0) {
    // Aliases share nodes: a file of aliases of aliases expands
    // exponentially. docker's loader would take that long; this stops.
    if (++visited_ > 1'000'000) return Err(n, path, "the file expands (through aliases) to over a million values");
    if (depth > 250) return Err(n, path, "nested over 250 deep");
    if (n.IsScalar()) {
      // A value reached twice (an alias, a merge key's mapping) is
      // interpolated once, as docker interpolates the parsed document:
      // "$$HOME" through <<: *c stays "$HOME".
      const YAML::Mark m = n.Mark();
      if (!m.is_null() && !interpolated_.insert(m.pos).second) return {};
      auto v = SWARMPLAN_TRY(Interpolate(n.Scalar(), n, path));
      if (v != n.Scalar()) {
        n = v;
        n.SetTag(kInterpolatedTag);  // docker casts a value it interpolated (Uint)
      }
      return {};
    }
    if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i) {
        if (auto ok = InterpolateTree(n[i], path + "[" + std::to_string(i) + "]", depth + 1); !ok) return ok;
      }
    } else if (n.IsMap()) {
      for (auto kv : n) {
        const std::string k = kv.first.Scalar();
        if (auto ok = InterpolateTree(kv.second, path.empty() ? k : path + "." + k, depth + 1); !ok) return ok;
      }
    }
    return {};
  }
  // A whole number as docker reads one: a plain YAML value as YAML does
  // (024 is octal 20, 0x18, 0o30, 1_0, +24, and 24.0 or 1e1 as the
  // integers they are); a value that interpolation changed, as a decimal
  // (docker casts it with strconv.Atoi); a quoted number is a string, which
  // docker's schema refuses.
  std::expected<std::uint64_t, std::string> Uint(const YAML::Node& n, const std::string& path, std::uint64_t hi) {
    auto s = SWARMPLAN_TRY(Str(n, path));
    const std::string tag = n.Tag();
    const bool cast = tag == kInterpolatedTag;
    if (!cast && tag == "!") {
      return Err(n, path, "expected a whole number, not the quoted string \"" + s + "\" (docker refuses a quoted number)");
    }
    const std::optional<long double> v = cast ? DecimalInt(s) : YamlNumber(s);
    if (!v || *v < 0 || *v != std::floor(*v) || *v > static_cast<long double>(hi)) {
      return Err(n, path, "expected a whole number from 0 to " + std::to_string(hi) + ", not \"" + s + "\"");
    }
    return static_cast<std::uint64_t>(*v);
  }
  std::expected<double, std::string> Number(const YAML::Node& n, const std::string& path) {
    auto s = SWARMPLAN_TRY(Str(n, path));
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0) {
      return Err(n, path, "expected a number, not \"" + s + "\"");
    }
    return v;
  }
  std::expected<bool, std::string> Bool(const YAML::Node& n, const std::string& path) {
    auto s = SWARMPLAN_TRY(Str(n, path));
    std::string l = s;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    if (l == "true" || l == "yes" || l == "on") return true;
    if (l == "false" || l == "no" || l == "off") return false;
    return Err(n, path, "expected true or false, not \"" + s + "\"");
  }
  // A Go duration ("1m30s", "500ms", "10s"), as docker's loader reads them.
  std::expected<sim::Time, std::string> Duration(const YAML::Node& n, const std::string& path) {
    auto s = SWARMPLAN_TRY(Str(n, path));
    const std::string& t = s;
    if (t == "0") return 0;
    double total = 0;
    std::size_t i = 0;
    while (i < t.size()) {
      std::size_t j = i;
      while (j < t.size() && (std::isdigit(static_cast<unsigned char>(t[j])) || t[j] == '.')) ++j;
      double v = 0;
      auto [p, ec] = std::from_chars(t.data() + i, t.data() + j, v);
      if (j == i || ec != std::errc() || p != t.data() + j) break;
      std::size_t k = j;
      while (k < t.size() && !std::isdigit(static_cast<unsigned char>(t[k])) && t[k] != '.') ++k;
      const std::string unit = t.substr(j, k - j);
      const double us = unit == "h" ? 3600e6 : unit == "m" ? 60e6 : unit == "s" ? 1e6 : unit == "ms" ? 1e3
                      : unit == "us" || unit == "\u00b5s" ? 1 : unit == "ns" ? 1e-3 : -1;
      if (us < 0) return Err(n, path, "\"" + t + "\" is not a duration (units: h, m, s, ms, us, ns; e.g. 1m30s)");
      total += v * us;
      i = k;
    }
    if (i != t.size() || t.empty()) return Err(n, path, "\"" + t + "\" is not a duration (e.g. 10s, 1m30s, 500ms)");
    if (total > 365.0 * 24 * 3600e6) return Err(n, path, "\"" + t + "\" is longer than a year");
    return static_cast<sim::Time>(std::llround(total));
  }
  // docker's units.RAMInBytes: 512m, 1g, 1.5GB, 1024 (bytes).
  std::expected<std::int64_t, std::string> Bytes(const YAML::Node& n, const std::string& path) {
    auto s = SWARMPLAN_TRY(Str(n, path));
    std::string t = s;
    std::size_t j = 0;
    while (j < t.size() && (std::isdigit(static_cast<unsigned char>(t[j])) || t[j] == '.')) ++j;
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + j, v);
    std::string unit = t.substr(j);
    while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();
    const std::string units = "kmgtp";
    double mult = 1;
    if (unit.size() == 1 && units.find(unit[0]) != std::string::npos) {
      mult = std::pow(1024.0, static_cast<double>(units.find(unit[0]) + 1));
    } else if (!unit.empty()) {
      j = 0;
    }
    if (j == 0 || ec != std::errc() || p != t.data() + j || v * mult > 9.0e18) {
      return Err(n, path, "\"" + t + "\" is not a size (e.g. 512M, 1G, 1048576)");
    }
    return static_cast<std::int64_t>(v * mult);
  }

  // The keys of a mapping, checked against the known ones (x-* allowed).
  std::expected<void, std::string> Keys(const YAML::Node& n, const std::string& path,
                                        const std::set<std::string>& known) {
    if (!n.IsMap()) return Err(n, path, "expected a mapping");
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      if (k.rfind("x-", 0) == 0) continue;
      if (!known.contains(k)) return Err(kv.first, path + "." + k, "unknown field (not in docker's Compose schema for a stack)");
    }
    return {};
  }

 private:
  std::expected<std::string, std::string> Interpolate(const std::string& in, const YAML::Node& n,
                                                      const std::string& path) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '$') {
        out += in[i];
        continue;
      }
      if (i + 1 < in.size() && in[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      // docker's pattern (cli/compose/template): after a $, a name
      // [_A-Za-z][_A-Za-z0-9]* and, braced or not, an optional operator
      // (:- - :? ?) whose argument runs to the next } (or the end of the
      // value): "$HOME-dir" is ${HOME-dir}. Anything else after a $ is an
      // invalid format.
      std::string name, op, arg;
      const bool braced = i + 1 < in.size() && in[i + 1] == '{';
      std::size_t k = i + (braced ? 2 : 1);
      auto name_char = [&](std::size_t at, bool first) {
        const unsigned char c = static_cast<unsigned char>(in[at]);
        return c == '_' || (c < 0x80 && std::isalpha(c)) || (!first && c < 0x80 && std::isdigit(c));
      };
      if (k < in.size() && name_char(k, true)) {
        const std::size_t b = k;
        while (k < in.size() && name_char(k, false)) ++k;
        name = in.substr(b, k - b);
        for (const char* o : {":-", ":?", "-", "?"}) {
          if (in.compare(k, std::strlen(o), o) == 0) {
            op = o;
            k += op.size();
            const std::size_t e = std::min(in.find('}', k), in.size());
            arg = in.substr(k, e - k);
            k = e;
            break;
          }
        }
      }
      if (name.empty() || (braced && (k >= in.size() || in[k] != '}'))) {
        return Err(n, path, "invalid interpolation format in \"" + in + "\" (docker refuses it; write $$ for a $)");
      }
      i = braced ? k : k - 1;
      const std::optional<std::string> v = Lookup(name);
      const bool empty = !v || v->empty();
      if (op == ":-" && empty) { out += arg; continue; }
      if (op == "-" && !v) { out += arg; continue; }
      if ((op == ":?" && empty) || (op == "?" && !v)) {
        return Err(n, path, "required variable " + name + " is missing a value" + (arg.empty() ? "" : ": " + arg));
      }
      if (!v) {
        const std::string note = "the " + name + " variable is not set: a blank string was used";
        if (std::find(notes_.begin(), notes_.end(), note) == notes_.end()) notes_.push_back(note);
      }
      out += v.value_or("");
    }
    return out;
  }

  std::string file_;
  Environment env_;
  std::vector<std::string> notes_;
  std::uint64_t visited_ = 0;
  std::set<int> interpolated_;  // the file offsets of the values interpolated already
};

// Flow collections nested deeper than any Compose file needs ("[[[[..."):
// refused before the YAML parser recurses into them.
bool NestedTooDeeply(const std::string& yaml);
// A key given twice in one mapping anywhere: an error naming both lines.
std::expected<void, std::string> CheckDuplicateKeys(const YAML::Node& n, const std::string& file, const std::string& path,
                                                    std::uint64_t& budget, int depth = 0);
struct MergeError {
  YAML::Mark mark;
};
// Resolves merge keys (<<) in place; false past `budget` values; throws
// MergeError where a merge key's value is not a mapping.
bool ResolveMerges(YAML::Node n, std::uint64_t& budget, int depth = 0);
// What is wrong with the file's text (not UTF-8, a NUL), or "".
std::string TextProblem(const std::string& t);

}  // namespace swarmplan::compose::detail

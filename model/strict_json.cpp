#include "model/strict_json.hpp"

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace swarmplan::model {

using nlohmann::json;

namespace {

// Where the parser is: one entry per open object or array.
struct Frame {
  bool object = false;
  std::size_t index = 0;  // arrays: the next element's index
  std::string key;        // objects: the key being read
  std::set<std::string> keys;
};

std::string Pointer(const std::vector<Frame>& stack) {
  std::string p;
  for (std::size_t i = 0; i + 1 < stack.size(); ++i) {
    const Frame& f = stack[i];
    p += "/" + (f.object ? f.key : std::to_string(f.index == 0 ? 0 : f.index - 1));
  }
  return p;
}

}  // namespace

std::expected<json, std::string> ParseStrictJson(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return std::unexpected("the JSON text is larger than " + std::to_string(max_bytes >> 20) + " MiB");
  }
  std::vector<Frame> stack;
  std::string problem;
  // Counts an element of the enclosing array when a value starts.
  auto value_starts = [&] {
    if (!stack.empty() && !stack.back().object) ++stack.back().index;
  };
  const json::parser_callback_t cb = [&](int /*depth*/, json::parse_event_t ev, json& parsed) -> bool {
    if (!problem.empty()) return false;
    switch (ev) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        value_starts();
        stack.push_back(Frame{ev == json::parse_event_t::object_start, 0, {}, {}});
        if (static_cast<int>(stack.size()) > kMaxJsonDepth) {
          problem = "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels at " +
                    (Pointer(stack).empty() ? "the top" : Pointer(stack));
          throw std::runtime_error(problem);
        }
        break;
      case json::parse_event_t::key: {
        Frame& f = stack.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second) {
          const std::string where = Pointer(stack);  // the object holding the key
          problem = (where.empty() ? "the document" : where) + ": key \"" + f.key + "\" appears twice";
          throw std::runtime_error(problem);
        }
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack.pop_back();
        break;
      case json::parse_event_t::value:
        value_starts();
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), cb);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    return std::unexpected("malformed JSON: " + what);
  } catch (const json::out_of_range& e) {
    // 406: a number too large for a double ("1e400").
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return std::unexpected("malformed JSON: " + what);
  } catch (const json::exception& e) {
    return std::unexpected(std::string("malformed JSON: ") + e.what());
  } catch (const std::runtime_error&) {
    return std::unexpected(problem);
  }
}

std::expected<std::string, std::string> ReadInputFile(const std::string& path, std::size_t max_bytes,
                                                      const std::string& what) {
  // O_NONBLOCK: opening a FIFO that no process writes must not wait for one.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return std::unexpected(path + ": cannot open the " + what + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return std::unexpected(path + ": cannot read the " + what + ": " + std::strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return std::unexpected(path + ": is a directory, not a " + what);
  }
  // A regular file is read as usual. Anything else (a pipe, process
  // substitution <(...), a FIFO, a device) is read with a time-out between
  // chunks, so a FIFO nobody writes to, or a writer that stops without
  // closing, is an error rather than a wait for ever; the size bound keeps
  // an endless source (/dev/zero) from being read for ever.
  const bool regular = S_ISREG(st.st_mode);
  if (regular) ::fcntl(fd, F_SETFL, O_RDONLY);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    if (!regular) {
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, kInputIdleTimeoutMs);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        ::close(fd);
        return std::unexpected(path + ": nothing came from this " + what + " (a FIFO, pipe or device, not a file) for " +
                               std::to_string(kInputIdleTimeoutMs / 1000) + " s; give a regular file");
      }
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      const int e = errno;
      ::close(fd);
      return std::unexpected(path + ": cannot read the " + what + ": " + std::strerror(e));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      return std::unexpected(path + ": the " + what + " is larger than " + std::to_string(max_bytes >> 20) +
                             " MiB; is it the right file?");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace swarmplan::model

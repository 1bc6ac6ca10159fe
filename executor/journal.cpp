#include "executor/journal.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace swarmplan::executor {

namespace {
constexpr const char* kHeader = "swarmplan-journal 1 plan ";
}

std::string Fingerprint(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::expected<Journal, std::string> Journal::Open(const std::string& path, const std::string& fingerprint) {
  Journal j;
  j.path_ = path;
  std::ifstream in(path);
  std::string header;
  if (in && std::getline(in, header)) {
    if (header != kHeader + fingerprint) {
      return std::unexpected(header.rfind(kHeader, 0) == 0
                                 ? path + ": this journal belongs to another plan (apply that plan, or start a new journal)"
                                 : path + ": not a swarmplan journal");
    }
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string word;
      std::size_t step = 0;
      if (ls >> word >> step && word == "done") {
        j.done_.insert(step);
      } else if (in.peek() != EOF) {
        return std::unexpected(path + ": malformed line \"" + line + "\"");
      }
      // A torn last line (killed while writing) is ignored: that step was
      // not recorded as done, so it is done again.
    }
    return j;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return std::unexpected(path + ": cannot create the journal: " + std::strerror(errno));
  const std::string line = std::string(kHeader) + fingerprint + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return std::unexpected(path + ": cannot write the journal");
  return j;
}

std::expected<void, std::string> Journal::Record(std::size_t step, const std::string& text) {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) return std::unexpected(path_ + ": cannot open the journal: " + std::strerror(errno));
  const std::string line = "done " + std::to_string(step) + " " + text + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return std::unexpected(path_ + ": cannot write the journal");
  done_.insert(step);
  return {};
}

}  // namespace swarmplan::executor

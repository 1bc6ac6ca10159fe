#include "executor/journal.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "model/strict_json.hpp"

namespace swarmplan::executor {

namespace {

constexpr const char* kMagic = "swarmplan-journal ";
constexpr std::size_t kMaxJournalBytes = 16u << 20;

std::string Header(const JournalKey& k) {
  return std::string(kMagic) + "2 plan " + k.plan_fingerprint + " steps " + std::to_string(k.steps) + " executor " +
         k.executor + " cluster " + k.cluster;
}

// Writes all of `data` and syncs it; false on any failure.
bool WriteAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return ::fsync(fd) == 0;
}

// The value of `word` in a header ("executor docker ..."), or "".
std::string Field(const std::string& header, const std::string& word) {
  const std::string key = " " + word + " ";
  const auto p = header.find(key);
  if (p == std::string::npos) return {};
  const auto b = p + key.size();
  return header.substr(b, header.find(' ', b) - b);
}

}  // namespace

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

std::expected<Journal, std::string> Journal::Open(const std::string& path, const JournalKey& key) {
  Journal j;
  j.path_ = path;
  j.steps_ = key.steps;
  const std::string want = Header(key);
  if (::access(path.c_str(), F_OK) == 0) {
    auto text = model::ReadInputFile(path, kMaxJournalBytes, "journal");
    if (!text) return std::unexpected(text.error());
    if (!text->empty()) {
      std::vector<std::string> lines;
      std::size_t start = 0;
      while (start < text->size()) {
        const auto nl = text->find('\n', start);
        if (nl == std::string::npos) {
          j.torn_ = true;  // the last line was cut short
          lines.push_back(text->substr(start));
          break;
        }
        lines.push_back(text->substr(start, nl - start));
        start = nl + 1;
      }
      for (std::string& l : lines) {
        if (!l.empty() && l.back() == '\r') l.pop_back();
      }
      const std::string& header = lines.front();
      if (header.rfind(kMagic, 0) != 0) return std::unexpected(path + ": not a swarmplan journal");
      if (lines.size() == 1 && j.torn_) {
        // Killed while writing the header: nothing was done yet.
        if (want.rfind(header, 0) != 0) return std::unexpected(path + ": not a swarmplan journal (its header is cut short)");
      } else if (header != want) {
        if (header.rfind(std::string(kMagic) + "2 ", 0) != 0) {
          return std::unexpected(path + ": a journal of an older swarmplan; start a new journal");
        }
        if (Field(header, "plan") != key.plan_fingerprint || Field(header, "steps") != std::to_string(key.steps)) {
          return std::unexpected(path + ": this journal belongs to another plan (apply that plan, or start a new journal)");
        }
        if (Field(header, "executor") != key.executor) {
          return std::unexpected(path + ": this journal records a run of --executor " + Field(header, "executor") +
                                 ", not " + key.executor + "; its steps were not done here: start a new journal");
        }
        return std::unexpected(path + ": this journal records a run on cluster " + Field(header, "cluster") +
                               ", not " + key.cluster + ": start a new journal");
      }
      for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        const bool last_torn = j.torn_ && i + 1 == lines.size();
        if (last_torn) break;  // not a record: that step is done again
        std::size_t step = 0;
        const char* b = line.data() + 5;
        const char* e = line.data() + line.size();
        const bool prefix = line.rfind("done ", 0) == 0;
        auto [p, ec] = prefix ? std::from_chars(b, e, step) : std::from_chars_result{b, std::errc::invalid_argument};
        if (!prefix || ec != std::errc() || (p != e && *p != ' ')) {
          return std::unexpected(path + ": line " + std::to_string(i + 1) + " is not a record: \"" + line + "\"");
        }
        if (step >= key.steps) {
          return std::unexpected(path + ": line " + std::to_string(i + 1) + " records step " + std::to_string(step) +
                                 ", but the plan has " + std::to_string(key.steps) + " steps (0 to " +
                                 std::to_string(key.steps - 1) + ")");
        }
        j.done_.insert(step);
      }
      if (!(lines.size() == 1 && j.torn_)) return j;
    }
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return std::unexpected(path + ": cannot create the journal: " + std::strerror(errno));
  const bool ok = WriteAll(fd, want + "\n");
  ::close(fd);
  if (!ok) return std::unexpected(path + ": cannot write the journal");
  j.torn_ = false;
  return j;
}

std::expected<void, std::string> Journal::Record(std::size_t step, const std::string& text) {
  if (step >= steps_) return std::unexpected(path_ + ": step " + std::to_string(step) + " is not in the plan");
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return std::unexpected(path_ + ": cannot open the journal: " + std::strerror(errno));
  std::string line = "done " + std::to_string(step) + " " + text + "\n";
  if (torn_) line = "\n" + line;
  const bool ok = WriteAll(fd, line);
  ::close(fd);
  // After a failed write the file may end in a partial line: the next
  // record (of this process or of a resume) starts on a new line.
  torn_ = !ok;
  if (!ok) return std::unexpected(path_ + ": cannot write the journal: " + std::strerror(errno));
  done_.insert(step);
  return {};
}

}  // namespace swarmplan::executor

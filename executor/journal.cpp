#include "executor/journal.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace swarmplan::executor {

namespace {

constexpr const char* kMagic = "swarmplan-journal ";
// The format this swarmplan writes, first, then the older ones it resumes.
constexpr int kVersions[] = {4, 3, 2};
constexpr std::size_t kMaxJournalBytes = 16u << 20;
constexpr off_t kNameLockAt = off_t{1} << 40;  // the byte whose process lock names the holder

std::string Header(const JournalKey& k, int version) {
  return std::string(kMagic) + std::to_string(version) + " plan " + k.plan_fingerprint + " steps " +
         std::to_string(k.steps) + " executor " + k.executor + " cluster " + k.cluster;
}

// Writes all of `data` and syncs it; false (errno set) on any failure.
bool WriteAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
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

// "pid 123 (swarmplan apply --journal j)": who holds a lock, for a person.
std::string Holder(pid_t pid) {
  std::string who = "pid " + std::to_string(pid);
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!cmd.empty() && cmd.back() == '\0') cmd.pop_back();
  for (char& c : cmd) {
    if (c == '\0') c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  if (cmd.size() > 200) cmd = cmd.substr(0, 200) + "...";
  if (!cmd.empty()) who += " (" + cmd + ")";
  return who;
}

std::unexpected<std::string> Errno(const std::string& path, const char* what) {
  return std::unexpected(path + ": " + what + ": " + std::strerror(errno));
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

Journal::Journal(Journal&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), steps_(o.steps_), torn_(o.torn_), version_(o.version_),
      begun_(std::move(o.begun_)), done_(std::move(o.done_)), memos_(std::move(o.memos_)) {
  o.fd_ = -1;
}

Journal& Journal::operator=(Journal&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    steps_ = o.steps_;
    torn_ = o.torn_;
    version_ = o.version_;
    begun_ = std::move(o.begun_);
    done_ = std::move(o.done_);
    memos_ = std::move(o.memos_);
    o.fd_ = -1;
  }
  return *this;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::size_t Journal::in_doubt() const {
  std::size_t n = 0;
  for (std::size_t s : begun_) n += done_.contains(s) ? 0 : 1;
  return n;
}

std::expected<Journal, std::string> Journal::Open(const std::string& path, const JournalKey& key) {
  Journal j;
  j.path_ = path;
  j.steps_ = key.steps;
  const std::string want = Header(key, kVersions[0]);
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  j.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
  if (j.fd_ < 0) {
    if (errno == EISDIR) return std::unexpected(path + ": is a directory, not a journal");
    return Errno(path, "cannot open the journal");
  }
  struct stat st {};
  if (::fstat(j.fd_, &st) != 0) return Errno(path, "cannot read the journal");
  if (!S_ISREG(st.st_mode)) {
    return std::unexpected(path + ": is not a regular file (a FIFO, device or socket); a journal must be a file");
  }
  if (::fcntl(j.fd_, F_SETFL, O_RDWR | O_APPEND) != 0) return Errno(path, "cannot use the journal");
  // One run at a time: an open-file-description lock on byte 0 decides
  // (it conflicts within one process too, and closing another descriptor
  // of the file never drops it); a process lock far past the end names the
  // holder (F_GETLK reports a process lock's pid, never an OFD lock's).
  struct flock lk {};
  lk.l_type = F_WRLCK;
  lk.l_whence = SEEK_SET;
  lk.l_start = 0;
  lk.l_len = 1;
  if (::fcntl(j.fd_, F_OFD_SETLK, &lk) != 0) {
    if (errno != EACCES && errno != EAGAIN) return Errno(path, "cannot lock the journal");
    struct flock who {};
    who.l_type = F_WRLCK;
    who.l_whence = SEEK_SET;
    who.l_start = kNameLockAt;
    who.l_len = 1;
    const bool known = ::fcntl(j.fd_, F_GETLK, &who) == 0 && who.l_type != F_UNLCK && who.l_pid > 0;
    return std::unexpected(path + ": another apply is running on this journal: " +
                           (known ? Holder(who.l_pid) : std::string("a process")) +
                           " holds it; wait for it to end, or stop it (Ctrl-C, or kill -INT " +
                           (known ? std::to_string(who.l_pid) : std::string("its pid")) + ") and run again");
  }
  struct flock name {};
  name.l_type = F_WRLCK;
  name.l_whence = SEEK_SET;
  name.l_start = kNameLockAt;
  name.l_len = 1;
  ::fcntl(j.fd_, F_SETLK, &name);  // best effort: only for naming
  if (static_cast<std::uint64_t>(st.st_size) > kMaxJournalBytes) {
    return std::unexpected(path + ": the journal is larger than 16 MiB; is it the right file?");
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::pread(j.fd_, text.data() + got, text.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(path, "cannot read the journal");
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  if (!text.empty()) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
      const auto nl = text.find('\n', start);
      if (nl == std::string::npos) {
        j.torn_ = true;  // the last line was cut short
        lines.push_back(text.substr(start));
        break;
      }
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    for (std::string& l : lines) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
    }
    const std::string& header = lines.front();
    if (header.rfind(kMagic, 0) != 0) return std::unexpected(path + ": not a swarmplan journal");
    // This plan's header in one of the versions read (0: none); whether it
    // is the start of one (cut short), or of any journal of such a version.
    int version = 0;
    bool cut_short_of_ours = false, known_version = false;
    for (int v : kVersions) {
      if (header == Header(key, v)) version = v;
      cut_short_of_ours = cut_short_of_ours || Header(key, v).rfind(header, 0) == 0;
      known_version = known_version || header.rfind(std::string(kMagic) + std::to_string(v) + " ", 0) == 0;
    }
    if (lines.size() == 1 && j.torn_) {
      // Killed while writing the header: nothing was done yet.
      if (!cut_short_of_ours) return std::unexpected(path + ": not a swarmplan journal (its header is cut short)");
      text.clear();
    } else if (version == 0) {
      if (!known_version) {
        return std::unexpected(path + ": a journal of another swarmplan version; start a new journal");
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
    } else {
      j.version_ = version;
      for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (j.torn_ && i + 1 == lines.size()) break;  // not a record: that step is done again
        const bool is_done = line.rfind("done ", 0) == 0;
        const bool is_begin = line.rfind("begin ", 0) == 0;
        const bool is_memo = version >= 4 && line.rfind("memo ", 0) == 0;
        std::size_t step = 0;
        const char* b = line.data() + (is_begin ? 6 : 5);
        const char* e = line.data() + line.size();
        auto [p, ec] = is_done || is_begin || is_memo ? std::from_chars(b, e, step)
                                                      : std::from_chars_result{b, std::errc::invalid_argument};
        if (ec != std::errc() || (p != e && *p != ' ')) {
          return std::unexpected(path + ": line " + std::to_string(i + 1) + " is not a record: \"" + line + "\"");
        }
        if (step >= key.steps) {
          return std::unexpected(path + ": line " + std::to_string(i + 1) + " records step " + std::to_string(step) +
                                 ", but the plan has " + std::to_string(key.steps) + " steps (0 to " +
                                 std::to_string(key.steps - 1) + ")");
        }
        if (is_memo) {
          if (p == e || p + 1 == e) {
            return std::unexpected(path + ": line " + std::to_string(i + 1) + " is a memo without its text");
          }
          j.memos_.emplace_back(p + 1, e);
          continue;
        }
        (is_done ? j.done_ : j.begun_).insert(step);
      }
    }
  }
  if (text.empty()) {
    if (::ftruncate(j.fd_, 0) != 0) return Errno(path, "cannot write the journal");
    if (!WriteAll(j.fd_, want + "\n")) return Errno(path, "cannot write the journal");
    j.torn_ = false;
    j.version_ = kVersions[0];
  }
  return j;
}

std::expected<void, std::string> Journal::Append(const char* word, std::size_t step, const std::string& text) {
  if (step >= steps_) return std::unexpected(path_ + ": step " + std::to_string(step) + " is not in the plan");
  std::string line = std::string(word) + " " + std::to_string(step) + " " + text;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';  // a name with a line break never splits a record
  }
  line += "\n";
  if (torn_) line = "\n" + line;
  const bool ok = WriteAll(fd_, line);
  // After a failed write the file may end in a partial line: the next
  // record (of this process or of a resume) starts on a new line.
  torn_ = !ok;
  if (!ok) return Errno(path_, "cannot write the journal");
  return {};
}

std::expected<void, std::string> Journal::Begin(std::size_t step, const std::string& text) {
  if (auto ok = Append("begin", step, text); !ok) return ok;
  begun_.insert(step);
  return {};
}

std::expected<void, std::string> Journal::Memo(std::size_t step, const std::string& text) {
  if (version_ < 4) return {};  // an older run's journal: its format has no memos
  return Append("memo", step, text);
}

std::expected<void, std::string> Journal::Record(std::size_t step, const std::string& text) {
  if (auto ok = Append("done", step, text); !ok) return ok;
  done_.insert(step);
  return {};
}

}  // namespace swarmplan::executor

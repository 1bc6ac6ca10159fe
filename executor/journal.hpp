// Journal: the record of an `apply` run's steps, so that a run stopped at
// any point (a signal, a crash, kill -9) resumes where it stopped and never
// repeats a finished drain or upgrade, nor blindly repeats one it was in
// the middle of.
//
// Format (text, one record a line, LF or CRLF):
//   swarmplan-journal 4 plan <fingerprint> steps <N> executor <name> cluster <id>
//   begin <step> <description>      written and synced before the step starts
//   memo <step> <text>              what the executor learned in the step that
//                                   a resumed run needs (Executor::TakeMemos)
//   done <step> <description>       written and synced once it finished
// A step begun and not done is "in doubt": the run stopped inside it, and
// whether it took effect is for the cluster to say (apply reads the node's
// state before it redoes, skips or stops; executor/apply.hpp). Version 3
// journals (no memos) and version 2 ones (done records only) are read as
// before; a resumed journal keeps its version, and memos are written only
// to a version 4 one (an older swarmplan would refuse the line).
// The header binds the journal to one plan, one executor and one cluster:
// a journal written by a rehearsal (--executor sim) or for another swarm is
// refused, never taken as "already done". A last line without its newline
// (the process died while writing it) is not a record, and the next record
// starts on a line of its own.
//
// One run at a time: Open takes an exclusive lock (fcntl) on the file and
// holds it until the Journal is destroyed or the process ends, however it
// ends; a second Open, from this process or another, is refused and names
// the process holding it. Only a regular file can be a journal (a FIFO or a
// device is refused, never opened for reading). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <set>
#include <string>
#include <vector>

namespace swarmplan::executor {

// What a journal belongs to.
struct JournalKey {
  std::string plan_fingerprint;  // Fingerprint() of the plan's words
  std::size_t steps = 0;         // the plan's number of steps
  std::string executor;          // "docker", "sim"
  std::string cluster;           // the executor's cluster_id()
};

class Journal {
 public:
  // Opens (creating if needed) the journal at `path` for `key` and locks it.
  // Fails, with the path and the reason, if another process holds it, if
  // the file belongs to another plan, executor or cluster, or holds a line
  // that is not a record of this plan.
  static std::expected<Journal, std::string> Open(const std::string& path, const JournalKey& key);

  Journal(Journal&& o) noexcept;
  Journal& operator=(Journal&& o) noexcept;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  bool Done(std::size_t step) const { return done_.contains(step); }
  // Begun and not done: the run stopped inside the step.
  bool InDoubt(std::size_t step) const { return begun_.contains(step) && !done_.contains(step); }
  std::size_t finished() const { return done_.size(); }
  std::size_t in_doubt() const;
  // Append "begin <step> <text>" / "done <step> <text>" and sync it.
  // REQUIRES: step < the key's steps.
  std::expected<void, std::string> Begin(std::size_t step, const std::string& text);
  std::expected<void, std::string> Record(std::size_t step, const std::string& text);
  // Appends "memo <step> <text>" and syncs it (nothing in an older
  // journal, which cannot hold one).
  std::expected<void, std::string> Memo(std::size_t step, const std::string& text);
  // The memos read at Open, in the order written.
  const std::vector<std::string>& memos() const { return memos_; }

 private:
  Journal() = default;
  std::expected<void, std::string> Append(const char* word, std::size_t step, const std::string& text);

  std::string path_;
  int fd_ = -1;  // open, locked, O_APPEND
  std::size_t steps_ = 0;
  bool torn_ = false;  // the file ends without a newline: start the next record on a new line
  int version_ = 4;    // the header's: 4 for a journal this swarmplan started
  std::set<std::size_t> begun_, done_;
  std::vector<std::string> memos_;
};

// A stable fingerprint of a plan's text (FNV-1a, hex).
std::string Fingerprint(const std::string& text);

}  // namespace swarmplan::executor

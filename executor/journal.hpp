// Journal: the record of an `apply` run's finished steps, so that a run
// stopped at any point (even by kill -9) resumes where it stopped and never
// repeats a finished drain or upgrade.
//
// Format (text, one record a line, LF or CRLF):
//   swarmplan-journal 2 plan <fingerprint> steps <N> executor <name> cluster <id>
//   done <step> <description>
// The header binds the journal to one plan, one executor and one cluster:
// a journal written by a rehearsal (--executor sim) or for another swarm is
// refused, never taken as "already done". Each record is written and synced
// before the next step starts. A last line without its newline (the process
// died while writing it) is not a record: the step is done again, and the
// next record starts on a line of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <set>
#include <string>

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
  // Opens (creating if needed) the journal at `path` for `key`. Fails, with
  // the path and the reason, if the file belongs to another plan, executor
  // or cluster, or holds a line that is not a record of this plan.
  static std::expected<Journal, std::string> Open(const std::string& path, const JournalKey& key);

  bool Done(std::size_t step) const { return done_.contains(step); }
  std::size_t finished() const { return done_.size(); }
  // Appends "done <step> <text>" and syncs it to disk.
  // REQUIRES: step < the key's steps.
  std::expected<void, std::string> Record(std::size_t step, const std::string& text);

 private:
  std::string path_;
  std::size_t steps_ = 0;
  bool torn_ = false;  // the file ends without a newline: start the next record on a new line
  std::set<std::size_t> done_;
};

// A stable fingerprint of a plan's text (FNV-1a, hex).
std::string Fingerprint(const std::string& text);

}  // namespace swarmplan::executor

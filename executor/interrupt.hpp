// Interrupt: what `swarmplan apply` does when the operator (or systemd, or
// a closing terminal) asks it to stop with SIGINT, SIGTERM or SIGHUP.
//
// InstallStopHandlers() makes the three signals set a flag instead of
// killing the process. Whatever runs for a long time (a user's command, a
// wait on the cluster) polls StopSignal() and winds down: a running command
// gets the same signal in its process group and a bounded time to end, the
// step is left "in doubt" in the journal, and apply exits non-zero. The
// flag is process-wide (a signal is); only the apply command installs it.
// Thread-safe: the flag is a lock-free atomic.
#pragma once

#include <string>

namespace swarmplan::executor {

// Installs the handlers (idempotent). Without it StopSignal() stays 0.
void InstallStopHandlers();
// The signal that asked apply to stop, or 0.
int StopSignal();
// For tests: as if `sig` had arrived (0 clears it).
void SetStopSignal(int sig);
// "SIGINT", "SIGTERM", "SIGHUP", or "signal N".
std::string SignalName(int sig);

}  // namespace swarmplan::executor

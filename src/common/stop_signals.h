// SIGTERM and SIGUSR1, what Slurm and other schedulers send before they preempt a job.
#pragma once

namespace gat {

// From now on SIGTERM and SIGUSR1 only set a flag, which training reads at its next step: it then
// writes a checkpoint and ends with kPreemptedExit instead of dying mid-write. Call it when
// training starts: until then the signals keep their default action and end the process at once.
void catch_stop_signals();

// The signal caught (SIGTERM or SIGUSR1), or 0.
int stop_signal();

}  // namespace gat

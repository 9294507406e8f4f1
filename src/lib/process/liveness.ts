/**
 * Which processes are alive, for lock files and temporary files named after their writer
 * (client-file locks, setup-db's staged files, backup temp files). With process supervision,
 * the one place below the CLI entry that asks the operating system about processes.
 */

/** This process's id, as written into lock files and temporary names. */
export function ownPid(): number {
  return process.pid;
}

/** Sends `signal` to the process `pid` (an immediate shutdown of a server that pg_ctl cannot stop). */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  process.kill(pid, signal);
}

/**
 * True unless the process is certainly gone: signal 0 answers ESRCH only for a pid nobody holds.
 * EPERM (someone else's process) and any other answer count as alive, so that nothing a live
 * process still owns is ever taken over or deleted.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

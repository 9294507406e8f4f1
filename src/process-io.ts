// The CLI layer's link to `process` (with cli.ts and serve-fast.ts, the only modules that read it):
// the run's IO built from the process, signals, and the exit code.
import { homedir } from 'node:os';
import { createSignalRouter } from './lib/process/signal-forwarding.js';
import type { CliIO } from './invocation.js';

/**
 * A reader that closed early (`mcpctl --help | head`) is not an error worth a stack trace: later
 * writes to the closed pipe are dropped. A run in progress is stopped by runWithProcess, as a
 * signal stops it, so its clean-up (scratch databases, temporary files) still runs.
 */
export function guardStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs `run` with the process's IO; SIGINT/SIGTERM/SIGHUP abort it (a second one exits at once). */
export async function runWithProcess(argv: string[], run: (io: CliIO) => Promise<number>): Promise<void> {
  const controller = new AbortController();
  const signals = createSignalRouter();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // A command that took the signals over handles them itself (serve forwards them to its child).
    if (signals.takenOver) return;
    interrupts++;
    // A second Ctrl-C means "out now": clean-up already had its chance. The signal is raised
    // again with our handlers gone, so the process dies of it as an unhandled one would (the
    // shell shows 130, 143 or 129) and execa's own handler still stops the children.
    if (interrupts > 1) {
      for (const s of SIGNALS) process.off(s, onSignal);
      process.kill(process.pid, sig);
      return;
    }
    controller.abort(new Error(sig));
  };
  // SIGHUP too (a closed terminal or ssh session): the same clean-up, exit 129.
  for (const sig of SIGNALS) process.on(sig, onSignal);
  // Nobody reads the output any more: stop the way Ctrl-C does (exit 130), cleaning up first.
  const onClosedReader = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' && !controller.signal.aborted) controller.abort(new Error('SIGPIPE'));
  };
  for (const stream of [process.stdout, process.stderr]) stream.on('error', onClosedReader);
  const code = await run({
    argv,
    cwd: process.cwd(),
    env: process.env,
    home: process.env.HOME || homedir(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    signal: controller.signal,
    signals,
    runtime: { platform: process.platform, execPath: process.execPath, nodeVersion: process.version, arch: process.arch, uid: process.getuid?.() },
  });
  for (const sig of SIGNALS) process.off(sig, onSignal);
  for (const stream of [process.stdout, process.stderr]) stream.off('error', onClosedReader);
  process.exitCode = code;
}

// The only module that reads `process`: it builds the outside world and hands it to main().
import { homedir } from 'node:os';
import { ExitCode } from './lib/errors.js';
import { main } from './main.js';
import { signalsTakenOver } from './lib/signal-forwarding.js';

// A reader that closed early (`mcpctl --help | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const controller = new AbortController();
let interrupts = 0;
const onSignal = (sig: NodeJS.Signals) => {
  // A command that took the signals over handles them itself (serve forwards them to its child).
  if (signalsTakenOver()) return;
  interrupts++;
  // A second Ctrl-C means "out now": cleanup already had its chance.
  if (interrupts > 1) process.exit(ExitCode.interrupted);
  controller.abort(new Error(sig));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main({
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: process.env,
  home: process.env.HOME || homedir(),
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: process.stdin.isTTY === true,
  signal: controller.signal,
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
process.exitCode = code;

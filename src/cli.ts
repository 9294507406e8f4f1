// The only module that reads `process`: it builds the outside world and hands it to main().
import { homedir } from 'node:os';
import { packageVersion } from './lib/package-version.js';

const argv = process.argv.slice(2);

// A reader that closed early (`mcpctl --help | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Scripts and CI ask for the version on every run: answer without loading commander.
  process.stdout.write(packageVersion() + '\n');
} else {
  await runCli();
}

async function runCli(): Promise<void> {
  const [{ signalExitCode }, { main }, { createSignalRouter }] = await Promise.all([
    import('./lib/cli/errors.js'),
    import('./main.js'),
    import('./lib/process/signal-forwarding.js'),
  ]);
  const controller = new AbortController();
  const signals = createSignalRouter();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // A command that took the signals over handles them itself (serve forwards them to its child).
    if (signals.takenOver) return;
    interrupts++;
    // A second Ctrl-C means "out now": cleanup already had its chance.
    if (interrupts > 1) process.exit(signalExitCode(sig));
    controller.abort(new Error(sig));
  };
  // SIGHUP too (a closed terminal or ssh session): the same clean-up, exit 129.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  const code = await main({
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
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
  process.exitCode = code;
}

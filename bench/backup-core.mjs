// Runs one backup through the built core in its own process, with an option the CLI does not
// offer: gzip through the system `gzip` program instead of node:zlib. The benchmark times it
// like the CLI (a process per run) to keep measuring the choice behind DEFAULT_GZIP_WITH.
//   node bench/backup-core.mjs <project dir> <backup dir> <zlib|gzip>
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [cwd, dir, gzipWith] = process.argv.slice(2);
const [{ runBackup }, { loadConfig }, { SecretRegistry }, { createSignalRouter }, { libpqSocketDirProbe }] = await Promise.all([
  import(path.join(root, 'dist/commands/backup/run.js')),
  import(path.join(root, 'dist/lib/config/load.js')),
  import(path.join(root, 'dist/lib/cli/redact.js')),
  import(path.join(root, 'dist/lib/process/signal-forwarding.js')),
  import(path.join(root, 'dist/lib/process/libpq-socket.js')),
]);
const secrets = new SecretRegistry();
const ctx = {
  cwd,
  env: process.env,
  home: process.env.HOME || homedir(),
  now: () => new Date(),
  stdinIsTTY: false,
  stdoutIsTTY: false,
  stderrIsTTY: false,
  ci: true,
  signal: new AbortController().signal,
  secrets,
  signals: createSignalRouter(),
  runtime: { platform: process.platform, execPath: process.execPath, nodeVersion: process.version, arch: process.arch, uid: process.getuid?.() },
  libpqSocketDir: libpqSocketDirProbe(process.env),
};
const config = await loadConfig({ cwd, env: process.env, secrets });
const result = await runBackup({ ctx, config, events: () => {} }, { dir, compress: 'gzip', keep: 1, gzipWith });
process.exitCode = result.ok ? 0 : 1;

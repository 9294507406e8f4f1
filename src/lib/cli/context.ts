import type { SecretRegistry } from './redact.js';
import type { SignalRouter } from '../process/signal-forwarding.js';

/**
 * The ambient world a command runs in. Only the CLI layer builds it from `process`;
 * cores receive it, so tests can run them with any folder, environment, clock or TTY.
 */
export interface Context {
  /** Project directory: `-C/--cwd`, else the project root found from the current folder upwards. */
  cwd: string;
  /**
   * The folder mcpctl was started in (or `-C`): relative paths the user typed resolve against
   * it, as git does. Defaults to `cwd` when absent (tests, library use).
   */
  invocationDir?: string;
  /** How `cwd` was chosen (for verify-env --explain and --debug). */
  projectRoot?: import('./project-root.js').ProjectRoot;
  /** Process environment as seen by the command. */
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home folder (for `~/.pgpass`). */
  home: string;
  now: () => Date;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** True when `CI` is set (non-empty and not "false"/"0"). */
  ci: boolean;
  /** Aborted on SIGINT/SIGTERM: long operations stop and clean up. */
  signal: AbortSignal;
  /** The secrets this run must never print; every Output of the run redacts them. */
  secrets: SecretRegistry;
  /** Lets a command take SIGINT/SIGTERM/SIGHUP over (serve forwards them to its child). */
  signals: SignalRouter;
  /** The running Node.js and platform (client entries, baseline records, doctor). */
  runtime: Runtime;
  /**
   * libpq's compiled-in default socket directory (the password file calls it "localhost"):
   * probed on first use and remembered for the run (`libpqSocketDirProbe`).
   */
  libpqSocketDir: () => string;
}

/** The running Node.js and the platform, as cli.ts reads them from `process`. */
export interface Runtime {
  platform: NodeJS.Platform;
  /** The node binary running mcpctl (client entries start mcpctl with it). */
  execPath: string;
  /** `v20.11.1`. */
  nodeVersion: string;
  /** `x64`, `arm64`: which server binaries `db start --download` fetches. */
  arch: string;
  /** This process's user id; undefined where there are none (Windows). Root runs the server as postgres. */
  uid: number | undefined;
}

/** Global options shared by every command. */
export interface GlobalOptions {
  cwd?: string;
  json: boolean;
  color: boolean;
  yes: boolean;
  debug: boolean;
}

export function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Interactive means a person can answer: a TTY on stdin and not in CI. */
export function isInteractive(ctx: Pick<Context, 'stdinIsTTY' | 'ci'>): boolean {
  return ctx.stdinIsTTY && !ctx.ci;
}

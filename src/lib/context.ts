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

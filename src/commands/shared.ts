import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Context, GlobalOptions } from '../lib/cli/context.js';
import type { Output } from '../lib/cli/output.js';
import type { Prompter } from '../lib/cli/prompts.js';

/** What every command adapter receives from the CLI layer. */
export interface CommandEnv {
  ctx: Context;
  out: Output;
  globals: GlobalOptions;
  /** Questions to the person at the terminal (drawn on stderr); cores receive it as `prompter`. */
  prompter: Prompter;
}

/** Built once per invocation by the CLI layer (reads `process`). */
export type EnvFactory = (cmd: Command) => Promise<CommandEnv>;

/**
 * Wraps an adapter as a commander action: commander passes positional args, then the
 * command's options, then the command itself. `preload` (the command's core, `() =>
 * import('./run.js')`) starts loading before the environment is made, so the two overlap;
 * its module reaches `fn` as the last argument.
 */
export function action<O, P = undefined>(
  makeEnv: EnvFactory,
  fn: (env: CommandEnv, opts: O, args: string[], cmd: Command, preloaded: P) => Promise<void>,
  preload?: () => Promise<P>,
): (...a: unknown[]) => Promise<void> {
  return async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const opts = a[a.length - 2] as O;
    const args = a.slice(0, -2).flatMap((x) => (Array.isArray(x) ? (x as string[]) : x === undefined ? [] : [x as string]));
    const loading = preload?.();
    // Awaited below; a failure that makeEnv's own error overtakes is not left unhandled.
    loading?.catch(() => undefined);
    const env = await makeEnv(cmd);
    await fn(env, opts, args, cmd, (await loading) as P);
  };
}

/**
 * A path the user typed, made absolute against the folder mcpctl was started in (as git does
 * from a subfolder). Use it for arguments; for options use `optionPath`, which leaves defaults
 * to resolve against the project.
 */
export function userPath(ctx: Context, p: string): string;
export function userPath(ctx: Context, p: string | undefined): string | undefined;
export function userPath(ctx: Context, p: string | undefined): string | undefined {
  return p === undefined ? undefined : path.resolve(ctx.invocationDir ?? ctx.cwd, p);
}

/**
 * A path option's value: typed on the command line → against the start folder (`userPath`);
 * a default (`backups`, `baseline-results.json`) → left relative, so the command resolves it
 * against the project, as the contract says. `from` is the command that declares the option.
 */
export function optionPath(ctx: Context, from: Command, name: string): string | undefined {
  const value = from.getOptionValue(name) as string | undefined;
  return from.getOptionValueSource(name) === 'cli' ? userPath(ctx, value) : value;
}

/** Parses a positive integer option value, with a message that names the option. */
export function intOption(name: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} takes a whole number, not ${JSON.stringify(value)}`);
    const n = Number(value);
    // No one needs to read 9007199254740991: an open range says "at least", or "too large".
    const open = max === Number.MAX_SAFE_INTEGER;
    if (open && n > max) throw new InvalidArgumentError(`${name} ${value} is too large`);
    if (n < min || n > max) throw new InvalidArgumentError(open ? `${name} must be at least ${min}` : `${name} must be from ${min} to ${max}`);
    return n;
  };
}

/** Collects a repeatable option into an array. */
export function collect(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), value];
}

// Where the commands have always found it; it lives apart so that serve's fast path can load it
// without commander.
export { loadCommandConfig } from './load-config.js';

/**
 * With $GITHUB_STEP_SUMMARY set (GitHub Actions), appends the Markdown that `make` builds to it;
 * otherwise loads nothing. verify-db, verify-env and doctor pass their report; compare its table.
 */
export async function appendStepSummary(env: CommandEnv, make: (gh: typeof import('../lib/github-actions.js')) => string): Promise<void> {
  if (!env.ctx.env.GITHUB_STEP_SUMMARY) return;
  const gh = await import('../lib/github-actions.js');
  await gh.appendStepSummary(env.ctx.env, make(gh), env.out.warn);
}

/** The step summary of a check report (verify-db, verify-env, doctor): a table of its checks. */
export function summarizeReport(env: CommandEnv, title: string, report: import('../lib/cli/report.js').Report): Promise<void> {
  return appendStepSummary(env, (gh) => gh.reportMarkdown(title, report));
}

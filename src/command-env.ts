/** The environment each command adapter receives: its Context, Output and prompter, built from the run's IO. */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { CommandEnv, EnvFactory } from './commands/shared.js';
import { isCi, type Context, type GlobalOptions } from './lib/cli/context.js';
import { UsageError } from './lib/cli/errors.js';
import type { ProjectRoot } from './lib/cli/project-root.js';
import type { CliIO, Invocation } from './invocation.js';

/** Commands that do not read a project's configuration: no "no project found" warning. */
const PROJECT_FREE = new Set(['baseline', 'rollback', 'init']);

/** The top-level command's name (`baseline` for `baseline collect`). */
function topCommand(cmd: Command): string {
  let c = cmd;
  while (c.parent && c.parent.parent) c = c.parent;
  return c.name();
}

/** The global options as commander's optsWithGlobals() gives them. */
export interface ParsedGlobals {
  cwd?: string;
  json?: boolean;
  color?: boolean;
  yes?: boolean;
  debug?: boolean;
}

export function envFactory(inv: Invocation): EnvFactory {
  return (cmd: Command) => makeCommandEnv(inv, cmd.optsWithGlobals() as ParsedGlobals, topCommand(cmd));
}

/** The CommandEnv of command `top` (`baseline` for `baseline collect`) run with globals `g`. */
export async function makeCommandEnv(inv: Invocation, g: ParsedGlobals, top: string): Promise<CommandEnv> {
  const { io, secrets, signals } = inv;
  const start = path.resolve(io.cwd, g.cwd ?? '.');
  let st;
  try {
    st = statSync(start);
  } catch {
    throw new UsageError(`project directory ${start} does not exist`, { hint: 'check the -C/--cwd value' });
  }
  if (!st.isDirectory()) throw new UsageError(`${start} is not a directory`, { hint: 'check the -C/--cwd value' });
  const [{ createOutput, colorEnabled }, { createPrompter }, { findProjectRoot, describeProjectRoot }, { libpqSocketDirProbe }] = await Promise.all([
    import('./lib/cli/output.js'),
    import('./lib/cli/prompts.js'),
    import('./lib/cli/project-root.js'),
    import('./lib/process/libpq-socket.js'),
  ]);
  // -C names the project; otherwise the nearest folder upwards that looks like one. `init`
  // makes a new project where it is run, so it never walks up.
  const projectRoot: ProjectRoot = g.cwd !== undefined || top === 'init' ? { dir: start, via: { kind: 'flag' } } : findProjectRoot(start);
  const cwd = projectRoot.dir;
  const ctx: Context = {
    cwd,
    invocationDir: start,
    projectRoot,
    env: withAbsolutePgpassfile(io.env, io.cwd),
    home: io.home,
    now: io.now ?? (() => new Date()),
    stdinIsTTY: io.stdinIsTTY,
    stdoutIsTTY: io.stdout.isTTY === true,
    stderrIsTTY: io.stderr.isTTY === true,
    ci: isCi(io.env),
    signal: io.signal,
    secrets,
    signals,
    runtime: io.runtime,
    libpqSocketDir: libpqSocketDirProbe(io.env),
  };
  const globals: GlobalOptions = { cwd, json: g.json === true, color: g.color !== false, yes: g.yes === true, debug: g.debug === true };
  const out = createOutput({ json: globals.json, noColorFlag: !globals.color, debug: globals.debug, env: io.env, stdout: io.stdout, stderr: io.stderr, ci: ctx.ci, secrets });
  inv.out = out;
  if (projectRoot.via.kind === 'none' && !PROJECT_FREE.has(top)) {
    out.warn(
      `no project found in ${start} or above it (up to ${projectRoot.via.searchedUpTo}, no .env, .env.local, .env.template, .env.example or migrations/): using ${start} and the built-in defaults`,
    );
  }
  out.debug(`project folder: ${describeProjectRoot(projectRoot)}`);
  const color = colorEnabled({ noColorFlag: !globals.color, env: io.env }, io.stderr);
  return { ctx, out, globals, prompter: createPrompter({ ctx, yes: globals.yes, stream: io.stderr, color }) };
}

/**
 * A relative PGPASSFILE names a file from where mcpctl was started, as it would for any libpq
 * program run there. mcpctl runs its children (pg_dump, psql, the server) in the project folder,
 * where libpq would resolve it to another file: they get it absolute.
 */
function withAbsolutePgpassfile(env: CliIO['env'], startDir: string): CliIO['env'] {
  const file = env.PGPASSFILE;
  return file && !path.isAbsolute(file) ? { ...env, PGPASSFILE: path.resolve(startDir, file) } : env;
}

/**
 * The command lines `mcpctl serve` is started with, read without commander: an MCP client starts
 * `mcpctl serve -C <project>` every time it connects, and loading and building commander's
 * program is a noticeable part of what serve adds before the server's first byte (docs/serve.md,
 * Start-up). Only plain, valid forms are accepted — global options and serve's own, each value a
 * separate word (or `--name=value`, `-C<dir>`) that does not start with `-`, the command after
 * `--`. Anything else (help, a misspelt flag, a bad value, words before `--`, a value that looks
 * like a flag) returns undefined and the full CLI parses it, so errors and help come from commander.
 * tests/unit/serve-fast-argv.test.ts checks on generated command lines that whatever this accepts,
 * commander accepts with the same values.
 */
import { RESTART_POLICIES, SERVE_DEFAULTS, SERVE_INT_OPTIONS, type ServeFlags } from './options.js';

/** The global options as commander's optsWithGlobals() gives them to the env factory. */
export interface FastGlobals {
  cwd?: string;
  json?: true;
  color: boolean;
  yes?: true;
  debug?: true;
}

export interface FastServe {
  globals: FastGlobals;
  opts: ServeFlags;
  /** The command after `--` (empty: MCP_SERVER_COMMAND). */
  args: string[];
  healthHostGiven: boolean;
}

const GLOBAL_BOOLEANS: Readonly<Record<string, (g: FastGlobals) => void>> = {
  '--json': (g) => void (g.json = true),
  '--no-color': (g) => void (g.color = false),
  '-y': (g) => void (g.yes = true),
  '--yes': (g) => void (g.yes = true),
  '--debug': (g) => void (g.debug = true),
};

/** Sets a valued option; false when the value is not one commander's parser takes as it is. */
function setValued(name: string, value: string, g: FastGlobals, opts: ServeFlags, sawServe: boolean): boolean {
  if (name === '-C' || name === '--cwd') {
    g.cwd = value;
    return true;
  }
  // serve's options are serve's: before the command name commander refuses them.
  if (!sawServe) return false;
  if (name === '--health-host') {
    opts.healthHost = value;
    return true;
  }
  if (name === '--restart') {
    if (!RESTART_POLICIES.includes(value)) return false;
    opts.restart = value as ServeFlags['restart'];
    return true;
  }
  const int = SERVE_INT_OPTIONS[name as keyof typeof SERVE_INT_OPTIONS];
  // The checks of intOption (commands/shared.ts): digits only, within the range.
  if (!int || !/^\d+$/.test(value) || Number(value) < int.min || Number(value) > int.max) return false;
  opts[int.key] = Number(value);
  return true;
}

const VALUED = new Set(['-C', '--cwd', '--health-host', '--restart', ...Object.keys(SERVE_INT_OPTIONS)]);

/** serve's parsed command line, or undefined when the full CLI must read it. */
export function parseServeArgv(argv: readonly string[]): FastServe | undefined {
  const globals: FastGlobals = { color: true };
  const opts: ServeFlags = { wait: SERVE_DEFAULTS.wait, grace: SERVE_DEFAULTS.grace, healthHost: SERVE_DEFAULTS.healthHost };
  let sawServe = false;
  let healthHostGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return sawServe ? { globals, opts, args: argv.slice(i + 1), healthHostGiven } : undefined;
    if (a === 'serve' && !sawServe) {
      sawServe = true;
      continue;
    }
    const boolean = GLOBAL_BOOLEANS[a];
    if (boolean) {
      boolean(globals);
      continue;
    }
    let name = a;
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 2) [name, value] = [a.slice(0, eq), a.slice(eq + 1)];
    else if (a.startsWith('-C') && a.length > 2) [name, value] = ['-C', a.slice(2)];
    else if (VALUED.has(a)) value = argv[++i];
    if (!VALUED.has(name) || value === undefined || value.startsWith('-')) return undefined;
    if (!setValued(name, value, globals, opts, sawServe)) return undefined;
    if (name === '--health-host') healthHostGiven = true;
  }
  return sawServe ? { globals, opts, args: [], healthHostGiven } : undefined;
}

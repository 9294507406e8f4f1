import { CONFIG_KEYS, type Config } from '../../lib/config/keys.js';
import { UsageError, UserError } from '../../lib/cli/errors.js';
import { resolveCommandInterpreter } from '../../lib/process/python.js';
import { splitCommand } from '../../lib/process/shell-words.js';

/** The child's environment: mcpctl's own, plus the validated configuration; the password only here. */
export function childEnv(parent: Readonly<Record<string, string | undefined>>, cfg: Config, password: string | undefined, urlKeys: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  // URL keys first: one set in mcpctl's own environment (also in `parent`) wins over the files.
  for (const [k, v] of Object.entries(urlKeys)) env[k] = v;
  for (const [k, v] of Object.entries(parent)) if (v !== undefined) env[k] = v;
  for (const key of CONFIG_KEYS) {
    const v = cfg[key];
    if (v !== undefined) env[key] = String(v);
  }
  if (password !== undefined) env.POSTGRES_PASSWORD = password;
  // The admin credential is setup-db's business; the server never needs it.
  delete env.SETUP_POSTGRES_PASSWORD;
  return env;
}

/** The command to run: the one after `--`, else MCP_SERVER_COMMAND. */
export function resolveCommand(cfg: Config, given: string[] | undefined): string[] {
  if (given && given.length > 0) return given;
  let argv: string[];
  try {
    argv = splitCommand(cfg.MCP_SERVER_COMMAND);
  } catch (e) {
    throw new UsageError(`MCP_SERVER_COMMAND cannot be split into words: ${(e as Error).message}`, { hint: 'fix the quoting in MCP_SERVER_COMMAND' });
  }
  if (argv.length === 0) throw new UsageError('no command to run', { hint: 'give one after `--` or set MCP_SERVER_COMMAND' });
  return argv;
}

/** The error for a command that is not there, with a hint that fits it. */
function cannotStart(file: string, isPython: boolean): UserError {
  return new UserError(`cannot start ${file}: command not found`, {
    hint: isPython
      ? "install Python 3, or create the project's virtual environment (python3 -m venv .venv; .venv/bin/pip install -e .)"
      : 'give the command after `--` (e.g. `mcpctl serve -- python -m workflow_mcp.server`) or set MCP_SERVER_COMMAND; it runs without a shell',
  });
}

/**
 * The argv to start, with a Python command bound to the project's interpreter; checked before
 * waiting for the database, so that a command that cannot start says so at once.
 */
export async function startableCommand(cfg: Config, given: string[] | undefined, cwd: string, env: Record<string, string>): Promise<{ argv: string[]; note?: string }> {
  const resolved = await resolveCommandInterpreter(resolveCommand(cfg, given), cwd, env);
  if (resolved.program === undefined) throw cannotStart(resolved.argv[0]!, resolved.isPython);
  return { argv: resolved.argv, note: resolved.note };
}

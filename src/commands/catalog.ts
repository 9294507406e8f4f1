/**
 * The list of commands and their one-line descriptions, in the contract's order. Kept free
 * of imports so that `mcpctl --help` can list every command without loading any of them.
 */
export const COMMAND_DESCRIPTIONS = {
  'setup-db': 'create or bring up to date the app role, its databases, the registry schema and the credential files (idempotent)',
  'verify-db': 'check the database as the app user: server, login, databases, CREATE DATABASE, schema and migrations, pgvector, a connection pool',
  'verify-env': 'check the machine and the project: tools, virtual environment, configuration, env files, git hygiene',
  backup: 'stream pg_dump into a compressed, checksummed backup file; list and restore backups',
  rollback: 'reset a branch to the backup tag after checks, keeping the old tip and stashing every change',
  baseline: 'performance baselines: generate a test repository, collect timings, compare against a baseline',
  serve: 'wait for PostgreSQL, then run the MCP server with the configuration in its environment (replaces `make run`)',
  db: 'a local PostgreSQL cluster for this user: start, stop, status, url, destroy',
  client: 'register the project\'s server with an MCP client (Claude Desktop, Claude Code, Cursor, VS Code); list, remove',
  init: 'start a project: .env from the template shipped with mcpctl, migrations/, .gitignore lines',
  doctor: "it doesn't work — why? verify-env, verify-db and the MCP client entries (each started) as one report",
} as const;

export type CommandName = keyof typeof COMMAND_DESCRIPTIONS;

/** Global options that take a value: their value is not a command name. */
export const VALUE_OPTIONS = new Set(['-C', '--cwd']);

/**
 * The command an argument list asks for (`mcpctl [globals] <command> …`, or `mcpctl help <command>`),
 * or undefined when it names none.
 */
export function requestedCommand(argv: readonly string[]): string | undefined {
  const positionals: string[] = [];
  for (let i = 0; i < argv.length && positionals.length < 2; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) positionals.push(a);
  }
  return positionals[0] === 'help' ? positionals[1] : positionals[0];
}

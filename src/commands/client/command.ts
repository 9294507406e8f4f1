import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, ExitError } from '../../lib/cli/errors.js';
import { CLIENT_IDS, type ClientId, type Scope } from '../../lib/files/mcp-clients.js';
import { action, type CommandEnv, type EnvFactory } from '../shared.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';
import type { ClientChange, ClientDeps } from './run.js';

interface Opts {
  name?: string;
  scope?: Scope;
  print?: boolean;
  force?: boolean;
}

function clientArg(value: string): ClientId {
  if ((CLIENT_IDS as readonly string[]).includes(value)) return value as ClientId;
  throw new InvalidArgumentError(`unknown client ${JSON.stringify(value)}; one of ${CLIENT_IDS.join(', ')}`);
}

function scopeArg(value: string): Scope {
  if (value === 'project' || value === 'user') return value;
  throw new InvalidArgumentError(`--scope takes "project" or "user", not ${JSON.stringify(value)}`);
}

/** The core's dependencies; its warnings are shown as they come and kept for the --json result. */
function deps(env: CommandEnv): ClientDeps & { warnings: string[] } {
  const warnings: string[] = [];
  return { ctx: env.ctx, events: (e) => (warnings.push(e.text), env.out.warn(e.text)), warnings };
}

function render(env: CommandEnv, r: ClientChange, warnings: string[]): void {
  const { out } = env;
  if (out.json) return out.result({ ...r, warnings });
  if (r.action === 'printed') {
    out.note(out.paint('muted', `# ${r.file} (${r.scope} scope); nothing was changed`));
    out.stdout(JSON.stringify(r.snippet, null, 2));
    return;
  }
  const what = {
    created: `created ${r.file} with the server "${r.name}"`,
    added: `added the server "${r.name}" to ${r.file}`,
    updated: `updated the server "${r.name}" in ${r.file}`,
    removed: `removed the server "${r.name}" from ${r.file}`,
    unchanged: r.entry === undefined ? `no server "${r.name}" in ${r.file}; nothing to remove` : `the server "${r.name}" in ${r.file} is already up to date`,
  }[r.action];
  if (r.action === 'unchanged') out.info(what);
  else out.success(what);
  if (r.action === 'created' || r.action === 'added' || r.action === 'updated') out.hint('restart the client (or reload its MCP servers) to start it');
}

const EXAMPLES = [
  '',
  'Clients and their files:',
  '  claude-desktop  ~/.config/Claude/claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/…), user scope only',
  '  claude-code     .mcp.json (project), ~/.claude.json (user)',
  '  cursor          .cursor/mcp.json (project), ~/.cursor/mcp.json (user)',
  '  vscode          .vscode/mcp.json (project), the user profile\'s mcp.json (user)',
  '',
  'The entry runs `<node> <mcpctl>/bin/mcpctl.js serve -C <project>` with absolute paths and holds no secret.',
  '',
  'Examples:',
  '  $ mcpctl client add claude-code',
  '  $ mcpctl client add cursor --scope user --name my-server',
  '  $ mcpctl client add vscode --print',
  '  $ mcpctl client list --json',
  '  $ mcpctl client remove claude-code',
].join('\n');

/** A subcommand that names one client's entry: `<client>`, `--name` and `--scope` (add and remove). */
function target(client: Command, name: string, description: string, nameHelp: string): Command {
  return client
    .command(name)
    .description(description)
    .argument('<client>', CLIENT_IDS.join(' | '), clientArg)
    .option('--name <name>', nameHelp)
    .option('--scope <scope>', 'project or user (default: project; Claude Desktop: user)', scopeArg);
}

export function registerClient(program: Command, makeEnv: EnvFactory): void {
  const client = program.command('client').description(COMMAND_DESCRIPTIONS.client).addHelpText('after', EXAMPLES);

  target(client, 'add', "register the project's server with an MCP client (started through `mcpctl serve`)", "the server's name in the client (default: the project folder's name)")
    .option('--print', 'print the entry and change nothing')
    .option('--force', 'replace a server of the same name that is not this project\'s mcpctl entry')
    .addHelpText('after', EXAMPLES)
    .action(
      action<Opts>(makeEnv, async (env, opts, args) => {
        const { runClientAdd } = await import('./run.js');
        const d = deps(env);
        render(env, await runClientAdd(d, { client: args[0] as ClientId, name: opts.name, scope: opts.scope, print: opts.print, force: opts.force }), d.warnings);
      }),
    );

  target(client, 'remove', "remove the project's server from an MCP client's configuration", "the server's name (default: the project folder's name)")
    .option('--force', 'remove it even when it is not mcpctl\'s entry for this project')
    .action(
      action<Opts>(makeEnv, async (env, opts, args) => {
        const { runClientRemove } = await import('./run.js');
        const d = deps(env);
        render(env, await runClientRemove(d, { client: args[0] as ClientId, name: opts.name, scope: opts.scope, force: opts.force }), d.warnings);
      }),
    );

  client
    .command('list')
    .description('list the mcpctl servers registered in every client file mcpctl knows')
    .action(
      action<Opts>(makeEnv, async (env) => {
        const { runClientList } = await import('./run.js');
        const r = await runClientList(deps(env));
        const { out } = env;
        if (out.json) out.result(r);
        else {
          if (!r.entries.length) out.info('no mcpctl server is registered with a client (mcpctl client add <client>)');
          for (const e of r.entries) {
            out.info(`${e.client.padEnd(14)} ${e.scope.padEnd(7)} ${e.name}  ${out.paint('muted', `${e.thisProject ? 'this project' : e.project} — ${e.file}`)}`);
          }
          for (const p of r.problems) out.warn(`${p.client} (${p.scope}): ${p.message}`);
        }
        if (!r.ok) throw new ExitError(ExitCode.failed);
      }),
    );
}

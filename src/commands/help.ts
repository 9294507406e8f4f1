/**
 * Help the way users type it: `mcpctl help <cmd> [<sub>]`, `mcpctl <cmd> help [<sub>]` and
 * `--help` all show the same page; an unknown name is a usage error with a suggestion.
 */
import { Help, type Command } from 'commander';
import { UsageError } from '../lib/errors.js';
import { closest } from '../lib/suggest.js';
import { VALUE_OPTIONS } from './catalog.js';

/** The positional words of `argv` (before `--`) with their indexes. */
function positionals(argv: readonly string[]): { value: string; index: number }[] {
  const out: { value: string; index: number }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) out.push({ value: a, index: i });
  }
  return out;
}

function findCommand(parent: Command, name: string): Command | undefined {
  return parent.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

/** Throws the usage error for an unknown command name under `parent`. */
function unknown(parent: Command, name: string): never {
  const names = parent.commands.map((c) => c.name()).filter((n) => n !== 'help');
  const near = closest(name, names);
  const where = parent.parent ? `${parent.name()} command` : 'command';
  const list = parent.parent ? `mcpctl ${parent.name()} --help` : 'mcpctl --help';
  throw new UsageError(`unknown ${where} '${name}'`, { hint: `${near ? `did you mean '${near}'? ` : ''}\`${list}\` lists them` });
}

/**
 * Rewrites a help request into the `--help` form commander answers, after checking that the
 * commands it names exist. Other command lines are returned unchanged.
 */
export function rewriteHelpRequest(argv: readonly string[], program: Command): string[] {
  const pos = positionals(argv);
  let helpAt: number;
  if (pos[0]?.value === 'help') helpAt = 0;
  else if (pos[1]?.value === 'help' && (findCommand(program, pos[0]!.value)?.commands.length ?? 0) > 0) helpAt = 1;
  else return [...argv];
  const names = pos.filter((_, i) => i !== helpAt).map((p) => p.value);
  let cmd = program;
  for (const name of names) {
    // Words past a command without subcommands are its arguments: `help serve x` is serve's help.
    if (cmd.commands.length === 0) break;
    cmd = findCommand(cmd, name) ?? unknown(cmd, name);
  }
  const rest = argv.filter((_, i) => i !== pos[helpAt]!.index);
  return [...rest, '--help'];
}

/** The line that replaces every subcommand's copy of the global options. */
export const GLOBAL_OPTIONS_LINE = 'Global options (-C/--cwd, --json, --no-color, -y/--yes, --debug): see `mcpctl --help`.';

/**
 * Commander's help, with the global options listed once: the top level lists them, every
 * command below it gets one line pointing there instead.
 */
export function formatHelp(cmd: Command, helper: Help): string {
  const text = Help.prototype.formatHelp.call(helper, cmd, helper);
  if (!cmd.parent) return text;
  // After the Options block (it ends at the first blank line), before Commands or the extra text.
  const at = text.indexOf('\nOptions:');
  const end = at === -1 ? -1 : text.indexOf('\n\n', at + 1);
  if (end === -1) return text.trimEnd() + '\n\n' + GLOBAL_OPTIONS_LINE + '\n';
  return text.slice(0, end) + '\n\n' + GLOBAL_OPTIONS_LINE + text.slice(end);
}

/** Shown after the top-level help. */
export const TOP_LEVEL_EXAMPLES = `
Examples:
  $ SETUP_POSTGRES_PASSWORD=… mcpctl setup-db    # role, databases, schema and credential files
  $ mcpctl verify-db && mcpctl verify-env         # is everything in order?
  $ mcpctl backup --verify --keep 7               # a checked backup, the last seven kept

\`mcpctl help <command>\` (or \`mcpctl <command> --help\`) shows a command's options.`;

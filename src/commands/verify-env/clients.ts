/**
 * verify-env's `clients` check: every MCP client file mcpctl knows (project and user scope) parses,
 * the entries that serve this project can start (their node and mcpctl exist), and the app password
 * appears in none of them — users paste database URLs, passwords included, into these files.
 */
import { constants, promises as fs } from 'node:fs';
import { readClientFile } from '../../lib/files/client-file.js';
import { fileHoldsSecret, secretForms } from '../../lib/files/secret-search.js';
import { knownClientFiles, mcpctlProject, type ClientId, type EntryRef, type Scope } from '../../lib/files/mcp-clients.js';
import { fail, pass, skip, type CheckOutcome } from '../../lib/cli/report.js';

export interface ClientsCheckInput {
  ctx: { cwd: string; home: string; env: Readonly<Record<string, string | undefined>> };
  platform: NodeJS.Platform;
  /** The app password, when one is known: it must be in no client file. */
  password: string | undefined;
}

/** One entry that serves this project, and what is wrong with it (empty: nothing). */
export interface ProjectEntry extends EntryRef {
  problems: string[];
}

async function executable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Reads every known client file once: parse problems, files holding the password, and this project's entries. */
export async function inspectClients(input: ClientsCheckInput): Promise<{ unreadable: string[]; leaking: string[]; entries: ProjectEntry[] }> {
  const unreadable: string[] = [];
  const leaking: string[] = [];
  const entries: ProjectEntry[] = [];
  // The one secret search: also finds the password percent-encoded in a URL or JSON-escaped.
  const forms = secretForms([input.password]);
  for (const { def, scope, file } of knownClientFiles(input)) {
    try {
      if (await fileHoldsSecret(file, forms)) leaking.push(file);
    } catch {
      continue;
    }
    let doc: Record<string, unknown>;
    try {
      doc = (await readClientFile(file, def.jsonc)).doc;
    } catch (e) {
      unreadable.push((e as Error).message.replace(/; nothing was changed$/, ''));
      continue;
    }
    const servers = doc[def.rootKey];
    if (!servers || typeof servers !== 'object') continue;
    for (const [name, entry] of Object.entries(servers as Record<string, unknown>)) {
      if (mcpctlProject(entry) !== input.ctx.cwd) continue;
      const e = entry as { command?: unknown; args?: string[] };
      const command = String(e.command ?? '');
      const problems: string[] = [];
      if (!command.startsWith('/') || !(await executable(command))) problems.push(`its command ${command || '(none)'} does not exist`);
      const bin = e.args?.[0];
      if (bin && bin.startsWith('/') && !(await fs.stat(bin).then(() => true, () => false))) problems.push(`mcpctl is no longer at ${bin}`);
      entries.push({ client: def.id, scope, file, name, command, args: (e.args ?? []).map(String), problems });
    }
  }
  return { unreadable, leaking, entries };
}

export async function clientsOutcome(input: ClientsCheckInput): Promise<CheckOutcome> {
  const { unreadable, leaking, entries } = await inspectClients(input);
  const broken = entries.filter((e) => e.problems.length);
  const failures: string[] = [];
  const hints: string[] = [];
  if (leaking.length) {
    failures.push(`the app password is in ${leaking.join(', ')}`);
    hints.push('remove it (the mcpctl entry needs no secret: `mcpctl client add <client>` rewrites it) and rotate it: mcpctl setup-db --rotate-password');
  }
  for (const e of broken) failures.push(`${e.client} entry "${e.name}" in ${e.file}: ${e.problems.join('; ')}`);
  if (broken.length) hints.push(`register it again: ${[...new Set(broken.map((e) => `mcpctl client add ${e.client}${e.scope === 'user' ? ' --scope user' : ''}`))].join('; ')}`);
  for (const u of unreadable) failures.push(u);
  if (unreadable.length) hints.push('fix the file: the client cannot read it either');
  if (failures.length) return fail(failures.join('; '), hints.join('; '));
  if (!entries.length) return skip('no MCP client starts this project (mcpctl client add <client>)');
  return pass(entries.map((e) => `${e.client}${e.scope === 'user' ? ' (user)' : ''}: ${e.name}`).join(', ') + (input.password ? '; no password in client files' : ''));
}

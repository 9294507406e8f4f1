/**
 * `mcpctl client add|list|remove`: registers the project's server with an MCP client so that the
 * client starts it through `mcpctl serve -C <project>`. Each operation reads the client's file,
 * decides (pure), and writes only on change — atomically, leaving everything else as it was.
 */
import { isDeepStrictEqual } from 'node:util';
import { editClientText, readClientFile, retryOnChange, withFileLock, writeClientFile, type ClientFile } from '../../lib/files/client-file.js';
import type { Context } from '../../lib/cli/context.js';
import type { CoreDeps } from '../../lib/cli/core-deps.js';
import { mcpctlBin } from '../../lib/package-root.js';
import { pathExists } from '../../lib/files/fs-exists.js';
import { RefusedError, UsageError, UserError } from '../../lib/cli/errors.js';
import { CLIENTS, defaultServerName, knownClientFiles, mcpctlProject, SERVER_NAME, serverEntry, type ClientDef, type ClientId, type ClientWorld, type Scope, type ServerEntry } from '../../lib/files/mcp-clients.js';

/** What the client core tells its adapter: warnings about the entry it wrote (or would write). */
export type ClientEvent = { type: 'warning'; text: string };

/**
 * The client core's dependencies: the project, HOME and environment (where the client files
 * are), and the running node (`ctx.runtime.execPath`), which the entry starts mcpctl with.
 */
export type ClientDeps = Pick<CoreDeps<ClientEvent>, 'events'> & { ctx: Pick<Context, 'cwd' | 'env' | 'home' | 'runtime'> };

export interface ClientTarget {
  client: ClientId;
  name?: string;
  scope?: Scope;
}

/** What `add` is asked for. */
export interface ClientAddOptions extends ClientTarget {
  /** Change nothing: the entry as a snippet to paste. */
  print?: boolean;
  /** Replace a server of the same name that is not this project's mcpctl entry. */
  force?: boolean;
  /** Absolute path of the mcpctl entry point the entry runs (default: this installation's bin/mcpctl.js). */
  bin?: string;
}

/** What `add` and `remove` did (or, with print, would do). */
export interface ClientChange {
  ok: true;
  client: ClientId;
  scope: Scope;
  file: string;
  name: string;
  action: 'created' | 'added' | 'updated' | 'removed' | 'unchanged' | 'printed';
  /** The entry as written (add), or as it was (remove). */
  entry?: unknown;
  /** For --print: the snippet to paste, rooted at the client's key. */
  snippet?: Record<string, unknown>;
}

const world = (d: Pick<ClientDeps, 'ctx'>): ClientWorld => ({ home: d.ctx.home, platform: d.ctx.runtime.platform, env: d.ctx.env });

function resolveTarget(d: Pick<ClientDeps, 'ctx'>, t: ClientTarget): { def: ClientDef; scope: Scope; file: string; name: string } {
  const def = CLIENTS[t.client];
  const scope = t.scope ?? def.defaultScope;
  const file = def.file(scope, d.ctx.cwd, world(d));
  if (!file) throw new UsageError(`${def.label} has no ${scope} scope`, { hint: `use --scope ${def.defaultScope}` });
  const name = t.name ?? defaultServerName(d.ctx.cwd);
  if (!SERVER_NAME.test(name)) throw new UsageError(`invalid server name ${JSON.stringify(name)}`, { hint: 'use letters, digits, "_", "-" and "." (--name)' });
  return { def, scope, file, name };
}

function servers(f: ClientFile, def: ClientDef): Record<string, unknown> {
  const root = f.doc[def.rootKey];
  if (root === undefined) return {};
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new UserError(`${f.path}: "${def.rootKey}" is not an object; nothing was changed`, { hint: 'fix the file, or move it away' });
  }
  return root as Record<string, unknown>;
}

export async function runClientAdd(d: ClientDeps, t: ClientAddOptions): Promise<ClientChange> {
  // Warnings are said once, for the attempt that counted (a changed file is read and decided again).
  const { warnings, ...change } = t.print ? await addOnce(d, t) : await withFileLock(resolveTarget(d, t).file, () => retryOnChange(() => addOnce(d, t)));
  for (const text of warnings) d.events({ type: 'warning', text });
  return change;
}

async function addOnce(d: Pick<ClientDeps, 'ctx'>, t: ClientAddOptions): Promise<ClientChange & { warnings: string[] }> {
  const { def, scope, file, name } = resolveTarget(d, t);
  const bin = t.bin ?? mcpctlBin();
  const entry: ServerEntry = serverEntry(def, d.ctx.cwd, d.ctx.runtime.execPath, bin);
  const warnings: string[] = [];
  if (/[\\/]_npx[\\/]/.test(bin)) warnings.push(`mcpctl runs from npx's cache (${bin}), which npm may clean: install it (npm install --save-dev mcpctl) and add the entry again`);
  const base = { ok: true as const, client: def.id, scope, file, name, entry, warnings };
  if (t.print) return { ...base, action: 'printed', snippet: { [def.rootKey]: { [name]: entry } } };

  const f = await readClientFile(file, def.jsonc);
  const existing = servers(f, def)[name];
  if (isDeepStrictEqual(existing, entry)) return { ...base, action: 'unchanged' };
  if (existing !== undefined && mcpctlProject(existing) !== d.ctx.cwd && !t.force) {
    throw new RefusedError(`${file} already has a server named "${name}" that does not run this project; nothing was changed`, {
      hint: `choose another name (--name), or replace it with --force`,
    });
  }
  // An mcpctl entry for this project (say, from an older node) is updated whole; other keys of it are not kept.
  await writeClientFile(f, editClientText(f, [def.rootKey, name], entry));
  if (scope === 'project' && existing === undefined) {
    warnings.push(`the entry holds this machine's absolute paths: if ${file} is committed, each developer runs \`mcpctl client add ${def.id}\` once`);
  }
  return { ...base, action: !f.exists ? 'created' : existing === undefined ? 'added' : 'updated' };
}

export async function runClientRemove(d: Pick<ClientDeps, 'ctx'>, t: ClientTarget & { force?: boolean }): Promise<ClientChange> {
  const { file } = resolveTarget(d, t);
  // Nothing to remove from a file that is not there: no lock (and no folder made for one).
  if (!(await pathExists(file))) return removeOnce(d, t);
  return withFileLock(file, () => retryOnChange(() => removeOnce(d, t)));
}

async function removeOnce(d: Pick<ClientDeps, 'ctx'>, t: ClientTarget & { force?: boolean }): Promise<ClientChange> {
  const { def, scope, file, name } = resolveTarget(d, t);
  const base = { ok: true as const, client: def.id, scope, file, name };
  const f = await readClientFile(file, def.jsonc);
  const existing = f.exists ? servers(f, def)[name] : undefined;
  if (existing === undefined) return { ...base, action: 'unchanged' };
  if (mcpctlProject(existing) !== d.ctx.cwd && !t.force) {
    throw new RefusedError(`the server "${name}" in ${file} is not mcpctl's entry for this project; nothing was changed`, { hint: 'remove it with --force, or edit the file' });
  }
  await writeClientFile(f, editClientText(f, [def.rootKey, name], undefined));
  return { ...base, action: 'removed', entry: existing };
}

/** One registered mcpctl entry found in a client file. */
export interface ListedEntry {
  client: ClientId;
  scope: Scope;
  file: string;
  name: string;
  command: string;
  args: string[];
  /** The project it serves (`-C`). */
  project: string;
  thisProject: boolean;
}

export interface ClientList {
  ok: boolean;
  entries: ListedEntry[];
  /** Client files that exist but cannot be read or parsed. */
  problems: { client: ClientId; scope: Scope; file: string; message: string }[];
}

export async function runClientList(d: Pick<ClientDeps, 'ctx'>): Promise<ClientList> {
  const entries: ListedEntry[] = [];
  const problems: ClientList['problems'] = [];
  for (const { def, scope, file } of knownClientFiles({ ctx: d.ctx, platform: d.ctx.runtime.platform })) {
    let f: ClientFile;
    let map: Record<string, unknown>;
    try {
      f = await readClientFile(file, def.jsonc);
      map = servers(f, def);
    } catch (e) {
      problems.push({ client: def.id, scope, file, message: (e as Error).message.replace(/; nothing was changed$/, '') });
      continue;
    }
    for (const [name, entry] of Object.entries(map)) {
      const project = mcpctlProject(entry);
      if (!project) continue;
      const e = entry as ServerEntry;
      entries.push({ client: def.id, scope, file, name, command: String(e.command), args: e.args, project, thisProject: project === d.ctx.cwd });
    }
  }
  return { ok: problems.length === 0, entries, problems };
}

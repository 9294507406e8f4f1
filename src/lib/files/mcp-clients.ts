/**
 * The MCP clients mcpctl registers servers with, where each keeps its configuration, and the
 * entry that starts a project's server through `mcpctl serve`. Formats, per each client's own
 * documentation: Claude Desktop, Claude Code and Cursor map `mcpServers` → name → { command,
 * args, env }; VS Code maps `servers` → name → { type: "stdio", command, args, env } in a JSONC file.
 */
import path from 'node:path';

export const CLIENT_IDS = ['claude-desktop', 'claude-code', 'cursor', 'vscode'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];
export type Scope = 'project' | 'user';

/** An mcpctl entry found in a client's file: where it is and what it starts. */
export interface EntryRef {
  client: ClientId;
  scope: Scope;
  file: string;
  name: string;
  command: string;
  args: string[];
}

/** Where the outside world is, for the paths (injected: tests and other platforms). */
export interface ClientWorld {
  home: string;
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
}

/** A client's configuration file format and locations. */
export interface ClientDef {
  id: ClientId;
  label: string;
  /** The object that maps names to server entries. */
  rootKey: 'mcpServers' | 'servers';
  /** Comments and trailing commas are part of the format (VS Code); elsewhere the file is plain JSON. */
  jsonc: boolean;
  /** `type: "stdio"` in the entry (VS Code requires it; Claude Code writes it itself). */
  typeField: boolean;
  defaultScope: Scope;
  /** The file for a scope, or undefined when the client has no such scope. */
  file(scope: Scope, project: string, w: ClientWorld): string | undefined;
}

function appSupport(w: ClientWorld, app: string): string {
  if (w.platform === 'darwin') return path.join(w.home, 'Library', 'Application Support', app);
  if (w.platform === 'win32') return path.join(w.env.APPDATA ?? path.join(w.home, 'AppData', 'Roaming'), app);
  return path.join(w.env.XDG_CONFIG_HOME || path.join(w.home, '.config'), app);
}

export const CLIENTS: Record<ClientId, ClientDef> = {
  'claude-desktop': {
    id: 'claude-desktop',
    label: 'Claude Desktop',
    rootKey: 'mcpServers',
    jsonc: false,
    typeField: false,
    defaultScope: 'user',
    file: (scope, _p, w) => (scope === 'user' ? path.join(appSupport(w, 'Claude'), 'claude_desktop_config.json') : undefined),
  },
  'claude-code': {
    id: 'claude-code',
    label: 'Claude Code',
    rootKey: 'mcpServers',
    jsonc: false,
    typeField: true,
    defaultScope: 'project',
    // User scope: the top-level mcpServers of ~/.claude.json (what `claude mcp add -s user` edits).
    file: (scope, p, w) => (scope === 'project' ? path.join(p, '.mcp.json') : path.join(w.home, '.claude.json')),
  },
  cursor: {
    id: 'cursor',
    label: 'Cursor',
    rootKey: 'mcpServers',
    jsonc: false,
    typeField: false,
    defaultScope: 'project',
    file: (scope, p, w) => (scope === 'project' ? path.join(p, '.cursor', 'mcp.json') : path.join(w.home, '.cursor', 'mcp.json')),
  },
  vscode: {
    id: 'vscode',
    label: 'VS Code',
    rootKey: 'servers',
    jsonc: true,
    typeField: true,
    defaultScope: 'project',
    file: (scope, p, w) => (scope === 'project' ? path.join(p, '.vscode', 'mcp.json') : path.join(appSupport(w, 'Code'), 'User', 'mcp.json')),
  },
};

export function isClientId(s: string): s is ClientId {
  return (CLIENT_IDS as readonly string[]).includes(s);
}

/** A stdio server entry as clients store it. */
export interface ServerEntry {
  type?: 'stdio';
  command: string;
  args: string[];
  [k: string]: unknown;
}

/**
 * The entry that starts `project`'s server: the absolute node binary running mcpctl's own entry
 * point (no npx: it costs about a second and may prompt), `serve -C <project>`. No env: serve loads
 * the configuration and the password itself, so nothing secret is in the client's file.
 */
export function serverEntry(client: ClientDef, project: string, node: string, bin: string): ServerEntry {
  return { ...(client.typeField ? { type: 'stdio' as const } : {}), command: node, args: [bin, 'serve', '-C', project] };
}

/** The project an entry serves when it is an mcpctl entry (`… serve -C <dir>`), else undefined. */
export function mcpctlProject(entry: unknown): string | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const args = (entry as { args?: unknown }).args;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) return undefined;
  const a = args as string[];
  const serve = a.indexOf('serve');
  if (serve === -1 || !a.slice(0, serve).some((x) => /mcpctl(\.js)?$/.test(x))) return undefined;
  const c = a.indexOf('-C', serve);
  if (c !== -1) return a[c + 1];
  const long = a.find((x) => x.startsWith('--cwd='));
  if (long) return long.slice('--cwd='.length);
  const i = a.indexOf('--cwd', serve);
  return i === -1 ? undefined : a[i + 1];
}

/** A server name clients accept (letters, digits, `_`, `-`, `.`); the folder's name made safe by default. */
export function defaultServerName(project: string): string {
  const base = path.basename(project).replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return base || 'mcp-server';
}

export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Every client file mcpctl knows for a project and a user, with the scope each belongs to. */
export function knownClientFiles(d: { ctx: { cwd: string; home: string; env: Readonly<Record<string, string | undefined>> }; platform: NodeJS.Platform }): { def: ClientDef; scope: Scope; file: string }[] {
  const w: ClientWorld = { home: d.ctx.home, platform: d.platform, env: d.ctx.env };
  const out: { def: ClientDef; scope: Scope; file: string }[] = [];
  for (const id of CLIENT_IDS) {
    for (const scope of ['project', 'user'] as const) {
      const file = CLIENTS[id].file(scope, d.ctx.cwd, w);
      if (file) out.push({ def: CLIENTS[id], scope, file });
    }
  }
  return out;
}

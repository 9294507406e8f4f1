// mcpctl client add|list|remove against real files: created from nothing, merged into files with
// comments and odd formatting (the untouched bytes compared), idempotent, removed, invalid refused.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClientAdd, runClientList, runClientRemove, type ClientDeps } from '../../src/commands/client/run.js';
import { CLIENTS, CLIENT_IDS, type ClientId } from '../../src/lib/files/mcp-clients.js';
import { BIN, runMain, tempProject, type TempProject } from '../helpers/project.js';

const NODE = process.execPath;
const deps = (p: TempProject, platform: NodeJS.Platform = 'linux'): ClientDeps => ({ ctx: p.ctx({ runtime: { platform, execPath: NODE, nodeVersion: process.version, arch: process.arch, uid: process.getuid?.() } }), events: () => undefined });

/** The only change from `before` to `after` is one insertion: every other byte is where it was. */
function onlyInserted(before: string, after: string): string {
  let pre = 0;
  while (pre < before.length && before[pre] === after[pre]) pre++;
  let suf = 0;
  while (suf < before.length - pre && before[before.length - 1 - suf] === after[after.length - 1 - suf]) suf++;
  expect(pre + suf).toBe(before.length);
  return after.slice(pre, after.length - suf);
}

const FILES: Record<ClientId, (p: TempProject) => string> = {
  'claude-desktop': (p) => path.join(p.home, '.config', 'Claude', 'claude_desktop_config.json'),
  'claude-code': (p) => path.join(p.dir, '.mcp.json'),
  cursor: (p) => path.join(p.dir, '.cursor', 'mcp.json'),
  vscode: (p) => path.join(p.dir, '.vscode', 'mcp.json'),
};

describe('client add from nothing', () => {
  it.each(CLIENT_IDS)('%s: writes the documented format with absolute paths and no secret; a re-add changes nothing', async (id) => {
    const secret = 'Zq8wX2vN5mK7pL3rT9yB4cD6';
    const p = await tempProject({ '.env.local': `POSTGRES_PASSWORD=${secret}\nDATABASE_URL=postgresql://mcp_user:${secret}@localhost/db\n` });
    try {
      const r = await runMain(['client', 'add', id, '--json'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      const file = FILES[id](p);
      expect(doc).toMatchObject({ ok: true, client: id, file, name: 'project', action: 'created' });
      // A project file gets the note about absolute paths: once on stderr, and in the result.
      const note = "the entry holds this machine's absolute paths";
      const inProject = CLIENTS[id].defaultScope === 'project';
      expect(doc.warnings).toEqual(inProject ? [expect.stringContaining(note)] : []);
      expect(r.stderr.split(note).length - 1).toBe(inProject ? 1 : 0);
      const text = await fs.readFile(file, 'utf8');
      expect(text).not.toContain(secret);
      const parsed = JSON.parse(text);
      const entry = parsed[CLIENTS[id].rootKey].project;
      expect(entry.command).toBe(NODE);
      expect(entry.args).toEqual([BIN, 'serve', '-C', p.dir]);
      expect(path.isAbsolute(entry.command) && path.isAbsolute(entry.args[0])).toBe(true);
      expect(JSON.stringify(entry)).not.toMatch(/npx/);
      if (id === 'vscode' || id === 'claude-code') expect(entry.type).toBe('stdio');
      else expect(entry.type).toBeUndefined();
      const st = await fs.stat(file);
      const again = await runMain(['client', 'add', id, '--json'], { cwd: p.dir, env: p.env });
      expect(JSON.parse(again.stdout)).toMatchObject({ action: 'unchanged', warnings: [] });
      expect(await fs.readFile(file, 'utf8')).toBe(text);
      expect((await fs.stat(file)).mtimeMs).toBe(st.mtimeMs);
    } finally {
      await p.cleanup();
    }
  });

  it('--print shows the snippet on stdout and writes nothing', async () => {
    const p = await tempProject();
    try {
      const r = await runMain(['client', 'add', 'cursor', '--print', '--name', 'db-tools'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ mcpServers: { 'db-tools': { command: NODE, args: [BIN, 'serve', '-C', p.dir] } } });
      await expect(fs.stat(path.join(p.dir, '.cursor'))).rejects.toThrow();
    } finally {
      await p.cleanup();
    }
  });

  it('puts Claude Desktop and VS Code user files where each platform keeps them', async () => {
    const p = await tempProject();
    try {
      const mac = await runClientAdd(deps(p, 'darwin'), { client: 'claude-desktop', print: true });
      expect(mac.file).toBe(path.join(p.home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json'));
      const vs = await runClientAdd(deps(p), { client: 'vscode', scope: 'user', print: true });
      expect(vs.file).toBe(path.join(p.home, '.config', 'Code', 'User', 'mcp.json'));
      const cc = await runClientAdd(deps(p), { client: 'claude-code', scope: 'user', print: true });
      expect(cc.file).toBe(path.join(p.home, '.claude.json'));
      const bad = await runMain(['client', 'add', 'claude-desktop', '--scope', 'project'], { cwd: p.dir, env: p.env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/Claude Desktop has no project scope/);
      const unknown = await runMain(['client', 'add', 'zed'], { cwd: p.dir, env: p.env });
      expect(unknown.code).toBe(2);
      const badName = await runMain(['client', 'add', 'cursor', '--name', 'a b'], { cwd: p.dir, env: p.env });
      expect(badName.code).toBe(2);
    } finally {
      await p.cleanup();
    }
  });
});

const VSCODE_JSONC = `// Workspace MCP servers\r
{\r
\t"inputs": [\r
\t\t{ "type": "promptString", "id": "api-key", "password": true }, // asked once\r
\t],\r
\t/* the servers */\r
\t"servers":   {\r
\t\t"github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" },\r
\t\t"memory": {"command":"npx","args":["-y","@modelcontextprotocol/server-memory"]}, // trailing comma\r
\t},\r
}\r
`;

const CLAUDE_JSON = `{
    "numStartups": 42,
    "mcpServers": {
        "filesystem": {
            "command": "npx",   "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]
        }
    },
    "projects": {"/x": {"allowedTools": []}}
}`;

describe('client add into existing files', () => {
  // Each client's own file, already holding another server, in formatting no formatter would write
  // (odd spacing, key order, no final newline; VS Code's with comments): add inserts only the entry,
  // a re-add changes no byte, remove gives back the exact bytes.
  const EXISTING: Record<ClientId, string> = {
    'claude-desktop': '{"globalShortcut":"Ctrl+Space",  "mcpServers" : {\n   "memory":{"command":"npx","args":["-y","@modelcontextprotocol/server-memory"],"env":{"A":"1"}}\n }}',
    'claude-code': '{\n  "mcpServers": {\n      "github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" }\n  }\n}',
    cursor: '{ "mcpServers":{ "fetch" :{ "command":"uvx","args":[ "mcp-server-fetch" ] } } ,"x-note":"kept" }',
    vscode: '{\n  // team servers\n  "servers": {\n    "fetch": { "type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"] }, /* last */\n  },\n  "inputs": []\n}',
  };
  it.each(CLIENT_IDS)('%s: merged into a file with another server and odd formatting; re-add no change; remove restores the bytes', async (id) => {
    const p = await tempProject();
    try {
      const file = FILES[id](p);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, EXISTING[id]);
      expect((await runClientAdd(deps(p), { client: id })).action).toBe('added');
      const after = await fs.readFile(file, 'utf8');
      expect(onlyInserted(EXISTING[id], after)).toContain('"project"');
      const { parse } = await import('jsonc-parser');
      const doc = parse(after, [], { allowTrailingComma: true }) as Record<string, Record<string, { args: string[] }>>;
      expect(Object.keys(doc[CLIENTS[id].rootKey]!)).toHaveLength(2);
      expect(doc[CLIENTS[id].rootKey]!.project!.args).toEqual([BIN, 'serve', '-C', p.dir]);
      if (!CLIENTS[id].jsonc) expect(() => JSON.parse(after)).not.toThrow();
      expect((await runClientAdd(deps(p), { client: id })).action).toBe('unchanged');
      expect(await fs.readFile(file, 'utf8')).toBe(after);
      expect((await runClientRemove(deps(p), { client: id })).action).toBe('removed');
      expect(await fs.readFile(file, 'utf8')).toBe(EXISTING[id]);
    } finally {
      await p.cleanup();
    }
  });

  it('VS Code JSONC with comments, tabs, CRLF and trailing commas: only the new entry is inserted; remove restores the bytes', async () => {
    const p = await tempProject({ '.vscode/mcp.json': VSCODE_JSONC });
    try {
      const file = path.join(p.dir, '.vscode', 'mcp.json');
      const r = await runClientAdd(deps(p), { client: 'vscode' });
      expect(r.action).toBe('added');
      const after = await fs.readFile(file, 'utf8');
      const inserted = onlyInserted(VSCODE_JSONC, after);
      expect(inserted).toContain('"project"');
      // On its own lines after "memory", whose comment stays on memory's line (review A5).
      expect(after).toMatch(/"memory": .*, \/\/ trailing comma\r\n\t\t"project": \{\r\n\t\t\t"type": "stdio",/);
      expect((await runClientAdd(deps(p), { client: 'vscode' })).action).toBe('unchanged');
      const list = await runClientList(deps(p));
      expect(list.entries).toEqual([expect.objectContaining({ client: 'vscode', scope: 'project', name: 'project', project: p.dir, thisProject: true })]);
      expect((await runClientRemove(deps(p), { client: 'vscode' })).action).toBe('removed');
      const removed = await fs.readFile(file, 'utf8');
      expect(removed).toBe(VSCODE_JSONC);
      expect(removed).toContain('// trailing comma');
      expect((await runClientRemove(deps(p), { client: 'vscode' })).action).toBe('unchanged');
    } finally {
      await p.cleanup();
    }
  });

  it('~/.claude.json (user scope, 4-space indent, mode 0600, a symlink): other keys kept, mode kept, link written through', async () => {
    const p = await tempProject();
    try {
      const real = await p.write('dotfiles/claude.json', CLAUDE_JSON, 0o600);
      await fs.symlink(real, path.join(p.home, '.claude.json'));
      const r = await runClientAdd(deps(p), { client: 'claude-code', scope: 'user', name: 'proj' });
      expect(r.action).toBe('added');
      expect((await fs.lstat(path.join(p.home, '.claude.json'))).isSymbolicLink()).toBe(true);
      const after = await fs.readFile(real, 'utf8');
      onlyInserted(CLAUDE_JSON, after);
      expect(after).toMatch(/\n {8}"proj": \{\n {12}"type": "stdio",/);
      expect((await fs.stat(real)).mode & 0o777).toBe(0o600);
      const doc = JSON.parse(after);
      expect(Object.keys(doc.mcpServers)).toEqual(['filesystem', 'proj']);
      expect(doc.numStartups).toBe(42);
    } finally {
      await p.cleanup();
    }
  });

  it('refuses a file that is not valid JSON (or JSON with comments where the client reads plain JSON), changing nothing', async () => {
    const broken = '{ "mcpServers": { "a": { "command": "x" } }';
    const withComment = '// team servers\n{ "mcpServers": {} }\n';
    const p = await tempProject({ '.cursor/mcp.json': broken, '.mcp.json': withComment, '.vscode/mcp.json': '[1, 2]' });
    try {
      const r = await runMain(['client', 'add', 'cursor'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\.cursor\/mcp\.json is not valid JSON \(CloseBraceExpected at line 1, column \d+\); nothing was changed/);
      expect(await p.read('.cursor/mcp.json')).toBe(broken);
      const c = await runMain(['client', 'add', 'claude-code'], { cwd: p.dir, env: p.env });
      expect(c.code).toBe(1);
      expect(c.stderr).toMatch(/InvalidCommentToken/);
      expect(await p.read('.mcp.json')).toBe(withComment);
      const v = await runMain(['client', 'add', 'vscode'], { cwd: p.dir, env: p.env });
      expect(v.code).toBe(1);
      expect(v.stderr).toMatch(/does not hold a JSON object/);
      const list = await runMain(['client', 'list', '--json'], { cwd: p.dir, env: p.env });
      expect(list.code).toBe(1);
      expect(JSON.parse(list.stdout).problems).toHaveLength(3);
      const names = (await fs.readdir(path.join(p.dir, '.cursor'))).sort();
      expect(names).toEqual(['mcp.json']);
    } finally {
      await p.cleanup();
    }
  });

  it("a server of the same name that is not this project's: refused (exit 3) unless --force; remove likewise", async () => {
    const other = JSON.stringify({ mcpServers: { project: { command: 'uvx', args: ['something-else'] } } }, null, 2);
    const p = await tempProject({ '.mcp.json': other });
    try {
      const r = await runMain(['client', 'add', 'claude-code'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/already has a server named "project"/);
      expect(await p.read('.mcp.json')).toBe(other);
      const rm = await runMain(['client', 'remove', 'claude-code'], { cwd: p.dir, env: p.env });
      expect(rm.code).toBe(3);
      const f = await runMain(['client', 'add', 'claude-code', '--force', '--json'], { cwd: p.dir, env: p.env });
      expect(JSON.parse(f.stdout).action).toBe('updated');
      expect(JSON.parse(await p.read('.mcp.json')).mcpServers.project.args).toEqual([BIN, 'serve', '-C', p.dir]);
    } finally {
      await p.cleanup();
    }
  });

  it('a UTF-8 byte-order mark: kept in VS Code\'s JSONC file (it reads one); refused by name where the client uses JSON.parse', async () => {
    const text = '\uFEFF// my config\n{\n  "servers": {\n    "other": { "type": "stdio", "command": "foo", },\n  },\n}\n';
    const p = await tempProject({ '.vscode/mcp.json': text, '.cursor/mcp.json': '\uFEFF{ "mcpServers": {} }\n' });
    try {
      const file = path.join(p.dir, '.vscode', 'mcp.json');
      expect((await runClientAdd(deps(p), { client: 'vscode' })).action).toBe('added');
      const after = await fs.readFile(file, 'utf8');
      expect(after.startsWith('\uFEFF// my config')).toBe(true);
      onlyInserted(text, after);
      expect((await runClientList(deps(p))).entries.map((e) => e.client)).toContain('vscode');
      expect((await runClientRemove(deps(p), { client: 'vscode' })).action).toBe('removed');
      expect(await fs.readFile(file, 'utf8')).toBe(text);
      const c = await runMain(['client', 'add', 'cursor'], { cwd: p.dir, env: p.env });
      expect(c.code).toBe(1);
      expect(c.stderr).toMatch(/starts with a UTF-8 byte-order mark/);
      expect(await p.read('.cursor/mcp.json')).toBe('\uFEFF{ "mcpServers": {} }\n');
    } finally {
      await p.cleanup();
    }
  });

  it('a read-only client file is refused (exit 1), not replaced by the rename', async () => {
    const text = '{ "mcpServers": {} }\n';
    const p = await tempProject({ '.mcp.json': text });
    try {
      const file = path.join(p.dir, '.mcp.json');
      await fs.chmod(file, 0o444);
      const r = await runMain(['client', 'add', 'claude-code'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\.mcp\.json is read-only \(mode 0444\); nothing was changed/);
      expect(r.stderr).toMatch(/chmod u\+w/);
      expect(await p.read('.mcp.json')).toBe(text);
      expect((await fs.stat(file)).mode & 0o777).toBe(0o444);
    } finally {
      await p.cleanup();
    }
  });

  it('eight mcpctl processes adding at once: every entry lands, the JSON stays valid, no lock is left', async () => {
    const { runCli } = await import('../helpers/project.js');
    const p = await tempProject({ '.cursor/mcp.json': '{ "mcpServers": { "other": { "command": "uvx", "args": [] } } }\n' });
    try {
      const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => runCli(['client', 'add', 'cursor', '--name', `s${i}`], { cwd: p.dir, env: p.env })));
      expect(runs.map((r) => r.code)).toEqual(Array(8).fill(0));
      const doc = JSON.parse(await p.read('.cursor/mcp.json'));
      expect(Object.keys(doc.mcpServers).sort()).toEqual(['other', 's0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
      expect((await fs.readdir(path.join(p.dir, '.cursor'))).sort()).toEqual(['mcp.json']);
    } finally {
      await p.cleanup();
    }
  });

  it('a lock left by a killed mcpctl is taken over', async () => {
    const p = await tempProject({ '.cursor/mcp.json': '{}' });
    try {
      await p.write('.cursor/mcp.json.mcpctl-lock', '999999999');
      expect((await runClientAdd(deps(p), { client: 'cursor' })).action).toBe('added');
      expect((await fs.readdir(path.join(p.dir, '.cursor'))).sort()).toEqual(['mcp.json']);
    } finally {
      await p.cleanup();
    }
  });

  it('an entry written by an older node is updated in place', async () => {
    const p = await tempProject();
    try {
      const old = { mcpServers: { project: { command: '/opt/node-18/bin/node', args: [BIN, 'serve', '-C', p.dir] } } };
      await p.write('.cursor/mcp.json', JSON.stringify(old, null, 2) + '\n');
      const r = await runClientAdd(deps(p), { client: 'cursor' });
      expect(r.action).toBe('updated');
      expect(JSON.parse(await p.read('.cursor/mcp.json')).mcpServers.project.command).toBe(NODE);
    } finally {
      await p.cleanup();
    }
  });
});

describe('comments stay with the entry they were written beside (review A5)', () => {
  const vscodeFile = (eol: string, trailingComma: string) =>
    [
      '{',
      '  // the servers of this workspace',
      '  "servers": {',
      `    "a": { "type": "stdio", "command": "a" }, // a's note`,
      `    "other": { "type": "stdio", "command": "x" }${trailingComma} // keep with other`,
      '  },',
      '  "inputs": [] /* none */',
      '}',
      '',
    ].join(eol);

  it.each([
    ['LF', '\n', ''],
    ['CRLF, entries ending with a comma', '\r\n', ','],
  ])('vscode (%s): add writes the entry on its own lines after the last one; everything else is byte for byte; remove gives the file back', async (_label, eol, trailingComma) => {
    const before = vscodeFile(eol, trailingComma);
    const p = await tempProject({ '.vscode/mcp.json': before });
    try {
      const file = path.join(p.dir, '.vscode', 'mcp.json');
      expect((await runMain(['client', 'add', 'vscode'], { cwd: p.dir, env: p.env })).code).toBe(0);
      const after = await fs.readFile(file, 'utf8');
      const start = after.indexOf(`    "project": {`);
      const end = after.indexOf(`  },${eol}  "inputs"`);
      expect(start).toBeGreaterThan(0);
      // Outside the new entry: the old bytes; "other" keeps its comment and gains the comma a
      // following entry needs (a file that ends entries with a comma already has it).
      const kept = after.slice(0, start) + after.slice(end);
      expect(kept).toBe(trailingComma ? before : before.replace('"command": "x" } // keep', '"command": "x" }, // keep'));
      const entry = after.slice(start, end);
      expect(entry.endsWith(`}${trailingComma}${eol}`)).toBe(true);
      expect(entry).not.toMatch(/\/\/|\/\*/);
      expect(JSON.parse(`{${entry.trim().replace(/,$/, '')}}`).project.args).toEqual([BIN, 'serve', '-C', p.dir]);

      expect((await runMain(['client', 'remove', 'vscode'], { cwd: p.dir, env: p.env })).code).toBe(0);
      expect(await fs.readFile(file, 'utf8')).toBe(before);
      // The last entry removed: its own comment goes with it, the one before keeps its comment.
      expect((await runClientRemove(deps(p), { client: 'vscode', name: 'other', force: true })).action).toBe('removed');
      const lines = before.split(eol);
      const expected = [...lines.slice(0, 3), trailingComma ? lines[3] : lines[3]!.replace('}, //', '} //'), ...lines.slice(5)].join(eol);
      expect(await fs.readFile(file, 'utf8')).toBe(expected);
    } finally {
      await p.cleanup();
    }
  });
});

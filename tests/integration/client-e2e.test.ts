// A real MCP client (the official SDK's Client over StdioClientTransport) starts the project's
// server exactly as the entry `mcpctl client add` wrote says: through `mcpctl serve -C <project>`.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerifyEnv } from '../../src/core/verify-env.js';
import { formatDatabaseUrl } from '../../src/lib/config/url-keys.js';
import { REPO_ROOT, runCli, tempProject, type TempProject } from '../helpers/project.js';
import { allGone, appRole, NODE } from './serve-helpers.js';

const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'mcp-server.mjs');

let role: Awaited<ReturnType<typeof appRole>>;
let p: TempProject;
let url: string;
beforeAll(async () => {
  role = await appRole();
  p = await tempProject();
  const e = role.env;
  await p.write(
    '.env',
    [`POSTGRES_HOST=${e.POSTGRES_HOST}`, `POSTGRES_PORT=${e.POSTGRES_PORT}`, `POSTGRES_USER=${e.POSTGRES_USER}`, `POSTGRES_DB=${e.POSTGRES_DB}`, 'POSTGRES_SSLMODE=disable', `MCP_SERVER_COMMAND="'${NODE}' '${FIXTURE}'"`, ''].join('\n'),
  );
  url = formatDatabaseUrl({ scheme: 'postgresql+asyncpg', user: role.user, password: role.password, host: e.POSTGRES_HOST, port: Number(e.POSTGRES_PORT), database: role.db });
  await p.write('.env.local', `POSTGRES_PASSWORD=${role.password}\nDATABASE_URL=${url}\n`, 0o600);
});
afterAll(async () => {
  await p?.cleanup();
  await role?.drop();
});

describe('client add claude-code → an MCP client starts the server through the entry', () => {
  it('initialize, list and call a tool, close: the server saw the configuration, no secret in the file, no process left', async () => {
    const add = await runCli(['client', 'add', 'claude-code'], { cwd: p.dir, env: p.env });
    expect(add.code).toBe(0);
    const text = await p.read('.mcp.json');
    expect(text).not.toContain(role.password);
    const entry = JSON.parse(text).mcpServers.project as { command: string; args: string[]; type: string };

    // As Claude Code does: the entry's command and args, an environment without the project's settings.
    const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { PATH: p.env.PATH!, HOME: p.home }, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
    const client = new Client({ name: 'mcpctl-test', version: '1.0.0' });
    await client.connect(transport).catch((e: unknown) => {
      throw new Error(`${String(e)}\n--- serve stderr:\n${stderr}`);
    });
    const servePid = transport.pid!;
    expect(client.getServerVersion()?.name).toBe('mcpctl-fixture');
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(['whoami']);
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    const seen = JSON.parse((r.content as { text: string }[])[0]!.text) as { POSTGRES_DB: string; DATABASE_URL: string; login: { u: string; d: string }; cwd: string; pid: number };
    expect(seen.POSTGRES_DB).toBe(role.db);
    // The URL key from .env.local reached the server, and it logs in.
    expect(seen.DATABASE_URL).toBe(url);
    expect(seen.login).toEqual({ u: role.user, d: role.db });
    expect(await fs.realpath(seen.cwd)).toBe(await fs.realpath(p.dir));
    await client.close();
    expect(await allGone(seen.pid, servePid)).toBe(true);
    expect(stderr).not.toContain(role.password);

    const v = await runVerifyEnv({ ctx: p.ctx() });
    expect(v.checks.find((c) => c.name === 'clients')).toMatchObject({ status: 'pass', message: expect.stringContaining('claude-code: project') });
  });
});

describe('verify-env clients check', () => {
  it('fails naming the file when the app password is in a client file, and when an entry cannot start', async () => {
    const q = await tempProject();
    try {
      await q.write('.env', `POSTGRES_USER=someone\nPOSTGRES_DB=somedb\n`);
      const pw = 'Np4rW8xK2mQ7vL9tB3zC6yD5';
      await q.write('.env.local', `POSTGRES_PASSWORD=${pw}\n`, 0o600);
      const cursor = await q.write('.cursor/mcp.json', JSON.stringify({ mcpServers: { db: { command: 'uvx', args: ['x'], env: { DATABASE_URL: `postgresql+asyncpg://someone:${pw}@localhost:5432/somedb` } } } }));
      const leak = await runVerifyEnv({ ctx: q.ctx() });
      const c = leak.checks.find((x) => x.name === 'clients')!;
      expect(c.status).toBe('fail');
      expect(c.message).toContain(`the app password is in ${cursor}`);
      expect(c.message).not.toContain(pw);
      await fs.rm(cursor);
      const vs = await q.write('.vscode/mcp.json', JSON.stringify({ servers: { project: { type: 'stdio', command: '/nonexistent/node', args: [path.join(REPO_ROOT, 'bin', 'mcpctl.js'), 'serve', '-C', q.dir] } } }));
      const bad = await runVerifyEnv({ ctx: q.ctx() });
      const b = bad.checks.find((x) => x.name === 'clients')!;
      expect(b).toMatchObject({ status: 'fail', hint: expect.stringContaining('mcpctl client add vscode') });
      expect(b.message).toContain(`vscode entry "project" in ${vs}: its command /nonexistent/node does not exist`);
    } finally {
      await q.cleanup();
    }
  });
});

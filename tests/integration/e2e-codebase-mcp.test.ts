// A codebase-mcp-style project end to end, as a new user would go: `mcpctl init`, settings in .env,
// URL keys declared by .env.example, a .venv, a Python server reading DATABASE_URL with asyncpg;
// `setup-db`, `client add claude-code`; the MCP SDK client completes a tool call through the entry
// written; `doctor` is green.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { setDotenvKey } from '../../src/lib/config/dotenv.js';
import { dropAll, harness, uniqueName } from '../helpers/pg.js';
import { REPO_ROOT, runCli, tempProject, type TempProject } from '../helpers/project.js';
import { allGone } from './serve-helpers.js';
import { needsClientTools } from '../helpers/pg-major.js';

/** doctor is green only when pg_dump can dump the server (not so with PG_MAJOR=17 and Debian's pg_dump 15). */
const dump = await needsClientTools();

let p: TempProject | undefined;
const id = uniqueName('e2e');
const names = { user: `${id}_u`, db: `${id}_db`, testDb: `${id}_test` };
afterAll(async () => {
  await dropAll({ databases: [names.db, names.testDb], roles: [names.user] });
  await p?.cleanup();
});

describe('a codebase-mcp-style project, end to end', () => {
  it.skipIf(dump.skip)(`init → setup-db → client add claude-code → an MCP client calls a tool through the entry → doctor green${dump.note}`, async () => {
    const h = harness();
    p = await tempProject();
    const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { cwd: p!.dir, env: { ...p!.env, ...extra } });

    const init = await cli(['init']);
    expect(init.code, init.stderr).toBe(0);
    let env = await p.read('.env');
    for (const [k, v] of Object.entries({
      POSTGRES_HOST: h.host,
      POSTGRES_PORT: String(h.port),
      POSTGRES_USER: names.user,
      POSTGRES_DB: names.db,
      POSTGRES_TEST_DB: names.testDb,
      POSTGRES_SSLMODE: 'disable',
      MCP_SERVER_COMMAND: 'python -m codebase_fixture.server',
    }))
      env = setDotenvKey(env, k, v);
    await p.write('.env', env);
    // What the server reads, as codebase-mcp's .env.example declares it (placeholders, no secret).
    await p.write('.env.example', `DATABASE_URL=postgresql+asyncpg://user:password@localhost:5432/${names.db}\nREGISTRY_DATABASE_URL=postgresql+asyncpg://user:password@localhost:5432/${names.testDb}\n`);
    await fs.cp(path.join(REPO_ROOT, 'tests', 'fixtures', 'codebase_fixture'), path.join(p.dir, 'codebase_fixture'), { recursive: true });
    // The project's own interpreter (with Debian's asyncpg and SQLAlchemy visible to it).
    execFileSync('/usr/bin/python3', ['-m', 'venv', '--system-site-packages', '--without-pip', path.join(p.dir, '.venv')]);

    const setup = await cli(['setup-db'], { SETUP_POSTGRES_USER: h.superuser, SETUP_POSTGRES_PASSWORD: h.superuserPassword });
    expect(setup.code, setup.stderr).toBe(0);
    const local = await p.read('.env.local');
    expect(local).toMatch(/^DATABASE_URL=postgresql\+asyncpg:\/\//m);
    expect(local).toMatch(/^REGISTRY_DATABASE_URL=postgresql\+asyncpg:\/\//m);

    const add = await cli(['client', 'add', 'claude-code']);
    expect(add.code, add.stderr).toBe(0);
    const mcpJson = await p.read('.mcp.json');
    const password = /^POSTGRES_PASSWORD=(.*)$/m.exec(local)![1]!;
    expect(mcpJson).not.toContain(password);
    const entry = JSON.parse(mcpJson).mcpServers.project as { command: string; args: string[] };

    const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { PATH: p.env.PATH!, HOME: p.home }, cwd: '/', stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport).catch((e: unknown) => {
      throw new Error(`${String(e)}\n--- stderr:\n${stderr}`);
    });
    const servePid = transport.pid!;
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['whoami']);
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    const seen = JSON.parse((r.content as { text: string }[])[0]!.text) as Record<string, unknown> & { pid: number; DATABASE_URL: string };
    expect(seen).toMatchObject({ POSTGRES_DB: names.db, login: { u: names.user, d: names.db }, python: path.join(p.dir, '.venv', 'bin', 'python') });
    expect(seen.DATABASE_URL).toBe(/^DATABASE_URL=(.*)$/m.exec(local)![1]);
    await client.close();
    expect(await allGone(seen.pid, servePid)).toBe(true);

    const doctor = await cli(['doctor', '--json', '--python-package', 'asyncpg']);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { name: string; status: string; message: string }[] };
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed).toEqual([]);
    expect(doctor.code).toBe(0);
    expect(report.checks.find((c) => c.name === 'client claude-code: project')).toMatchObject({ status: 'pass', message: expect.stringMatching(/answers initialize \(codebase-fixture 0\.1\.0\)/) });
    expect(report.checks.find((c) => c.name === 'server-command')?.status).toBe('pass');
    expect(report.checks.find((c) => c.name === 'url-keys')).toMatchObject({ status: 'pass', message: expect.stringMatching(/DATABASE_URL .*REGISTRY_DATABASE_URL/) });
    expect(report.checks.find((c) => c.name === 'config')?.status).toBe('pass');
    expect(doctor.stdout + doctor.stderr).not.toContain(password);
  });
});

// mcpctl doctor: one report of verify-env, verify-db and the client entries, each entry started
// as its client would start it. Here: the ways an entry fails, and the exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/commands/doctor/run.js';
import { runMain, tempProject, type TempProject } from '../helpers/project.js';
import { appRole, NODE } from './serve-helpers.js';

let role: Awaited<ReturnType<typeof appRole>>;
beforeAll(async () => {
  role = await appRole();
});
afterAll(async () => role?.drop());

/** A project whose configuration is in its files (the client's environment carries none). */
async function project(serverCommand: string): Promise<TempProject> {
  const e = role.env;
  const p = await tempProject();
  await p.write('.env', `POSTGRES_HOST=${e.POSTGRES_HOST}\nPOSTGRES_PORT=${e.POSTGRES_PORT}\nPOSTGRES_USER=${e.POSTGRES_USER}\nPOSTGRES_DB=${e.POSTGRES_DB}\nPOSTGRES_SSLMODE=disable\nMCP_SERVER_COMMAND="${serverCommand}"\n`);
  await p.write('.env.local', `POSTGRES_PASSWORD=${role.password}\n`, 0o600);
  expect((await runMain(['client', 'add', 'cursor'], { cwd: p.dir, env: p.env })).code).toBe(0);
  return p;
}

const doctor = (p: TempProject, over: Record<string, string> = {}) => runDoctor({ ctx: p.ctx({ env: { ...p.env, ...over } }), platform: 'linux', version: 'test' }, { pythonPackages: ['json'], timeoutMs: 5000 });
const clientCheck = (r: Awaited<ReturnType<typeof doctor>>) => r.checks.find((c) => c.name === 'client cursor: project')!;

describe('mcpctl doctor', () => {
  it('reports a server that exits before answering, with the tail of its stderr', async () => {
    const p = await project(`'${NODE}' -e 'console.error(\\"ImportError: no module named fastmcp\\"); process.exit(3)'`);
    try {
      const r = await doctor(p);
      expect(r.ok).toBe(false);
      expect(clientCheck(r)).toMatchObject({ status: 'fail', message: expect.stringMatching(/exited \(code 3\) before answering initialize; stderr: .*ImportError: no module named fastmcp/) });
      expect(clientCheck(r).hint).toContain('serve -C');
      expect(r.sections.clients).toEqual(['client cursor: project']);
      expect(JSON.stringify(r)).not.toContain(role.password);
    } finally {
      await p.cleanup();
    }
  });

  it('reports a server that writes something else than the protocol on stdout', async () => {
    const p = await project(`'${NODE}' -e 'console.log(\\"Starting server...\\"); setInterval(() => {}, 1000)'`);
    try {
      const r = await doctor(p);
      expect(clientCheck(r)).toMatchObject({ status: 'fail', message: expect.stringMatching(/not JSON-RPC on stdout \(Starting server\.\.\.\)/) });
    } finally {
      await p.cleanup();
    }
  });

  it('does not start entries when the database is down; --no-start skips them; the CLI exits 1 with one JSON document', async () => {
    const p = await project(`'${NODE}' -e 0`);
    try {
      const down = await doctor(p, { POSTGRES_PORT: '1' });
      expect(down.checks.find((c) => c.name === 'reachable')?.status).toBe('fail');
      expect(clientCheck(down)).toMatchObject({ status: 'skip', message: 'not started: the database checks failed' });
      const r = await runMain(['doctor', '--json', '--no-start', '--python-package', 'json'], { cwd: p.dir, env: { ...p.env, POSTGRES_PORT: '1' } });
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.ok).toBe(false);
      expect(doc.checks.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['python', 'config', 'clients', 'reachable', 'pool', 'client cursor: project']));
    } finally {
      await p.cleanup();
    }
  });

  it('url-keys: logs in with every URL key the server gets; one naming a database no one created fails, naming it', async () => {
    const p = await project(`'${NODE}' -e 0`);
    try {
      const e = role.env;
      const url = (db: string) => `postgresql+asyncpg://${role.user}:${encodeURIComponent(role.password)}@${e.POSTGRES_HOST}:${e.POSTGRES_PORT}/${db}`;
      await p.write('.env.local', `POSTGRES_PASSWORD=${role.password}\nDATABASE_URL=${url(role.db)}\nREGISTRY_DATABASE_URL=${url('no_such_registry')}\n`, 0o600);
      const r = await runDoctor({ ctx: p.ctx(), platform: 'linux', version: 'test' }, { pythonPackages: ['json'], timeoutMs: 5000, startClients: false });
      const c = r.checks.find((x) => x.name === 'url-keys')!;
      expect(c).toMatchObject({ status: 'fail', message: expect.stringMatching(/^REGISTRY_DATABASE_URL \(\.env\.local:3\): database "no_such_registry" does not exist/) });
      expect(c.message).not.toMatch(/^DATABASE_URL|; DATABASE_URL/);
      expect(c.hint).toMatch(/POSTGRES_DB or POSTGRES_TEST_DB/);
      expect(r.sections.db).toContain('url-keys');
      expect(JSON.stringify(r)).not.toContain(role.password);
      await p.write('.env.local', `POSTGRES_PASSWORD=${role.password}\nDATABASE_URL=${url(role.db)}\n`, 0o600);
      const ok = await runDoctor({ ctx: p.ctx(), platform: 'linux', version: 'test' }, { pythonPackages: ['json'], timeoutMs: 5000, startClients: false });
      expect(ok.checks.find((x) => x.name === 'url-keys')).toMatchObject({ status: 'pass', message: `log in: DATABASE_URL (${role.user}@${role.db})` });
    } finally {
      await p.cleanup();
    }
  });

  it('exits 2 with the report when the configuration is invalid', async () => {
    const p = await project(`'${NODE}' -e 0`);
    try {
      const r = await runMain(['doctor', '--no-start'], { cwd: p.dir, env: { ...p.env, POSTGRES_PORT: 'abc' } });
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/\[✗\] config/);
      expect(r.stdout).toMatch(/\[-\] database +configuration invalid/);
    } finally {
      await p.cleanup();
    }
  });
});

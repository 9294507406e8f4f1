import { promises as fs, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { readSuperuserPassword } from '../../src/lib/local-pg/cluster.js';
import { isRoot, postmasterState, serverUser } from '../../src/commands/db/server.js';
import { freePort } from '../helpers/cluster.js';
import { cliAs, freshHome, type FreshHome } from '../helpers/local-db.js';

const homes: FreshHome[] = [];
afterEach(async () => {
  for (const h of homes.splice(0)) await h.cleanup();
});
async function home(opts: Parameters<typeof freshHome>[0] = {}) {
  const h = await freshHome(opts);
  homes.push(h);
  return h;
}
const json = (s: string) => JSON.parse(s) as Record<string, unknown>;

async function superuserQuery(h: FreshHome, port: number, sql: string, password = readSuperuserPassword(h.layout)) {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('mcpctl db: lifecycle', () => {
  it('starts from nothing, again without change, stops, starts with its data kept, and says so in status', async () => {
    const h = await home();
    const port = await freePort();
    const before = json((await h.db(['db', 'status', '--json'])).stdout);
    expect(before).toMatchObject({ initialised: false, running: false, version: null });

    const first = await h.db(['db', 'start', '--port', String(port), '--json']);
    expect(first.code, first.stderr).toBe(0);
    const s1 = json(first.stdout);
    expect(s1).toMatchObject({ action: 'created', changed: true, running: true, port, host: '127.0.0.1', dataDir: h.layout.dataDir });
    expect(Object.keys(s1)).toEqual(expect.arrayContaining(['running', 'version', 'port', 'host', 'dataDir', 'binDir']));
    expect(String(s1.version)).toMatch(/^\d+(\.\d+)?$/);
    // The password: only in a 0600 file, never in the output.
    const password = readSuperuserPassword(h.layout)!;
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(statSync(h.layout.passwordFile).mode & 0o777).toBe(0o600);
    expect(first.stdout + first.stderr).not.toContain(password);
    expect(statSync(h.layout.socketDir).mode & 0o777).toBe(0o700);

    // scram-sha-256 everywhere; a wrong password is refused; only 127.0.0.1 and the socket folder.
    const rows = await superuserQuery(h, port, "SELECT current_setting('listen_addresses') AS l, current_setting('unix_socket_directories') AS u, (SELECT array_agg(DISTINCT auth_method) FROM pg_hba_file_rules) AS m");
    expect(rows[0]).toEqual({ l: '127.0.0.1', u: h.layout.socketDir, m: ['scram-sha-256'] });
    await expect(superuserQuery(h, port, 'SELECT 1', 'wrong-password-123')).rejects.toMatchObject({ code: '28P01' });
    await superuserQuery(h, port, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');

    const pid = postmasterState(h.layout.dataDir)!.pid;
    const again = await h.db(['db', 'start', '--json']);
    expect(json(again.stdout)).toMatchObject({ action: 'already-running', changed: false, port, pid });

    const stop = await h.db(['db', 'stop', '--json']);
    expect(json(stop.stdout)).toMatchObject({ changed: true, running: false });
    expect(json((await h.db(['db', 'status', '--json'])).stdout)).toMatchObject({ initialised: true, running: false, port });
    expect(json((await h.db(['db', 'stop', '--json'])).stdout)).toMatchObject({ changed: false });

    const restart = await h.db(['db', 'start', '--json']);
    expect(json(restart.stdout)).toMatchObject({ action: 'started', changed: true, port });
    expect(await superuserQuery(h, port, 'SELECT x FROM kept')).toEqual([{ x: 42 }]);
  });

  it('keeps running after mcpctl exits, and the printed URL logs in without a password in it', async () => {
    const h = await home();
    const r = await cliAs(['db', 'start', '--port', String(await freePort())], { cwd: h.home, env: h.env });
    expect(r.code, r.stderr).toBe(0);
    const url = (await cliAs(['db', 'url'], { cwd: h.home, env: h.env })).stdout.trim();
    expect(url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?passfile=/);
    expect(url).not.toContain(readSuperuserPassword(h.layout)!);
    const { execCapture } = await import('../../src/lib/process/exec.js');
    const q = await execCapture('psql', [url, '-XAtc', 'SELECT 7*6'], { cwd: h.home, env: { PATH: process.env.PATH } });
    expect(q.stdout.trim(), q.stderr).toBe('42');
  });

  it('takes the next free port when its own is busy, and records it', async () => {
    const h = await home();
    const port = await freePort();
    expect((await h.db(['db', 'start', '--port', String(port)])).code).toBe(0);
    await h.db(['db', 'stop']);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await h.db(['db', 'start', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const moved = json(r.stdout);
      expect(moved.portMoved).toEqual({ from: port, to: moved.port });
      expect(moved.port).not.toBe(port);
      expect(json((await h.db(['db', 'status', '--json'])).stdout).port).toBe(moved.port);
      // An explicit --port that is busy is refused rather than moved.
      await h.db(['db', 'stop']);
      const busy = await h.db(['db', 'start', '--port', String(port)]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`port ${port}`);
    } finally {
      blocker.close();
    }
  });

  it('destroy is refused without the typed word, then deletes everything when confirmed', async () => {
    const h = await home();
    expect((await h.db(['db', 'start', '--port', String(await freePort())])).code).toBe(0);
    const refused = await h.db(['db', 'destroy']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('--confirm destroy');
    const yes = await h.db(['db', 'destroy', '--yes']);
    expect(yes.code).toBe(3);
    const wrong = await h.db(['db', 'destroy', '--confirm', 'DESTROY']);
    expect(wrong.code).toBe(3);
    expect(postmasterState(h.layout.dataDir)).toBeDefined();

    const ok = await h.db(['db', 'destroy', '--confirm', 'destroy', '--json']);
    expect(json(ok.stdout)).toMatchObject({ destroyed: true, wasRunning: true });
    await expect(fs.stat(h.layout.base)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(json((await h.db(['db', 'destroy', '--confirm', 'destroy', '--json'])).stdout)).toMatchObject({ destroyed: false });
  });

  it('starts at once make one cluster; a stale lock and a half-made data folder are cleared', async () => {
    const h = await home();
    await fs.mkdir(h.layout.base, { recursive: true });
    await fs.mkdir(h.layout.dataDir + '.init-999999');
    await fs.writeFile(h.layout.lockFile, '999999');
    const port = String(await freePort());
    // Three takers of the stale lock: none may delete another's fresh lock.
    const runs = await Promise.all([1, 2, 3].map(() => cliAs(['db', 'start', '--port', port, '--json'], { cwd: h.home, env: h.env })));
    expect(runs.map((r) => r.code), runs.map((r) => r.stderr).join('')).toEqual([0, 0, 0]);
    expect(runs.map((r) => json(r.stdout).action).sort()).toEqual(['already-running', 'already-running', 'created']);
    await expect(fs.stat(h.layout.lockFile + '.takeover')).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fs.readdir(h.layout.base)).filter((f) => f.startsWith('data.init-'))).toEqual([]);
    await expect(fs.stat(h.layout.lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says what is missing when MCPCTL_PG_BIN is wrong, and what to do with no binaries (exit 3 names --download)', async () => {
    const h = await home();
    const wrong = await h.db(['db', 'start'], { MCPCTL_PG_BIN: '/nonexistent/bin' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('MCPCTL_PG_BIN');
    // A major with no installed binaries and no --download: a question nobody can answer here.
    const majors = [14, 16, 18];
    const missing = await h.db(['db', 'start', '--pg-major', String(majors.find((m) => !process.env.MCPCTL_PG_BIN?.includes(`/${m}.`)) ?? 14)], { MCPCTL_PG_BIN: '' });
    if (missing.code !== 0) {
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('--download');
      await expect(fs.stat(h.layout.dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });
});

describe.runIf(isRoot(process.getuid?.()))('mcpctl db as root', () => {
  it('runs the server as postgres, with the data folder owned by it', async () => {
    const who = (await serverUser(process.getuid?.()))!;
    const h = await home();
    expect((await h.db(['db', 'start', '--port', String(await freePort())])).code).toBe(0);
    expect(statSync(h.layout.dataDir).uid).toBe(who.uid);
    expect(statSync(h.layout.socketDir).uid).toBe(who.uid);
    const { readFileSync } = await import('node:fs');
    const pid = postmasterState(h.layout.dataDir)!.pid;
    const uid = /Uid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    expect(Number(uid)).toBe(who.uid);
    // The password file stays root's.
    expect(statSync(h.layout.passwordFile).uid).toBe(0);
  });

  it('refuses before changing anything when postgres cannot reach the data folder', async () => {
    const h = await home();
    await fs.chmod(h.home, 0o700);
    const r = await h.db(['db', 'start']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot enter ${h.home}`);
    expect(r.stderr).toContain('XDG_DATA_HOME');
    expect(await fs.readdir(h.home)).toEqual([]);
  });

  it('works for a non-root user, whose own processes run the server', async () => {
    const who = (await serverUser(process.getuid?.()))!;
    const h = await home({ owner: who });
    const port = String(await freePort());
    const r = await cliAs(['db', 'start', '--port', port, '--json'], { cwd: h.home, env: h.env, uid: who.uid, gid: who.gid });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(h.layout.passwordFile).uid).toBe(who.uid);
    expect(statSync(h.layout.base).mode & 0o777).toBe(0o700);
    const stop = await cliAs(['db', 'stop', '--json'], { cwd: h.home, env: h.env, uid: who.uid, gid: who.gid });
    expect(JSON.parse(stop.stdout)).toMatchObject({ changed: true, running: false });
  });
});

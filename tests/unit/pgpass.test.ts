import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { libpqSocketDirProbe } from '../../src/lib/process/libpq-socket.js';
import { UsageError } from '../../src/lib/cli/errors.js';
import { asyncpgLookup, asyncpgRows, libpqLines } from '../../src/lib/config/pgpass-libpq.js';
import { concreteEntries, escapeField, lookupPgpass, mergePgpass, mergePgpassChecked, pgpassHost, pgpassPath } from '../../src/lib/config/pgpass.js';

const key = { host: 'localhost', port: 5432, database: 'db', user: 'u' };
const DEB = { defaultSocketDir: '/var/run/postgresql' };

describe('lookupPgpass (libpq rules, on bytes)', () => {
  it('takes the first matching line, with * wildcards', () => {
    const text = '# comment\nother:5432:db:u:no\n*:*:*:u:first\nlocalhost:5432:db:u:second\n';
    expect(lookupPgpass(text, key)).toBe('first');
  });

  it('de-escapes \\: and \\\\ in fields and passwords, and any other escaped character', () => {
    expect(lookupPgpass('localhost:5432:db:u:pa\\:ss\\\\word\n', key)).toBe('pa:ss\\word');
    expect(lookupPgpass('localhost:5432:db:u:\\a\\*b\n', key)).toBe('a*b');
    expect(lookupPgpass('localhost:5432:d\\:b:u:pw1\n', { ...key, database: 'd:b' })).toBe('pw1');
    expect(lookupPgpass('localhost:5432:db\\\\:u:pw2\n', { ...key, database: 'db\\' })).toBe('pw2');
    // An escaped star is a literal star, not a wildcard.
    expect(lookupPgpass('\\*:5432:db:u:pw\n', key)).toBeUndefined();
  });

  it('ends the password at an unescaped colon, as libpq does; an empty one is no password', () => {
    expect(lookupPgpass('localhost:5432:db:u:abc:def\n', key)).toBe('abc');
    expect(lookupPgpass('localhost:5432:db:u:\nlocalhost:5432:db:u:later\n', key)).toBeUndefined();
  });

  it('maps only libpq\'s default socket directory to localhost; other socket paths match literally', () => {
    expect(pgpassHost('/var/run/postgresql', '/var/run/postgresql')).toBe('localhost');
    expect(pgpassHost('/tmp/x/sock', '/var/run/postgresql')).toBe('/tmp/x/sock');
    expect(pgpassHost('/var/run/postgresql/', '/var/run/postgresql')).toBe('/var/run/postgresql/');
    expect(pgpassHost('', '/tmp')).toBe('localhost');
    const file = 'localhost:5433:db:u:local\n/tmp/x:5433:db:u:literal\n';
    expect(lookupPgpass(file, { ...key, host: '/tmp/x', port: 5433 }, DEB)).toBe('literal');
    expect(lookupPgpass(file, { ...key, host: '/var/run/postgresql', port: 5433 }, DEB)).toBe('local');
    expect(lookupPgpass('localhost:5433:db:u:local\n', { ...key, host: '/tmp/x', port: 5433 }, DEB)).toBeUndefined();
  });

  it("asks a run's probe for libpq's socket directory only for a socket host, and the probe runs psql once", async () => {
    // A psql that counts its runs and names the socket libpq would have tried.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-probe-'));
    try {
      const count = path.join(dir, 'runs');
      await fs.writeFile(path.join(dir, 'psql'), `#!/bin/sh\nprintf x >> '${count}'\necho 'psql: error: connection to server on socket "/run/fake-pg/.s.PGSQL.1" failed' >&2\nexit 2\n`, { mode: 0o755 });
      const env = { PATH: `${dir}:/usr/bin:/bin` };
      const runs = async () => (await fs.readFile(count, 'utf8').catch(() => '')).length;
      const probe = libpqSocketDirProbe(env);
      const file = 'localhost:5433:db:u:local\n';
      expect(lookupPgpass(file, { ...key, host: '127.0.0.1', port: 5433 }, { defaultSocketDir: probe })).toBeUndefined();
      expect(await runs()).toBe(0);
      expect(lookupPgpass(file, { ...key, host: '/run/fake-pg', port: 5433 }, { defaultSocketDir: probe })).toBe('local');
      expect(pgpassHost('/run/fake-pg', probe)).toBe('localhost');
      expect(await runs()).toBe(1);
      // Another run (another Context) probes again: nothing is remembered by the module.
      expect(pgpassHost('/tmp/other', libpqSocketDirProbe(env))).toBe('/tmp/other');
      expect(await runs()).toBe(2);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('ignores comments, blank and CRLF lines, and partial wildcards; keeps leading spaces', () => {
    expect(lookupPgpass('#localhost:5432:db:u:x\r\n\r\nlocalhost:5432:db:u:y\r\n', key)).toBe('y');
    expect(lookupPgpass('local*:5432:db:u:x\n', key)).toBeUndefined();
    expect(lookupPgpass(' localhost:5432:db:u:x\n', key)).toBeUndefined();
  });

  it('works on bytes: a NUL ends what fgets returned, so the line runs on into the next', () => {
    const nul = Buffer.from('other:1:x:y:z\0junk\nlocalhost:5432:db:u:pw\n');
    // libpq sees "other:1:x:y:zlocalhost:5432:db:u:pw" — one line, no match.
    expect(libpqLines(nul).map((l) => l.bytes.toString())).toEqual(['other:1:x:y:zlocalhost:5432:db:u:pw']);
    expect(lookupPgpass(nul, key)).toBeUndefined();
    const latin1 = Buffer.concat([Buffer.from('localhost:5432:db:u:caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    expect(lookupPgpass(latin1, key)).toBeUndefined(); // not UTF-8: mcpctl could not send the same bytes
    expect(lookupPgpass(Buffer.from('localhost:5432:db:u:café\n'), key)).toBe('café');
  });

  it('reads a line longer than its buffer as libpq does', () => {
    const long = `localhost:5432:db:u:${'x'.repeat(1000)}\n`;
    expect(lookupPgpass(long, key)).toBe('x'.repeat(1000));
  });
});

describe('asyncpg model', () => {
  it('strips lines, never de-escapes, maps every socket path to localhost, and stops at a short line', () => {
    const rows = asyncpgRows(Buffer.from('  localhost:5432:db:u:pa\\:ss  \n'))!;
    expect(asyncpgLookup(rows, { ...key, port: '5432' })).toMatchObject({ password: 'pa\\:ss' });
    expect(asyncpgLookup(rows, { ...key, host: '/tmp/x', port: '5432' })).toMatchObject({ password: 'pa\\:ss' });
    expect(asyncpgLookup(asyncpgRows(Buffer.from('short:line\nlocalhost:5432:db:u:p\n'))!, { ...key, port: '5432' })).toBe('crash');
    expect(asyncpgRows(Buffer.from([0xff, 0x0a]))).toBeUndefined();
  });
});

describe('mergePgpass', () => {
  it('replaces stale entries for the same key and keeps every other line byte for byte', () => {
    const before = '# my file\r\nhost2:5432:db:u:keep\\:me\nlocalhost:5432:db:u:old\nlocalhost:5432:db:u:older\n*:*:*:*:fallback\n';
    const after = mergePgpass(before, [{ ...key, password: 'new' }]);
    expect(after).toBe('# my file\r\nhost2:5432:db:u:keep\\:me\nlocalhost:5432:db:u:new\n*:*:*:*:fallback\n');
    expect(lookupPgpass(after, key)).toBe('new');
  });

  it('inserts before a wildcard line that would shadow the new entry, and before a line that stops asyncpg', () => {
    expect(mergePgpass('*:*:*:u:wild\n', [{ ...key, password: 'mine' }])).toBe('localhost:5432:db:u:mine\n*:*:*:u:wild\n');
    expect(mergePgpass('a:1:b\n', [{ ...key, password: 'mine' }])).toBe('localhost:5432:db:u:mine\na:1:b\n');
  });

  it('appends to an empty or unterminated file', () => {
    expect(mergePgpass('', [{ ...key, password: 'p' }])).toBe('localhost:5432:db:u:p\n');
    expect(mergePgpass('a:1:b:c:d', [{ ...key, password: 'p' }])).toBe('a:1:b:c:d\nlocalhost:5432:db:u:p\n');
  });

  it('is idempotent', () => {
    const both = [{ ...key, password: 'p' }, { ...key, database: 'db2', password: 'p' }];
    const once = mergePgpass('x:1:y:z:w\n', both);
    expect(mergePgpass(once, both)).toBe(once);
  });

  it('writes a literal-path entry and a localhost entry for a non-default socket directory; distinct keys never replace each other', () => {
    const sock = { ...key, host: '/tmp/x/sock', password: 'p' };
    expect(concreteEntries(sock, DEB.defaultSocketDir).map((e) => e.host)).toEqual(['/tmp/x/sock', 'localhost']);
    expect(concreteEntries({ ...sock, host: '/var/run/postgresql' }, DEB.defaultSocketDir).map((e) => e.host)).toEqual(['localhost']);
    const out = mergePgpass('/tmp/y:5432:db:u:other\n', [sock], DEB);
    expect(out).toBe('/tmp/y:5432:db:u:other\n/tmp/x/sock:5432:db:u:p\nlocalhost:5432:db:u:p\n');
    expect(lookupPgpass(out, sock, DEB)).toBe('p');
    expect(lookupPgpass(out, { ...sock, host: '/tmp/y' }, DEB)).toBe('other');
  });

  it('keeps bytes that are not UTF-8 exactly, and warns that asyncpg cannot read such a file', () => {
    const before = Buffer.concat([Buffer.from('h:1:d:u:'), Buffer.from([0xe9, 0x00, 0xff]), Buffer.from('\n')]);
    const r = mergePgpassChecked(before, [{ ...key, password: 'p' }]);
    expect(Buffer.isBuffer(r.data)).toBe(true);
    // Our line goes first: after a NUL, libpq would read it as part of that line.
    expect(r.data.subarray(r.data.length - before.length).equals(before)).toBe(true);
    expect(r.warnings[0]).toMatch(/not UTF-8: asyncpg/);
  });

  it('refuses (exit 2) what no line can hold, naming the field, never the value', () => {
    for (const [field, v] of [['password', 'new\nline'], ['password', ''], ['database', '*'], ['user', 'x\ry']] as const) {
      let err: unknown;
      try {
        mergePgpass('', [{ ...key, password: 'ok', [field]: v }]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toContain(`the ${field}`);
      if (v.length > 1) expect((err as Error).message).not.toContain(v);
    }
  });

  it('writes what libpq reads exactly but asyncpg cannot (":" "\\", surrounding spaces, IPv6) with a warning', () => {
    for (const e of [{ ...key, password: 'a:b\\c' }, { ...key, password: ' lead' }, { ...key, host: '::1', password: 'p' }]) {
      const r = mergePgpassChecked('', [e]);
      expect(lookupPgpass(r.data, e)).toBe(e.password);
      expect(r.warnings.join()).toMatch(/asyncpg reads its/);
    }
    expect(escapeField('a:b\\')).toBe('a\\:b\\\\');
  });
});

describe('a large password file (a hostile or generated one)', () => {
  it('merges 50,000 lines: every other line kept byte for byte, a CRLF line and an escaped-key line replaced, the entry before a catch-all', () => {
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) lines.push(`host${i}.example:5432:db${i}:user${i}:pw-${i}`);
    lines.splice(30_000, 0, 'localhost:5432:db:u:old\r', '\\l\\o\\c\\alhost:5432:d\\b:\\u:older', '*:*:*:u:catch-all');
    const input = Buffer.from(lines.join('\n') + '\n');
    const out = mergePgpass(input, [{ ...key, password: 'new-password' }], DEB).toString();
    const got = out.split('\n');
    expect(got.length).toBe(50_003);
    expect(got.at(-1)).toBe('');
    expect(got[30_000]).toBe('localhost:5432:db:u:new-password');
    expect(got[30_001]).toBe('*:*:*:u:catch-all');
    expect(got.filter((l) => l.startsWith('host')).length).toBe(50_000);
    expect(lookupPgpass(out, key, DEB)).toBe('new-password');
  });
});

describe('pgpassPath', () => {
  it('prefers PGPASSFILE', () => {
    expect(pgpassPath({ PGPASSFILE: '/x/pass' }, '/home/u')).toBe('/x/pass');
    expect(pgpassPath({}, '/home/u')).toBe('/home/u/.pgpass');
  });
});

import { describe, expect, it } from 'vitest';
import { escapeField, formatEntry, lookupPgpass, mergePgpass, parseLine, pgpassHost, pgpassPath } from '../../src/lib/pgpass.js';

const key = { host: 'localhost', port: 5432, database: 'db', user: 'u' };

describe('lookupPgpass (libpq rules)', () => {
  it('takes the first matching line, with * wildcards', () => {
    const text = '# comment\nother:5432:db:u:no\n*:*:*:u:first\nlocalhost:5432:db:u:second\n';
    expect(lookupPgpass(text, key)).toBe('first');
  });

  it('de-escapes \\: and \\\\ in fields and passwords', () => {
    const text = 'localhost:5432:db:u:pa\\:ss\\\\word\n';
    expect(lookupPgpass(text, key)).toBe('pa:ss\\word');
  });

  it('matches an escaped colon in a field, and a field ending in an escaped backslash', () => {
    expect(lookupPgpass('localhost:5432:d\\:b:u:pw1\n', { ...key, database: 'd:b' })).toBe('pw1');
    expect(lookupPgpass('localhost:5432:db\\\\:u:pw2\n', { ...key, database: 'db\\' })).toBe('pw2');
  });

  it('ends the password at an unescaped colon, as libpq does', () => {
    expect(lookupPgpass('localhost:5432:db:u:abc:def\n', key)).toBe('abc');
  });

  it('uses localhost for socket directories', () => {
    expect(pgpassHost('/var/run/postgresql')).toBe('localhost');
    expect(lookupPgpass('localhost:5433:db:u:sock\n', { ...key, host: '/tmp', port: 5433 })).toBe('sock');
  });

  it('ignores comments, blank and CRLF lines, and partial wildcards', () => {
    expect(lookupPgpass('#localhost:5432:db:u:x\r\n\r\nlocalhost:5432:db:u:y\r\n', key)).toBe('y');
    expect(lookupPgpass('local*:5432:db:u:x\n', key)).toBeUndefined();
  });
});

describe('mergePgpass', () => {
  it('replaces stale entries for the same key and keeps every other line byte for byte', () => {
    const before = '# my file\r\nhost2:5432:db:u:keep\\:me\nlocalhost:5432:db:u:old\nlocalhost:5432:db:u:older\n*:*:*:*:fallback\n';
    const after = mergePgpass(before, [{ ...key, password: 'new' }]);
    expect(after).toBe('# my file\r\nhost2:5432:db:u:keep\\:me\nlocalhost:5432:db:u:new\n*:*:*:*:fallback\n');
    expect(lookupPgpass(after, key)).toBe('new');
  });

  it('inserts before a wildcard line that would shadow the new entry', () => {
    const after = mergePgpass('*:*:*:u:wild\n', [{ ...key, password: 'mine' }]);
    expect(after).toBe('localhost:5432:db:u:mine\n*:*:*:u:wild\n');
    expect(lookupPgpass(after, key)).toBe('mine');
  });

  it('appends to an empty or unterminated file', () => {
    expect(mergePgpass('', [{ ...key, password: 'p' }])).toBe('localhost:5432:db:u:p\n');
    expect(mergePgpass('a:1:b:c:d', [{ ...key, password: 'p' }])).toBe('a:1:b:c:d\nlocalhost:5432:db:u:p\n');
  });

  it('is idempotent', () => {
    const once = mergePgpass('x:1:y:z:w\n', [{ ...key, password: 'p' }, { ...key, database: 'db2', password: 'p' }]);
    expect(mergePgpass(once, [{ ...key, password: 'p' }, { ...key, database: 'db2', password: 'p' }])).toBe(once);
  });

  it('escapes : and \\ so that libpq reads the value back', () => {
    const pw = 'a:b\\c:';
    const text = mergePgpass('', [{ ...key, password: pw }]);
    expect(text).toBe(`localhost:5432:db:u:${escapeField(pw)}\n`);
    expect(lookupPgpass(text, key)).toBe(pw);
    expect(parseLine(formatEntry({ ...key, password: pw }))).toEqual(['localhost', '5432', 'db', 'u', pw]);
  });
});

describe('pgpassPath', () => {
  it('prefers PGPASSFILE', () => {
    expect(pgpassPath({ PGPASSFILE: '/x/pass' }, '/home/u')).toBe('/x/pass');
    expect(pgpassPath({}, '/home/u')).toBe('/home/u/.pgpass');
  });
});

/**
 * Seeded generator of adversarial and random password files for one connection key each, for
 * the differential tests against libpq and asyncpg. The same seed gives the same bytes.
 */
import { Prng } from '../../src/lib/prng.js';

export interface PgpassKeyCase {
  host: string;
  port: number;
  database: string;
  user: string;
}
export interface PgpassCase {
  id: number;
  key: PgpassKeyCase;
  bytes: Buffer;
}

const PW_CHUNKS = ['pw', ':', '\\', '\\:', '\\\\', '#', ' ', '\t', '*', 'é', '😀', '\u00a0', '\r', 'x', 'secret', '$', '"', "'"];
const DBS = ['db', 'd:b', 'd\\b', 'x y', 'é', '*', 'db2'];
const USER_SUFFIX = ['', '', '', ':c', '\\s', ' sp', 'é', '*x', '#'];

/** A field as written: escaped properly, over-escaped, raw, wildcard, or wrong. */
function field(r: Prng, value: string): string {
  switch (r.int(10)) {
    case 0:
      return '*';
    case 1:
      return value.replace(/./gu, (c) => (r.chance(50) ? '\\' + c : c)); // any escaped char is that char
    case 2:
      return value; // raw: a `:` or `\` in it breaks the line
    case 3:
      return r.pick(['other', '\\*', '', ' ' + value, value + ' ', value.toUpperCase(), '*x']);
    default:
      return value.replace(/[\\:]/g, (c) => '\\' + c);
  }
}

function password(r: Prng): Buffer {
  const parts: Buffer[] = [];
  const n = r.range(0, 5);
  for (let i = 0; i < n; i++) {
    if (r.chance(4)) parts.push(Buffer.from([r.pick([0x00, 0xe9, 0xff, 0xc3])]));
    else parts.push(Buffer.from(r.pick(PW_CHUNKS)));
  }
  return Buffer.concat(parts);
}

function line(r: Prng, key: PgpassKeyCase, hosts: string[]): Buffer {
  const kind = r.int(14);
  if (kind === 0) return Buffer.from(`#${r.pick(['', ' ', 'localhost:1:2:3:4'])}`);
  if (kind === 1) return Buffer.from(r.pick(['', ' ', '\t', '  #x']));
  if (kind === 2) return Buffer.from(r.pick([`${key.host}:${key.port}`, 'a:b:c', `*:*:*:${key.user}`]));
  const host = field(r, r.chance(70) ? key.host : r.pick(hosts));
  const port = r.chance(80) ? field(r, String(key.port)) : r.pick(['0' + key.port, String(key.port + 1), '\\' + String(key.port)]);
  const db = field(r, r.chance(75) ? key.database : r.pick(DBS));
  const user = field(r, r.chance(80) ? key.user : key.user + 'x');
  const head = Buffer.from(`${r.chance(5) ? ' ' : ''}${host}:${port}:${db}:${user}:`);
  const tail = r.chance(5) ? Buffer.from(`:${r.pick(['extra', '', 'x:y'])}`) : Buffer.alloc(0);
  const pad = r.chance(3) ? Buffer.from('p'.repeat(r.range(200, 700))) : Buffer.alloc(0);
  return Buffer.concat([head, pad, password(r), tail]);
}

/** `n` cases: a key and a file of lines aimed at it, from `seed`. */
export function generatePgpassFiles(seed: string, n: number, base: { socketDir: string; port: number; userPrefix: string; defaultSocketDir: string }): PgpassCase[] {
  const r = new Prng(seed);
  const hosts = ['127.0.0.1', 'localhost', base.socketDir, base.socketDir + '/', base.defaultSocketDir];
  const cases: PgpassCase[] = [];
  for (let id = 0; id < n; id++) {
    const key: PgpassKeyCase = {
      host: r.pick(hosts),
      port: base.port,
      database: r.pick(DBS),
      user: `${base.userPrefix}${id}${r.pick(USER_SUFFIX)}`,
    };
    const parts: Buffer[] = [];
    const count = r.range(1, 6);
    for (let i = 0; i < count; i++) {
      parts.push(line(r, key, hosts));
      if (i < count - 1 || r.chance(80)) parts.push(Buffer.from(r.pick(['\n', '\n', '\n', '\r\n', '\r', '\r\r\n'])));
    }
    cases.push({ id, key, bytes: Buffer.concat(parts) });
  }
  return cases;
}

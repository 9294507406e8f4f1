/**
 * The libpq password file (`~/.pgpass`, or PGPASSFILE): a parser that follows libpq's
 * own rules exactly (fe-connect.c passwordFromFile / pwdfMatchesString), and a pure merge
 * that replaces entries for one host/port/db/user while keeping every other line byte for byte.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** The connection a password is looked up for (libpq's matching inputs). */
export interface PgpassKey {
  host: string;
  port: string | number;
  database: string;
  user: string;
}

export interface PgpassEntry extends PgpassKey {
  password: string;
}

/** The host libpq matches against: socket paths and empty hosts become "localhost". */
export function pgpassHost(host: string | undefined): string {
  if (!host || host.startsWith('/') || host.startsWith('@')) return 'localhost';
  return host;
}

/**
 * libpq's field match: `*` followed by `:` matches anything; `\` escapes the next character;
 * the field must equal `token` exactly up to an unescaped `:`. Returns the rest after the
 * field's `:` or undefined.
 */
function matchField(line: string, pos: number, token: string): number | undefined {
  if (line[pos] === '*' && line[pos + 1] === ':') return pos + 2;
  let i = pos;
  let t = 0;
  while (i < line.length) {
    let escaped = false;
    if (line[i] === '\\') {
      i++;
      escaped = true;
    }
    if (i >= line.length) return undefined;
    if (line[i] === ':' && t === token.length && !escaped) return i + 1;
    if (t === token.length) return undefined;
    if (line[i] === token[t]) {
      i++;
      t++;
    } else return undefined;
  }
  return undefined;
}

/** De-escapes a password field: up to the first unescaped `:` (the rest is ignored, as libpq does). */
function readPassword(line: string, pos: number): string {
  let out = '';
  for (let i = pos; i < line.length && line[i] !== ':'; i++) {
    if (line[i] === '\\' && i + 1 < line.length) i++;
    out += line[i];
  }
  return out;
}

function stripCrlf(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

/** True when `rawLine` is an entry that libpq would use for `key`. */
export function lineMatches(rawLine: string, key: PgpassKey): number | undefined {
  const line = stripCrlf(rawLine);
  if (line === '' || line.startsWith('#')) return undefined;
  let p: number | undefined = 0;
  for (const token of [pgpassHost(key.host), String(key.port), key.database, key.user]) {
    p = matchField(line, p, token);
    if (p === undefined) return undefined;
  }
  return p;
}

/** The password libpq would pick for `key` from file text: the first matching line wins. */
export function lookupPgpass(text: string, key: PgpassKey): string | undefined {
  for (const raw of text.split('\n')) {
    const p = lineMatches(raw, key);
    if (p !== undefined) return readPassword(stripCrlf(raw), p);
  }
  return undefined;
}

/** Escapes a field for the password file (`\` and `:`). */
export function escapeField(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

export function formatEntry(e: PgpassEntry): string {
  return [pgpassHost(e.host), String(e.port), e.database, e.user, e.password].map(escapeField).join(':');
}

/** Splits a line into its five unescaped fields (undefined for comments and short lines). */
export function parseLine(rawLine: string): string[] | undefined {
  const line = stripCrlf(rawLine);
  if (line === '' || line.startsWith('#')) return undefined;
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':' && fields.length < 4) {
      fields.push(cur);
      cur = '';
    } else cur += c;
  }
  fields.push(cur);
  return fields.length === 5 ? fields : undefined;
}

/**
 * Puts `entries` into password-file text. Lines for exactly the same host/port/db/user are
 * replaced (no duplicates); each new entry goes where libpq would look first for its key
 * (before any wildcard line that would shadow it), every other line kept byte for byte.
 */
export function mergePgpass(text: string, entries: readonly PgpassEntry[]): string {
  const hadText = text.length > 0;
  let lines = hadText ? text.split('\n') : [];
  // A trailing newline leaves an empty last element: keep it as the terminator.
  const terminated = hadText && text.endsWith('\n');
  if (terminated) lines.pop();
  for (const e of entries) {
    const host = pgpassHost(e.host);
    const same = (raw: string) => {
      const f = parseLine(raw);
      return f !== undefined && f[0] === host && f[1] === String(e.port) && f[2] === e.database && f[3] === e.user;
    };
    const firstMatch = lines.findIndex((raw) => lineMatches(raw, e) !== undefined);
    const kept: string[] = [];
    let insertAt = -1;
    lines.forEach((raw, i) => {
      if (i === firstMatch) insertAt = kept.length;
      if (!same(raw)) kept.push(raw);
    });
    const formatted = formatEntry(e);
    if (insertAt === -1) kept.push(formatted);
    else kept.splice(insertAt, 0, formatted);
    lines = kept;
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** The password file libpq would use: PGPASSFILE, else `~/.pgpass`. */
export function pgpassPath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  return env.PGPASSFILE ? path.resolve(env.PGPASSFILE) : path.join(home, '.pgpass');
}

/** Reads the password file as libpq would: absent → undefined; group/world-readable → ignored with a reason. */
export async function readPgpass(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): Promise<{ path: string; text?: string; ignored?: string }> {
  const file = pgpassPath(env, home);
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return { path: file, ignored: `${file} is not a plain file` };
    if ((st.mode & 0o077) !== 0) {
      return { path: file, ignored: `${file} has group or world access (mode ${(st.mode & 0o777).toString(8)}); libpq ignores it — run: chmod 600 ${file}` };
    }
    return { path: file, text: await fs.readFile(file, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path: file };
    return { path: file, ignored: `${file} cannot be read (${(e as NodeJS.ErrnoException).code})` };
  }
}

/**
 * The libpq password file (`~/.pgpass`, or PGPASSFILE). Reading follows libpq exactly, on bytes
 * (pgpass-libpq.ts), including its default-socket-directory rule. Writing puts entries that both
 * libpq (psql, pg_dump, psycopg) and asyncpg (the servers' driver) find, replaces only entries
 * for exactly the same host/port/database/user, and keeps every other line byte for byte.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../cli/errors.js';
import { asyncpgLookup, asyncpgRows, libpqLines, libpqLookup, libpqLookupAll, sameKeyMatcher, type MatchTokens } from './pgpass-libpq.js';

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

const isSocketPath = (host: string) => host.startsWith('/') || host.startsWith('@');

/**
 * libpq's default socket directory, or a run's probe for it (`ctx.libpqSocketDir`, asked only
 * when a host is a socket path). Without one, every socket path is matched literally.
 */
export type SocketDir = string | (() => string);

/**
 * The host libpq matches password-file lines against: "localhost" for an empty host and for
 * its default socket directory only; any other socket path (`/tmp/x`, `/run/postgresql`, a
 * trailing slash) is matched literally.
 */
export function pgpassHost(host: string | undefined, defaultSocketDir?: SocketDir): string {
  if (!host) return 'localhost';
  if (isSocketPath(host) && host === (typeof defaultSocketDir === 'function' ? defaultSocketDir() : defaultSocketDir)) return 'localhost';
  return host;
}

function tokens(key: PgpassKey, defaultSocketDir?: SocketDir): MatchTokens {
  return { host: pgpassHost(key.host, defaultSocketDir), port: String(key.port), database: key.database, user: key.user };
}

const asBytes = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength));

/**
 * The password libpq takes for `key` from the file's bytes (the first matching line wins).
 * Undefined when no line matches, when the entry is empty (libpq then has no password) or when
 * its bytes are not UTF-8 (mcpctl could not send the same password).
 */
export function lookupPgpass(data: string | Uint8Array, key: PgpassKey, opts: { defaultSocketDir?: SocketDir } = {}): string | undefined {
  const hit = libpqLookup(asBytes(data), tokens(key, opts.defaultSocketDir));
  if (!hit || hit.password.length === 0) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(hit.password);
  } catch {
    return undefined;
  }
}

/** Escapes a field for the password file (`\` and `:`), as libpq reads it. */
export function escapeField(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

export function formatEntry(e: PgpassEntry): string {
  return [e.host, String(e.port), e.database, e.user, e.password].map(escapeField).join(':');
}

/** Splits a line into its five de-escaped fields, libpq style (undefined for comments and short lines). */
export function parseLine(rawLine: string): string[] | undefined {
  const line = rawLine.replace(/[\r\n]+$/, '');
  if (line === '' || line.startsWith('#')) return undefined;
  if (!line.includes('\\')) {
    // Nothing escaped (the usual line): split on the first four colons.
    const parts = line.split(':');
    return parts.length < 5 ? undefined : [...parts.slice(0, 4), parts.slice(4).join(':')];
  }
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
 * The lines mcpctl writes for an entry: for a socket directory that is not libpq's default, a
 * literal-path line (what libpq looks up) and a `localhost` line (what asyncpg looks up, as it
 * maps every socket path to localhost); otherwise the one host libpq and asyncpg both use.
 */
export function concreteEntries(e: PgpassEntry, defaultSocketDir?: SocketDir): PgpassEntry[] {
  const host = pgpassHost(e.host, defaultSocketDir);
  if (host !== 'localhost' && e.host.startsWith('/')) return [{ ...e, host }, { ...e, host: 'localhost' }];
  return [{ ...e, host }];
}

/**
 * Refuses (exit 2) a value no password-file line can hold for libpq (a line break, NUL or other
 * control character; an empty or `*` key field). Returns a warning for values libpq reads
 * exactly but asyncpg cannot: asyncpg never de-escapes `\\:` or `\\\\` (so an IPv6 host or a
 * password with `:` or `\\`) and strips surrounding whitespace.
 */
function checkWritable(e: PgpassEntry): string | undefined {
  const fields: [string, string][] = [['host', e.host], ['database', e.database], ['user', e.user], ['password', e.password]];
  const asyncpgDiffers: string[] = [];
  for (const [name, v] of fields) {
    let why: string | undefined;
    if (/[\x00-\x1f\x7f]/.test(v)) why = 'contains a control character (a line break, NUL, tab …), which ends or breaks the line for libpq';
    else if (v === '') why = 'is empty';
    else if (name !== 'password' && v === '*') why = 'is "*", which libpq takes as a wildcard';
    if (why) {
      throw new UsageError(`cannot write the password file entry: the ${name} ${why}; nothing was changed`, {
        hint: name === 'password' ? 'choose another POSTGRES_PASSWORD, or let `mcpctl setup-db --rotate-password` generate one' : `choose another ${name}`,
      });
    }
    if (/[:\\]/.test(v) || v !== v.trim()) asyncpgDiffers.push(name);
  }
  if (!asyncpgDiffers.length) return undefined;
  return (
    `the password file entry for ${e.user}@${e.host}:${e.port}/${e.database} is written for libpq (psql, pg_dump), but asyncpg reads its ${asyncpgDiffers.join(' and ')} differently ` +
    '(it does not de-escape ":" and "\\", and strips surrounding spaces): a server that takes its password from the password file, not from .env.local, would fail to log in'
  );
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const isUtf8 = (b: Buffer) => {
  try {
    UTF8.decode(b);
    return true;
  } catch {
    return false;
  }
};

/**
 * The same key as libpq matches it: the line's four fields, de-escaped, equal the entry's
 * (a line with a NUL or bytes that are not UTF-8 is never ours to replace).
 */
function sameKey(e: PgpassEntry): (line: Buffer) => boolean {
  const matches = sameKeyMatcher({ host: e.host, port: String(e.port), database: e.database, user: e.user });
  return (line) => matches(line) && !line.includes(0) && isUtf8(line);
}

export interface MergeResult<T> {
  data: T;
  /** Problems with other lines that mcpctl keeps as they are (never a secret). */
  warnings: string[];
}

/**
 * Puts `entries` into the password file: lines for exactly the same host/port/database/user
 * are replaced; the new lines go before the first line libpq or asyncpg would otherwise use for
 * them (or that would stop asyncpg); every other line is kept byte for byte.
 */
export function mergePgpassChecked<T extends string | Uint8Array>(data: T, entries: readonly PgpassEntry[], opts: { defaultSocketDir?: SocketDir } = {}): MergeResult<T> {
  const all = entries.flatMap((e) => concreteEntries(e, opts.defaultSocketDir));
  const cautions = [...new Set(entries.map(checkWritable).filter((w): w is string => w !== undefined))];
  const bytes = asBytes(data);
  const lines: Buffer[] = [];
  for (let s = 0; s < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, s);
    lines.push(bytes.subarray(s, nl === -1 ? bytes.length : nl));
    s = nl === -1 ? bytes.length : nl + 1;
  }
  const ours = all.map(sameKey);
  const kept = lines.filter((l) => !ours.some((m) => m(l)));
  const at = Math.min(firstUse(kept, entries, all, opts.defaultSocketDir), kept.length);
  const out = [...kept.slice(0, at), ...all.map((e) => Buffer.from(formatEntry(e))), ...kept.slice(at)];
  const result = joinLines(out);
  const warnings = [...cautions, ...verify(result, entries, opts.defaultSocketDir)];
  return { data: (typeof data === 'string' ? result.toString('utf8') : result) as T, warnings };
}

/** Lines, each followed by `\n`, in one buffer. */
function joinLines(lines: readonly Buffer[]): Buffer {
  let size = 0;
  for (const l of lines) size += l.length + 1;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const l of lines) {
    at += l.copy(out, at);
    out[at++] = 0x0a;
  }
  return out;
}

/** mergePgpassChecked without the warnings (the string or Buffer in, the same type out). */
export function mergePgpass<T extends string | Uint8Array>(data: T, entries: readonly PgpassEntry[], opts: { defaultSocketDir?: SocketDir } = {}): T {
  return mergePgpassChecked(data, entries, opts).data;
}

/** Index of the first kept line that a reader would use for one of the entries, or that stops asyncpg or libpq. */
function firstUse(kept: Buffer[], entries: readonly PgpassEntry[], all: PgpassEntry[], defaultSocketDir?: SocketDir): number {
  const text = joinLines(kept);
  // A NUL makes libpq run that line on into the next one: nothing of ours may follow it.
  let first = kept.findIndex((l) => l.includes(0));
  if (first === -1) first = kept.length;
  // Before the first NUL, libpq's lines are the `\n`-delimited ones: its index is the line's.
  const lines = libpqLines(text);
  for (const hit of libpqLookupAll(lines, all.map((e) => tokens(e, defaultSocketDir)))) {
    if (hit) first = Math.min(first, hit.index);
  }
  const rows = asyncpgRows(text);
  if (rows) {
    for (const e of entries) {
      const bad = rows.find((r) => r.fields.length < 5);
      if (bad) first = Math.min(first, bad.line);
      const hit = asyncpgLookup(rows, { ...e, port: String(e.port) });
      if (hit && hit !== 'crash') first = Math.min(first, hit.row.line);
    }
  }
  return first;
}

/** After the merge: libpq and asyncpg both read each entry's password; else say why. */
function verify(result: Buffer, entries: readonly PgpassEntry[], defaultSocketDir?: SocketDir): string[] {
  const warnings: string[] = [];
  const rows = asyncpgRows(result);
  if (!rows) warnings.push('the password file holds bytes that are not UTF-8: asyncpg (the servers\' driver) cannot read it at all; fix or remove those lines');
  const lines = libpqLines(result);
  const hits = libpqLookupAll(lines, entries.map((e) => tokens(e, defaultSocketDir)));
  entries.forEach((e, i) => {
    if (hits[i]?.password.toString('utf8') !== e.password) throw new Error(`internal: libpq would not read the new entry for ${e.user}@${e.host}`);
  });
  for (const e of entries) {
    if (checkWritable(e)) continue; // asyncpg cannot read this one the same: already warned
    const hit = rows && asyncpgLookup(rows, { ...e, port: String(e.port) });
    if (rows && (hit === undefined || hit === 'crash' || hit.password !== e.password)) throw new Error(`internal: asyncpg would not read the new entry for ${e.user}@${e.host}`);
  }
  return warnings;
}

/** The password file libpq would use: PGPASSFILE, else `~/.pgpass`. */
export function pgpassPath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  return env.PGPASSFILE ? path.resolve(env.PGPASSFILE) : path.join(home, '.pgpass');
}

/**
 * Reads the password file as libpq would: absent → no content; not a regular file (after
 * symlinks) or group/world-accessible → ignored with the reason libpq gives. `bytes` is the
 * content libpq reads; `text` the same decoded as UTF-8 (for display and line listing).
 */
export async function readPgpass(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): Promise<{ path: string; text?: string; bytes?: Buffer; ignored?: string }> {
  const file = pgpassPath(env, home);
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return { path: file, ignored: `${file} is not a plain file` };
    if ((st.mode & 0o077) !== 0) {
      return { path: file, ignored: `${file} has group or world access (mode ${(st.mode & 0o777).toString(8)}); libpq ignores it — run: chmod 600 ${file}` };
    }
    const bytes = await fs.readFile(file);
    return { path: file, bytes, text: bytes.toString('utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path: file };
    return { path: file, ignored: `${file} cannot be read (${(e as NodeJS.ErrnoException).code})` };
  }
}

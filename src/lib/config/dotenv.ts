/**
 * `.env` files as the Python MCP servers read them (python-dotenv with interpolation, as
 * pydantic-settings calls it), and a writer whose output python-dotenv, `node --env-file` and
 * mcpctl all read back as the same value — or that refuses (exit 2, naming the key).
 * The grammar itself is in dotenv-parse.ts.
 */
import * as util from 'node:util';
import { UsageError } from '../errors.js';
import { expandVariables, parseBindings, VARIABLE, type DotenvBinding } from './dotenv-parse.js';

/** One effective assignment in an env file (the last one for its key). */
export interface DotenvEntry {
  key: string;
  /** The value the server sees: decoded, `${VAR}` expanded ('' for `KEY` without `=`). */
  value: string;
  /** The decoded value before expansion ('' for `KEY` without `=`). */
  raw: string;
  /** `KEY` alone: python-dotenv's None; mcpctl treats the key as unset. */
  noValue?: boolean;
  /** 1-based line where the assignment starts. */
  line: number;
  /** 1-based line where it ends (later than `line` for a multi-line quoted value). */
  endLine: number;
}

/** A problem with a line of an env file. */
export interface DotenvIssue {
  line: number;
  message: string;
}

export interface DotenvParse {
  /** The value each key ends up with, in order of the winning line. */
  entries: DotenvEntry[];
  /** Statements python-dotenv cannot parse (it skips them; mcpctl reports them as errors). */
  errors: DotenvIssue[];
  /** Duplicate keys (the last wins), a BOM, keys without `=`. */
  warnings: DotenvIssue[];
}

/**
 * Reads env-file text the way python-dotenv's `dotenv_values()` does: every statement, the
 * last of duplicate keys wins, and `${VAR}` / `${VAR:-default}` are expanded against the
 * values set earlier in the file, then `env` (the environment the server will get).
 */
export function parseDotenv(text: string, env: Readonly<Record<string, string | undefined>> = {}): DotenvParse {
  const bindings = parseBindings(text);
  const errors: DotenvIssue[] = [];
  const warnings: DotenvIssue[] = [];
  if (text.charCodeAt(0) === 0xfeff) {
    const first = bindings[0]?.key;
    warnings.push({
      line: 1,
      message:
        'the file starts with a byte-order mark (BOM): python-dotenv keeps it in the first key' +
        (first ? ` (it reads the key as U+FEFF followed by ${first.slice(1)}, so ${first.slice(1)} is not set for the server, nor for mcpctl)` : '') +
        '; save the file as UTF-8 without a BOM',
    });
  }
  const resolved = new Map<string, string | null>();
  const byKey = new Map<string, DotenvEntry>();
  const lines = new Map<string, number[]>();
  for (const b of bindings) {
    if (b.error !== undefined) {
      errors.push({ line: b.line, message: `python-dotenv cannot parse this statement (${b.error}) and skips it` });
      continue;
    }
    if (b.key === undefined) continue;
    const raw = b.value;
    const value = raw === undefined ? null : expandVariables(raw, (name) => (resolved.has(name) ? resolved.get(name) : env[name]));
    resolved.set(b.key, value);
    lines.set(b.key, [...(lines.get(b.key) ?? []), b.line]);
    if (raw === undefined) warnings.push({ line: b.line, message: `${b.key} has no "=": python-dotenv reads it as declared without a value, so it is unset` });
    byKey.delete(b.key);
    byKey.set(b.key, { key: b.key, value: value ?? '', raw: raw ?? '', ...(raw === undefined ? { noValue: true } : {}), line: b.line, endLine: b.endLine });
  }
  for (const [key, at] of lines) {
    if (at.length < 2) continue;
    const last = at[at.length - 1]!;
    warnings.push({
      line: last,
      message: `${key} is set on lines ${at.join(', ')}: the last (line ${last}) wins, as in python-dotenv and node --env-file; remove the others`,
    });
  }
  return { entries: [...byKey.values()], errors, warnings: warnings.sort((a, b) => a.line - b.line) };
}

/**
 * Decodes an env file's bytes as python-dotenv does (UTF-8, strictly, BOM kept in the text);
 * undefined when the bytes are not UTF-8 (python-dotenv stops with UnicodeDecodeError).
 */
export function decodeDotenv(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Keys mcpctl writes: portable shell names, read alike by every dotenv reader. */
const WRITABLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How node's own parser (`--env-file`, `util.parseEnv`) reads `text`; undefined on Node < 20.12. */
function nodeReads(text: string): Record<string, string> | undefined {
  const parseEnv = (util as unknown as { parseEnv?: (s: string) => Record<string, string> }).parseEnv;
  return parseEnv ? parseEnv(text) : undefined;
}

/** Whether `line` reads back as `value` for `key` in python-dotenv (our model) and node. */
function readsBack(key: string, line: string, value: string): boolean {
  const bindings = parseBindings(line + '\n').filter((b) => b.key !== undefined || b.error !== undefined);
  const b: DotenvBinding | undefined = bindings[0];
  if (bindings.length !== 1 || b?.key !== key || b.value !== value) return false;
  // python-dotenv would expand it (in every quoting style), whatever the environment holds.
  if (new RegExp(VARIABLE.source).test(value)) return false;
  const node = nodeReads(line + '\n');
  // Without node's parser (Node < 20.12), accept only what node reads literally: unquoted
  // text without `#`, quotes or backslashes, or single-quoted text without quotes or newlines.
  if (node === undefined) return /^[^\s#'"`\\]*$/.test(value) || (line.endsWith(`'`) && /^[^'"`\\\n\r]*$/.test(value));
  return Object.keys(node).length === 1 && node[key] === value;
}

/** Why a value cannot be written (never the value itself: it may be a secret). */
function whyNot(value: string): string {
  if (new RegExp(VARIABLE.source).test(value)) return 'it contains ${…}, which python-dotenv expands in every quoting style';
  if (value.includes('\r')) return 'it contains a carriage return, which python-dotenv reads as a line end';
  return 'no quoting makes python-dotenv, node --env-file and mcpctl read the same characters (a mix of quotes, backslashes, # or surrounding spaces)';
}

/**
 * The text after `KEY=` for `value`: unquoted when that reads back exactly, else single
 * quotes, else double quotes (with `\n` for newlines). Each candidate is checked by reading it
 * back with mcpctl's python-dotenv reader and node's own parser; when none reads back
 * identically, throws a UsageError (exit 2) naming the key.
 */
export function formatDotenvValue(value: string, key = 'VALUE'): string {
  if (!WRITABLE_KEY.test(key)) throw new UsageError(`cannot write the key ${JSON.stringify(key)} to an env file: keys must be letters, digits and _`);
  const candidates = [value, `'${value}'`, `"${value.replace(/\n/g, '\\n')}"`];
  for (const c of candidates) if (readsBack(key, `${key}=${c}`, value)) return c;
  throw new UsageError(`cannot write ${key} to an env file: ${whyNot(value)}; nothing was changed`, {
    hint: `choose a value for ${key} without those characters`,
  });
}

/** Lines of `text` with the separator after each (universal newlines, as python-dotenv counts them). */
function splitLines(text: string): { lines: string[]; seps: string[] } {
  const parts = text.split(/(\r\n|\r|\n)/);
  const lines: string[] = [];
  const seps: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    lines.push(parts[i]!);
    seps.push(parts[i + 1] ?? '');
  }
  return { lines, seps };
}

/**
 * Sets `key` in env-file text: rewrites the statement that wins today (the last one for the
 * key), or appends one; every other line is kept byte for byte. Throws a UsageError when the
 * value cannot be written so that every reader agrees, or when the rest of the file would make
 * python-dotenv or node read the new line differently.
 */
export function setDotenvKey(text: string, key: string, value: string): string {
  const formatted = formatDotenvValue(value, key);
  const before = parseDotenv(text);
  const hit = before.entries.find((e) => e.key === key);
  const { lines, seps } = splitLines(text);
  let out: string;
  if (hit) {
    const exported = /^[\s]*export\s/.test(lines[hit.line - 1] ?? '') ? 'export ' : '';
    lines.splice(hit.line - 1, hit.endLine - hit.line + 1, `${exported}${key}=${formatted}`);
    seps.splice(hit.line - 1, hit.endLine - hit.line + 1, seps[hit.endLine - 1]!);
    out = lines.map((l, i) => l + seps[i]).join('');
  } else {
    const nl = text.includes('\r\n') ? '\r\n' : '\n';
    const trailing = text === '' || /[\r\n]$/.test(text) ? '' : nl;
    out = text + trailing + `${key}=${formatted}` + nl;
  }
  checkEdit(before, out, key, value);
  return out;
}

/** The edit changed `key` only, and every reader sees the new value. */
function checkEdit(before: DotenvParse, out: string, key: string, value: string): void {
  const after = parseDotenv(out);
  const raw = (p: DotenvParse) => new Map(p.entries.map((e) => [e.key, e.raw]));
  const [b, a] = [raw(before), raw(after)];
  let ok = a.get(key) === value && after.errors.length === before.errors.length;
  for (const [k, v] of b) if (k !== key && a.get(k) !== v) ok = false;
  const node = nodeReads(out);
  if (node !== undefined && node[key] !== value) ok = false;
  if (!ok) {
    throw new UsageError(`cannot set ${key} in this env file without changing how python-dotenv or node --env-file read it; nothing was changed`, {
      hint: 'fix the lines mcpctl reports for this file (an unterminated quote, a key set twice) and run again',
    });
  }
}

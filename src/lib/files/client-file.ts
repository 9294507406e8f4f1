/**
 * Reading and editing an MCP client's configuration file without disturbing it: parsed with
 * jsonc-parser (VS Code's own JSONC library), changed with its `modify` edits — so other entries,
 * comments, key order and formatting stay byte for byte — and written atomically. A file that does
 * not parse is refused, never overwritten.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { applyEdits, format, modify, parse, printParseErrorCode, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { writeFileAtomic } from './atomic-write.js';
import { editEntryLines } from './json-entry-lines.js';
import { UserError } from '../cli/errors.js';
import { ownPid, processAlive } from '../process/liveness.js';

/** A client file as read: its text (empty when absent), its parsed value, and its mode. */
export interface ClientFile {
  path: string;
  /** The file that is really written (a symlink is written through). */
  target: string;
  exists: boolean;
  text: string;
  /** The parsed document ({} for an absent or empty file). */
  doc: Record<string, unknown>;
  mode: number | undefined;
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

/** Reads and parses `file`; throws (exit 1, nothing changed) when it is not valid JSON (or JSONC). */
export async function readClientFile(file: string, jsonc: boolean): Promise<ClientFile> {
  let target = file;
  try {
    target = await fs.realpath(file);
  } catch {
    // Absent (or a dangling link): written where it is named.
  }
  let text = '';
  let exists = true;
  let mode: number | undefined;
  try {
    [text, mode] = await Promise.all([fs.readFile(target, 'utf8'), fs.stat(target).then((s) => s.mode & 0o777)]);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new UserError(`cannot read ${file} (${code ?? (e as Error).message}); nothing was changed`, { hint: 'check the path and its permissions' });
    exists = false;
  }
  if (text.trim() === '') return { path: file, target, exists, text, doc: {}, mode };
  // A UTF-8 byte-order mark (Windows editors write one): VS Code decodes it away; JSON.parse, which
  // the other clients use, refuses it — so refused there with that reason, kept on writing here.
  const bom = text.startsWith('\uFEFF');
  if (bom && !jsonc) {
    throw new UserError(`${file} starts with a UTF-8 byte-order mark, which this client's JSON reader refuses; nothing was changed`, { hint: 'save it as UTF-8 without a byte-order mark (BOM), then run the command again' });
  }
  const errors: ParseError[] = [];
  const doc = parse(bom ? text.slice(1) : text, errors, { disallowComments: !jsonc, allowTrailingComma: jsonc, allowEmptyContent: true }) as unknown;
  if (errors.length) {
    const e = errors[0]!;
    throw new UserError(`${file} is not valid ${jsonc ? 'JSONC' : 'JSON'} (${printParseErrorCode(e.error)} at ${lineCol(bom ? text.slice(1) : text, e.offset)}); nothing was changed`, {
      hint: `fix the file (the client cannot read it either), or move it away and run the command again`,
    });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new UserError(`${file} does not hold a JSON object; nothing was changed`, { hint: 'fix the file, or move it away' });
  return { path: file, target, exists, text, doc: doc as Record<string, unknown>, mode };
}

/** The file's own indentation and line ends, so an inserted entry looks like its neighbours. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /^([ \t]+)\S/m.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? indent.length : 2, eol };
}

/** `text` with the value at `jsonPath` set (or removed, for undefined); untouched parts stay byte for byte. */
export function editJson(text: string, jsonPath: string[], value: unknown): string {
  if (text.trim() === '') {
    if (value === undefined) return text;
    // A new file: a plain, conventionally indented document.
    let doc: unknown = value;
    for (const key of [...jsonPath].reverse()) doc = { [key]: doc };
    return JSON.stringify(doc, null, 2) + '\n';
  }
  // One entry per line: the entry's line is added or removed whole, its comments with it.
  const byLine = editEntryLines(text, jsonPath, value, detectFormatting(text));
  if (byLine !== undefined) return byLine;
  // Edited unformatted, then only the inserted text is formatted: jsonc-parser's own formatting
  // of an edit also reflows the neighbouring lines, which must stay as their author wrote them.
  const edits = modify(text, jsonPath, value, {});
  let out = applyEdits(text, edits);
  if (value === undefined) return out;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset)) {
    if (!e.content) continue;
    out = applyEdits(out, format(out, { offset: e.offset, length: e.content.length }, detectFormatting(text)));
  }
  return out;
}

/** The file's new text with `jsonPath` set (or removed): a byte-order mark it starts with is kept. */
export function editClientText(f: Pick<ClientFile, 'text'>, jsonPath: string[], value: unknown): string {
  const bom = f.text.startsWith('\uFEFF') ? '\uFEFF' : '';
  return bom + editJson(f.text.slice(bom.length), jsonPath, value);
}

/** The file changed between reading and writing (a client saving it): the edit is redone. */
export class ConcurrentChange extends Error {}

/**
 * Writes the new text atomically, keeping the file's mode (0644 for a new file), creating its
 * folder. Clients rewrite their own files (Claude Code saves ~/.claude.json often): when the file
 * no longer holds what was read, ConcurrentChange is thrown instead of losing their change.
 */
export async function writeClientFile(f: ClientFile, text: string): Promise<void> {
  // A read-only file is usually deliberate (a managed configuration): a rename would replace it anyway.
  if (f.exists && f.mode !== undefined && (f.mode & 0o200) === 0) {
    throw new UserError(`${f.path} is read-only (mode ${f.mode.toString(8).padStart(4, '0')}); nothing was changed`, { hint: `let mcpctl edit it: chmod u+w ${f.target}` });
  }
  const now = await fs.readFile(f.target, 'utf8').catch(() => '');
  if (now !== f.text) throw new ConcurrentChange(`${f.path} changed while it was being edited`);
  await fs.mkdir(path.dirname(f.target), { recursive: true });
  await writeFileAtomic(f.target, text, { mode: f.mode ?? 0o644 });
}

/**
 * Holds `<file>.mcpctl-lock` (O_EXCL, holding our pid) around `op`, so that two mcpctl runs editing
 * one client file take turns instead of losing an entry. A lock whose process is gone (kill -9) is
 * taken over; one held longer than `waitMs` by a live process is an error.
 */
export async function withFileLock<T>(file: string, op: () => Promise<T>, waitMs = 10_000): Promise<T> {
  const lock = `${file}.mcpctl-lock`;
  await fs.mkdir(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await fs.open(lock, 'wx', 0o600);
      await fh.writeFile(String(ownPid()));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
      // A holder that is gone (or a lock still being written, read as empty, twice) is stale.
      if (holder > 0 && !processAlive(holder)) await fs.rm(lock, { force: true });
      else if (Date.now() > deadline) throw new UserError(`${file} is being edited by another mcpctl (pid ${holder || '?'}); nothing was changed`, { hint: `wait for it, or remove ${lock} if no mcpctl is running` });
      else await delay(20);
    }
  }
  try {
    return await op();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/** Runs a read-edit-write `op` again when the file changed under it (a few times, then gives up). */
export async function retryOnChange<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!(e instanceof ConcurrentChange) || attempt >= 5) {
        if (e instanceof ConcurrentChange) throw new UserError(`${e.message} five times; nothing was changed`, { hint: 'close the client (it keeps rewriting the file) and run the command again' });
        throw e;
      }
    }
  }
}

/**
 * The words, lines and bytes psql's lexer tells apart (psqlscan.l), the statement-level state
 * psql keeps (parentheses, CREATE FUNCTION … BEGIN bodies), and the refusal the guard throws.
 * psql-guard.ts drives these over the byte stream.
 */
import { UserError } from '../../lib/cli/errors.js';

/** A refused backup: the line (1-based) and why. Nothing from that line on reached psql. */
export class UnsafeScriptError extends UserError {
  readonly line: number;
  constructor(line: number, why: string) {
    super(`refusing to restore: line ${line} ${why}`, {
      code: 'unsafe-backup',
      hint: 'restore runs only SQL for the target database; nothing was restored. Inspect the file, or restore a backup made by pg_dump/mcpctl',
    });
    this.line = line;
  }
}

/** Where the lexer is: SQL, a quoted string or identifier, a dollar-quoted body, a block or line comment. */
export const enum St {
  Normal,
  Quote,
  Ident,
  Dollar,
  Comment,
  LineComment,
}

// Statement-start words that would end or split the restore's own transaction.
export const TX_WORDS = new Set(['begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release', 'prepare']);
export const NL = 0x0a;
/**
 * Longest single token the guard holds back while waiting for its end (a word, a number, a
 * `:name`, pg_dump's `COPY … FROM stdin;` line). Everything else streams through, so memory
 * stays flat whatever the length of a line (review A3). pg_dump never writes a token this long.
 */
export const MAX_TOKEN = 1 << 20;
/** Bytes of lookahead the token rules read past a token's start (dollar tags, numbers, `\cmd` names). */
export const LOOKAHEAD = 512;

const IDENT = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"\n]|"")+")`;
/** pg_dump's COPY line, the only form accepted (psql then reads data lines until `\.`). */
export const COPY_LINE = new RegExp(String.raw`^COPY ${IDENT}(?:\.${IDENT})?(?: \(${IDENT}(?:, ?${IDENT})*\))? FROM stdin;\r?\n?$`, 'i');
export const RESTRICT_LINE = /^\\(?:un)?restrict [A-Za-z0-9]{1,128}\r?\n?$/;
/** A line that may be pg_dump's COPY line (then it is read whole before it is judged). */
export const COPY_START = /^copy /i;

export const isIdentStart = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80;
export const isIdentCont = (b: number) => isIdentStart(b) || (b >= 0x30 && b <= 0x39) || b === 0x24;
export const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
export const isVarChar = (b: number) => isIdentStart(b) || (b >= 0x30 && b <= 0x39);
export const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === NL || b === 0x0d || b === 0x0c || b === 0x0b;

/** Newlines in buf[from, to). */
export function countNL(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let p = buf.indexOf(NL, from); p >= 0 && p < to; p = buf.indexOf(NL, p + 1)) n++;
  return n;
}

/** The run of backslashes that ends buf[from, to): its length, and whether it fills the range. */
export function trailingBackslashes(buf: Buffer, from: number, to: number): { run: number; whole: boolean } {
  let p = to;
  while (p > from && buf[p - 1] === 0x5c) p--;
  return { run: to - p, whole: p === from };
}

/** End of a run of bytes matching `ok` from `i`, or -1 when the run reaches the end of `buf` (more may follow). */
export function runEnd(buf: Buffer, i: number, ok: (b: number) => boolean): number {
  let j = i;
  while (j < buf.length && ok(buf[j]!)) j++;
  return j < buf.length ? j : -1;
}

/**
 * End of the number at `i` as psql 15 lexes it — `[0-9]+\.?[0-9]*|\.[0-9]+`, then an optional
 * exponent — or -1 when it reaches the end of `buf` (more digits may follow).
 */
export function numberEnd(buf: Buffer, i: number): number {
  const len = buf.length;
  let j = digitsFrom(buf, i);
  if (j > i && j < len && buf[j] === 0x2e) j = digitsFrom(buf, j + 1);
  else if (j === i) j = digitsFrom(buf, i + 1);
  if (j >= len) return -1;
  if ((buf[j]! | 0x20) === 0x65) {
    const s = buf[j + 1] === 0x2b || buf[j + 1] === 0x2d ? j + 2 : j + 1;
    if (s >= len) return -1;
    if (isDigit(buf[s]!)) j = digitsFrom(buf, s);
    if (j >= len) return -1;
  }
  return j;
}

function digitsFrom(buf: Buffer, from: number): number {
  let j = from;
  while (j < buf.length && isDigit(buf[j]!)) j++;
  return j;
}

/**
 * Bytes that never change the lexer's state outside quotes: 1 = white space, 2 = an operator
 * or punctuation character psql passes as is. Everything else (letters, digits, quotes, `$ : \
 * - / . ( ) ;`) goes through the token rules. A run of these is consumed in one loop, so a long
 * line of `1,1,1,…` costs little more than a copy (review A3).
 */
export const PLAIN = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  if (isSpace(b)) PLAIN[b] = 1;
  else if (b !== 0 && !isIdentCont(b) && !"-/\\'\":$.();".includes(String.fromCharCode(b))) PLAIN[b] = 2;
}

/**
 * psql's statement state: parentheses, and its heuristic for CREATE [OR REPLACE]
 * FUNCTION|PROCEDURE … BEGIN ATOMIC … END bodies, in which `;` ends no statement.
 */
export class StatementState {
  /** Between statements: nothing but spaces and comments since the last statement ended. */
  clean = true;
  /** After a `;` outside parentheses: a superset of where psql starts a statement. */
  afterSemi = true;
  paren = 0;
  begin = 0;
  private ids: string[] = [];
  private idCount = 0;
  private fnAt = -1;

  /** A token other than a word: the statement is open. */
  token(): void {
    this.clean = false;
    this.afterSemi = false;
  }

  /** A `;`: ends the statement unless psql is inside parentheses or a BEGIN … END body. */
  semicolon(): void {
    if (this.paren === 0 && this.begin === 0) {
      this.clean = true;
      this.afterSemi = true;
      this.paren = 0;
      this.begin = 0;
      this.ids = [];
      this.idCount = 0;
      this.fnAt = -1;
    } else {
      this.clean = false;
      if (this.paren === 0) this.afterSemi = true;
    }
  }

  /** A word (lower case); throws the reason when it is refused. */
  word(w: string, refuse: (why: string) => never): void {
    if (this.afterSemi) {
      if (w === 'copy') refuse("holds a COPY statement not in pg_dump's one-line `COPY … FROM stdin;` form");
      if (TX_WORDS.has(w) && (this.clean || w !== 'end')) refuse(`starts a ${w.toUpperCase()} statement (transaction control is the restore's own)`);
    }
    if (this.idCount < 4) this.ids.push(['create', 'function', 'procedure', 'or', 'replace'].includes(w) ? w[0]! : '');
    this.idCount++;
    if ((w === 'function' || w === 'procedure') && this.fnAt < 0 && this.idCount <= 4) this.fnAt = this.idCount - 1;
    const [a, b2, c, d] = this.ids;
    const body = a === 'c' && (b2 === 'f' || b2 === 'p' || (b2 === 'o' && c === 'r' && (d === 'f' || d === 'p')));
    // Fail closed where a psql release that lexed one token differently would count this BEGIN
    // (then its `;` ends nothing and later lines, "COPY data" included, run as script): a BEGIN
    // in CREATE … FUNCTION|PROCEDURE that the exact heuristic above does not count. pg_dump never writes one.
    if (!body && w === 'begin' && this.paren === 0 && a === 'c' && this.fnAt > 0) refuse('has BEGIN in a CREATE … FUNCTION statement whose body psql may read differently');
    if (body && this.paren === 0) {
      if (w === 'begin') this.begin++;
      else if (w === 'case' && this.begin >= 1) this.begin++;
      else if (w === 'end' && this.begin > 0) this.begin--;
    }
    this.token();
  }
}

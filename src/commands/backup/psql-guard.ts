/**
 * Guards the plain-SQL stream that restore feeds to psql: psql runs client-side
 * commands (`\!`, `\connect`, `\copy … program`, `\o |cmd`, …) wherever its lexer
 * finds a backslash outside quotes, and a checksum proves nothing about safety.
 *
 * The scanner follows psql's own lexer (psqlscan.l, PostgreSQL 15–17) closely
 * enough to know, for every byte, whether psql sees SQL, a quoted string, a comment
 * or COPY data; anything ambiguous between psql versions or settings is refused
 * rather than guessed. Refused: a backslash outside quotes and COPY data (except
 * pg_dump's own `\restrict`/`\unrestrict` lines, which are dropped — this scanner
 * enforces what they ask psql to enforce), psql variable references, transaction
 * control (the restore's own BEGIN/COMMIT must hold), COPY in any form but
 * pg_dump's one-line `COPY … FROM stdin;`, NUL bytes, and a file that ends inside
 * a statement, string or COPY block. A line is passed on only after it was checked.
 */
import { COPY_LINE, isDigit, isIdentCont, isIdentStart, isSpace, isVarChar, NL, RESTRICT_LINE, TX_WORDS, UnsafeScriptError } from './psql-lexicon.js';

/** Where the lexer is: SQL, a quoted string or identifier, a dollar-quoted body, a block comment. */
const enum St { Normal, Quote, Ident, Dollar, Comment }

export class PsqlScriptGuard {
  private line = 1;
  private carry: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private copy = false;
  private copyLineStart = true;
  private st = St.Normal;
  private bsRun = 0;
  private tag = '';
  private depth = 0;
  // Statement state, as psql tracks it: parentheses, BEGIN … END in CREATE FUNCTION bodies.
  private clean = true;
  private afterSemi = true;
  private paren = 0;
  private begin = 0;
  private ids: string[] = [];
  private idCount = 0;
  private fnAt = -1;
  /** Longest SQL line accepted (a line must be whole before it is checked). */
  constructor(private readonly maxLine = 256 << 20) {}

  /** Checks a chunk; returns the bytes that may go to psql now. Throws UnsafeScriptError. */
  push(chunk: Buffer): Buffer<ArrayBufferLike> {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < buf.length) {
      if (this.copy) {
        const next = this.copyData(buf, pos);
        if (next < 0) {
          this.carry = buf.subarray(pos);
          break;
        }
        out.push(buf.subarray(pos, next));
        pos = next;
        continue;
      }
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) {
        if (buf.length - pos > this.maxLine) throw new UnsafeScriptError(this.line, 'is longer than any SQL line mcpctl accepts');
        this.carry = Buffer.from(buf.subarray(pos));
        break;
      }
      const kept = this.sqlLine(buf.subarray(pos, nl + 1));
      if (kept) out.push(kept);
      pos = nl + 1;
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The end of the input: the last line, and proof that psql would be between statements. */
  end(): Buffer<ArrayBufferLike> {
    let last: Buffer<ArrayBufferLike> = Buffer.alloc(0);
    if (this.carry.length) {
      const rest = Buffer.concat([this.carry, Buffer.from('\n')]);
      this.carry = Buffer.alloc(0);
      last = this.push(rest);
    }
    if (this.copy) throw new UnsafeScriptError(this.line, 'is the end of the file inside COPY data (no `\\.` line): the file is truncated');
    if (this.st !== St.Normal) throw new UnsafeScriptError(this.line, 'is the end of the file inside a quoted string or comment: the file is truncated');
    if (!this.clean) throw new UnsafeScriptError(this.line, 'is the end of the file in the middle of a statement: the file is truncated');
    return last;
  }

  /** COPY data from `pos`: returns where the bytes passed on end, or -1 to wait for more. */
  private copyData(buf: Buffer, pos: number): number {
    const line = this.line;
    const end = this.copyScan(buf, pos);
    if (end > pos && buf.subarray(pos, end).includes(0)) throw new UnsafeScriptError(line, 'holds a NUL byte in COPY data');
    return end;
  }

  private copyScan(buf: Buffer, pos: number): number {
    let p = pos;
    while (p < buf.length) {
      if (this.copyLineStart && buf[p] === 0x5c) {
        // psql ends COPY at a line that is exactly `\.` (psql 15: "\\.\n" or "\\.\r\n").
        const rest = buf.length - p;
        if (rest < 3 || (buf[p + 1] === 0x2e && buf[p + 2] === 0x0d && rest < 4)) return p > pos ? p : -1;
        const end = buf[p + 1] === 0x2e ? (buf[p + 2] === NL ? p + 3 : buf[p + 2] === 0x0d && buf[p + 3] === NL ? p + 4 : -1) : -1;
        if (end > 0) {
          this.copy = false;
          this.line++;
          return end;
        }
      }
      const nl = buf.indexOf(NL, p);
      if (nl < 0) {
        this.copyLineStart = false;
        return buf.length;
      }
      this.line++;
      this.copyLineStart = true;
      p = nl + 1;
    }
    return p;
  }

  /** Checks one whole SQL line (ending in `\n`); returns what to pass on. */
  private sqlLine(l: Buffer): Buffer | undefined {
    if (l.includes(0)) throw new UnsafeScriptError(this.line, 'holds a NUL byte');
    if (this.st === St.Normal && this.clean && l[0] === 0x5c && RESTRICT_LINE.test(l.toString('latin1'))) {
      // pg_dump's \restrict/\unrestrict: dropped (kept as an empty line so psql's line numbers match).
      this.line++;
      return Buffer.from('\n');
    }
    if (this.st === St.Normal && COPY_LINE.test(l.toString('latin1'))) {
      if (!this.clean) throw new UnsafeScriptError(this.line, 'starts COPY inside an unfinished statement');
      this.copy = true;
      this.copyLineStart = true;
      this.line++;
      return l;
    }
    this.lex(l);
    this.line++;
    return l;
  }

  private lex(l: Buffer): void {
    const n = l.length;
    let i = 0;
    while (i < n) {
      const b = l[i]!;
      switch (this.st) {
        case St.Quote: {
          // Every kind of '…' string alike: '' is a quote; a quote after an odd run of
          // backslashes ends the string in one reading (standard_conforming_strings on) and
          // not in the other (E'', or the setting off): ambiguous, so refused.
          if (b === 0x27) {
            if (this.bsRun % 2 === 1) throw new UnsafeScriptError(this.line, 'has a backslash before a quote in a string literal, which psql may read as the string going on');
            if (l[i + 1] === 0x27) i += 2;
            else {
              this.st = St.Normal;
              i++;
            }
            this.bsRun = 0;
          } else {
            this.bsRun = b === 0x5c ? this.bsRun + 1 : 0;
            i++;
          }
          continue;
        }
        case St.Ident: {
          const q = l.indexOf(0x22, i);
          if (q < 0) return;
          if (l[q + 1] === 0x22) i = q + 2;
          else {
            this.st = St.Normal;
            i = q + 1;
          }
          continue;
        }
        case St.Dollar: {
          const close = l.indexOf(this.tag, i, 'latin1');
          if (close < 0) return;
          this.st = St.Normal;
          i = close + this.tag.length;
          continue;
        }
        case St.Comment: {
          if (b === 0x2f && l[i + 1] === 0x2a) {
            this.depth++;
            i += 2;
          } else if (b === 0x2a && l[i + 1] === 0x2f) {
            if (--this.depth === 0) this.st = St.Normal;
            i += 2;
          } else i++;
          continue;
        }
        case St.Normal:
          i = this.normal(l, i, b);
      }
    }
  }

  /** One token outside quotes and comments; returns the next position. */
  private normal(l: Buffer, i: number, b: number): number {
    if (isSpace(b)) return i + 1;
    if (b === 0x2d && l[i + 1] === 0x2d) return l.length; // -- comment to the end of the line
    if (b === 0x2f && l[i + 1] === 0x2a) {
      this.st = St.Comment;
      this.depth = 1;
      return i + 2;
    }
    if (b === 0x5c) {
      const cmd = /^\\[^\s\\]*/.exec(l.subarray(i, i + 40).toString('utf8'))?.[0] ?? '\\';
      throw new UnsafeScriptError(this.line, `holds the psql command ${cmd} outside COPY data`);
    }
    if (b === 0x27) return this.token(i, St.Quote);
    if (b === 0x22) return this.token(i, St.Ident);
    if (b === 0x3a) {
      const c = l[i + 1] ?? 0;
      if (c === 0x3a) return this.token(i + 1);
      if (c === 0x27 || c === 0x22 || c === 0x7b) throw new UnsafeScriptError(this.line, 'holds a psql variable reference outside quotes');
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(l.subarray(i + 1, i + 80).toString('latin1'))?.[0];
      // psql's own variables are upper case (DBNAME, VERSION, LAST_ERROR_MESSAGE, …); pg_dump never writes one.
      if (name && !/[a-z]/.test(name)) throw new UnsafeScriptError(this.line, `holds the psql variable reference :${name}`);
      // psql lexes `:name` (name = [A-Za-z0-9_\x80-\xff]+) as one token, never as an identifier:
      // an undefined variable is echoed as is, so `name` must not count as a word here either.
      let j = i + 1;
      while (j < l.length && isVarChar(l[j]!)) j++;
      return this.token(j - 1);
    }
    // psqlscan.l's string and identifier prefixes: E'…' B'…' X'…' (xestart/xbstart/xhstart),
    // N'…' (the n is eaten, then a plain string), U&'…' and U&"…" (xusstart/xuistart), and a
    // bare U& (xufailed: the u is echoed alone). None of these letters is an identifier to psql,
    // so none may count toward the CREATE … FUNCTION … BEGIN heuristic (review A1).
    const c1 = l[i + 1] ?? 0;
    const low = b | 0x20;
    if (c1 === 0x27 && (low === 0x65 || low === 0x62 || low === 0x78)) return this.token(i + 1, St.Quote);
    if (c1 === 0x27 && low === 0x6e) return this.token(i);
    if (low === 0x75 && c1 === 0x26) {
      const c2 = l[i + 2] ?? 0;
      if (c2 === 0x27) return this.token(i + 2, St.Quote);
      if (c2 === 0x22) return this.token(i + 2, St.Ident);
      return this.token(i);
    }
    if (b === 0x24) {
      const m = /^\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$/.exec(l.subarray(i, i + 256).toString('latin1'));
      if (m) {
        this.tag = m[0];
        this.st = St.Dollar;
        return this.token(i + m[0].length - 1);
      }
      const p = /^\$[0-9]+/.exec(l.subarray(i, i + 32).toString('latin1'));
      if (p) return this.afterNumber(l, i + p[0].length);
      return this.token(i);
    }
    if (isDigit(b) || (b === 0x2e && isDigit(l[i + 1] ?? 0))) {
      const m = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(l.subarray(i, i + 400).toString('latin1'))!;
      return this.afterNumber(l, i + m[0].length);
    }
    if (isIdentStart(b)) {
      let j = i + 1;
      while (j < l.length && isIdentCont(l[j]!)) j++;
      this.word(l.subarray(i, j).toString('latin1').toLowerCase());
      return j;
    }
    if (b === 0x3b) {
      if (this.paren === 0 && this.begin === 0) this.endStatement();
      else {
        this.clean = false;
        if (this.paren === 0) this.afterSemi = true;
      }
      return i + 1;
    }
    if (b === 0x28) this.paren++;
    else if (b === 0x29 && this.paren > 0) this.paren--;
    return this.token(i);
  }

  /** psql versions split `1abc`, `$1abc`, `1$a$` differently: refused rather than guessed. */
  private afterNumber(l: Buffer, j: number): number {
    const c = l[j] ?? 0;
    if (isIdentStart(c) || c === 0x24) throw new UnsafeScriptError(this.line, 'has a number run into a name or $, which psql versions split differently');
    return this.token(j - 1);
  }

  private token(i: number, st?: St): number {
    this.clean = false;
    this.afterSemi = false;
    if (st !== undefined) {
      this.st = st;
      this.bsRun = 0;
    }
    return i + 1;
  }

  private word(w: string): void {
    // After any `;` outside parentheses: a superset of where psql starts a statement.
    if (this.afterSemi) {
      if (w === 'copy') throw new UnsafeScriptError(this.line, "holds a COPY statement not in pg_dump's one-line `COPY … FROM stdin;` form");
      if (TX_WORDS.has(w) && (this.clean || w !== 'end')) throw new UnsafeScriptError(this.line, `starts a ${w.toUpperCase()} statement (transaction control is the restore's own)`);
    }
    // psql's heuristic for CREATE [OR REPLACE] FUNCTION|PROCEDURE … BEGIN ATOMIC … END bodies.
    if (this.idCount < 4) this.ids.push(['create', 'function', 'procedure', 'or', 'replace'].includes(w) ? w[0]! : '');
    this.idCount++;
    if ((w === 'function' || w === 'procedure') && this.fnAt < 0 && this.idCount <= 4) this.fnAt = this.idCount - 1;
    const [a, b2, c, d] = this.ids;
    const body = a === 'c' && (b2 === 'f' || b2 === 'p' || (b2 === 'o' && c === 'r' && (d === 'f' || d === 'p')));
    // Fail closed where a psql release that lexed one token differently would count this BEGIN
    // (then its `;` ends nothing and later lines, "COPY data" included, run as script): a BEGIN
    // in CREATE … FUNCTION|PROCEDURE that the exact heuristic above does not count. pg_dump never writes one.
    if (!body && w === 'begin' && this.paren === 0 && a === 'c' && this.fnAt > 0)
      throw new UnsafeScriptError(this.line, 'has BEGIN in a CREATE … FUNCTION statement whose body psql may read differently');
    if (body && this.paren === 0) {
      if (w === 'begin') this.begin++;
      else if (w === 'case' && this.begin >= 1) this.begin++;
      else if (w === 'end' && this.begin > 0) this.begin--;
    }
    this.clean = false;
    this.afterSemi = false;
  }

  private endStatement(): void {
    this.clean = true;
    this.afterSemi = true;
    this.paren = 0;
    this.begin = 0;
    this.ids = [];
    this.idCount = 0;
    this.fnAt = -1;
  }
}

/**
 * Finds statements in a migration that control the transaction themselves (BEGIN, COMMIT,
 * ROLLBACK, SAVEPOINT, …). setup-db runs each migration in its own transaction; a COMMIT
 * inside would make part of a failed file permanent and unrecorded. The scan skips comments
 * (nested block comments too), string literals (standard, E'' escapes), quoted identifiers
 * and dollar quotes, and the bodies of BEGIN ATOMIC … END functions.
 */

/** A transaction-control statement and the line (1-based) it starts on. */
export interface TxControlStatement {
  line: number;
  /** The statement's first words, upper-cased (e.g. `COMMIT`, `START TRANSACTION`). */
  statement: string;
}

interface Token {
  kind: 'word' | 'semi' | 'other';
  text: string;
  line: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

function* tokens(sql: string): Generator<Token> {
  let i = 0;
  let line = 1;
  const n = sql.length;
  const skipTo = (end: number) => {
    for (; i < end && i < n; i++) if (sql[i] === '\n') line++;
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end;
    } else if (c === '/' && next === '*') {
      let depth = 0;
      while (i < n) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else skipTo(i + 1);
      }
    } else if (c === "'" || c === '"') {
      yield { kind: 'other', text: c, line };
      quoted(c, false);
    } else if (c === '$' && /[A-Za-z_$]/.test(next ?? '')) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (!m) {
        i++;
        continue;
      }
      yield { kind: 'other', text: '$', line };
      const tag = m[0];
      const end = sql.indexOf(tag, i + tag.length);
      skipTo(end === -1 ? n : end + tag.length);
    } else if (WORD_START.test(c)) {
      const start = i;
      while (i < n && WORD_PART.test(sql[i]!)) i++;
      const word = sql.slice(start, i);
      // E'…' is an escape string: a backslash escapes the quote.
      if ((word === 'E' || word === 'e') && sql[i] === "'") {
        yield { kind: 'other', text: "E'", line };
        quoted("'", true);
      } else yield { kind: 'word', text: word.toUpperCase(), line };
    } else if (c === ';') {
      yield { kind: 'semi', text: ';', line };
      i++;
    } else {
      yield { kind: 'other', text: c, line };
      i++;
    }
  }

  function quoted(q: string, backslash: boolean) {
    i++;
    while (i < n) {
      const ch = sql[i]!;
      if (backslash && ch === '\\') skipTo(i + 2);
      else if (ch === q && sql[i + 1] === q) i += 2;
      else if (ch === q) {
        i++;
        return;
      } else skipTo(i + 1);
    }
  }
}

/** Every transaction-control statement in `sql`, in order. */
export function findTransactionControl(sql: string): TxControlStatement[] {
  const found: TxControlStatement[] = [];
  let stmt: Token[] = [];
  let atomicDepth = 0;
  const endStatement = () => {
    const [a, b] = stmt;
    if (a?.kind === 'word') {
      if (atomicDepth > 0 && a.text === 'END') atomicDepth--;
      else if (atomicDepth === 0) {
        const two = b?.kind === 'word' ? `${a.text} ${b.text}` : a.text;
        if (['BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'ABORT', 'END'].includes(a.text)) found.push({ line: a.line, statement: a.text });
        else if (two === 'START TRANSACTION' || two === 'PREPARE TRANSACTION') found.push({ line: a.line, statement: two });
      }
    }
    stmt = [];
  };
  for (const t of tokens(sql)) {
    if (t.kind === 'semi') {
      endStatement();
      continue;
    }
    const prev = stmt[stmt.length - 1];
    // CREATE FUNCTION … BEGIN ATOMIC: its body's statements end with `;` until the matching END.
    if (t.kind === 'word' && t.text === 'ATOMIC' && prev?.kind === 'word' && prev.text === 'BEGIN' && stmt.length > 1) {
      atomicDepth++;
      stmt = [];
      continue;
    }
    stmt.push(t);
  }
  endStatement();
  return found;
}

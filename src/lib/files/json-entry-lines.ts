/**
 * Adding and removing one entry of a JSON(C) object line by line, for files laid out one entry
 * per line (as people and clients write them). jsonc-parser's `modify` splices at the value's
 * end, so a `// comment` after the old last entry ended up after the new one, and removing the
 * last entry took the previous entry's comment with it. Here an entry's line — indentation,
 * key, value, comma and a comment on the same line — is inserted or removed whole, so every
 * comment stays with the entry it was written beside. Any other layout is left to `modify`.
 */
import { findNodeAtLocation, parseTree, type FormattingOptions, type Node } from 'jsonc-parser';

/** What follows a value on its line: the offset of a comma after it, and the offset after the line's end. */
interface LineTail {
  comma: number | undefined;
  end: number;
}

const isBlank = (s: string) => /^[ \t]*$/.test(s);
const lineStart = (text: string, offset: number) => text.lastIndexOf('\n', offset - 1) + 1;

/** The rest of the line after `pos`: spaces, an optional comma, an optional comment, the line end. Undefined when anything else is there. */
function lineTail(text: string, pos: number): LineTail | undefined {
  let i = pos;
  const skip = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  skip();
  let comma: number | undefined;
  if (text[i] === ',') {
    comma = i++;
    skip();
  }
  if (text.startsWith('/*', i)) {
    const close = text.indexOf('*/', i + 2);
    if (close < 0 || text.slice(i, close).includes('\n')) return undefined;
    i = close + 2;
    skip();
  }
  if (text.startsWith('//', i)) {
    const nl = text.indexOf('\n', i);
    return nl < 0 ? undefined : { comma, end: nl + 1 };
  }
  if (text.startsWith('\r\n', i)) return { comma, end: i + 2 };
  if (text[i] === '\n') return { comma, end: i + 1 };
  return undefined;
}

/** The object at `objectPath` and its entry `key` (undefined when the object is not there or is not an object). */
function locate(text: string, objectPath: string[], key: string): { object: Node; entry: Node | undefined } | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const object = root && (objectPath.length ? findNodeAtLocation(root, objectPath) : root);
  if (!object || object.type !== 'object') return undefined;
  const entry = object.children?.find((p) => p.children?.[0]?.value === key);
  return { object, entry };
}

/** A new entry on its own line after the object's last one (a comma added to that one's value when it has none). */
function insertLine(text: string, object: Node, key: string, value: unknown, fmt: FormattingOptions): string | undefined {
  const last = object.children?.at(-1);
  if (!last) return undefined;
  const from = lineStart(text, last.offset);
  const indent = text.slice(from, last.offset);
  const valueEnd = last.offset + last.length;
  const tail = lineTail(text, valueEnd);
  if (!isBlank(indent) || !tail) return undefined;
  const eol = fmt.eol ?? '\n';
  const body = JSON.stringify(value, null, fmt.insertSpaces === false ? '\t' : ' '.repeat(fmt.tabSize ?? 2)).split('\n').join(eol + indent);
  // A file that ends its entries with a comma (JSONC allows it) gets one on the new entry too.
  const line = `${indent}${JSON.stringify(key)}: ${body}${tail.comma === undefined ? '' : ','}${eol}`;
  if (tail.comma !== undefined) return text.slice(0, tail.end) + line + text.slice(tail.end);
  return `${text.slice(0, valueEnd)},${text.slice(valueEnd, tail.end)}${line}${text.slice(tail.end)}`;
}

/** The entry's whole line(s) removed; when it was the last and had no comma, the new last entry loses its comma. */
function removeLines(text: string, object: Node, entry: Node): string | undefined {
  const entries = object.children ?? [];
  const at = entries.indexOf(entry);
  const from = lineStart(text, entry.offset);
  const tail = lineTail(text, entry.offset + entry.length);
  // The only entry: `modify` leaves `{}`, as the file had before it was added.
  if (entries.length < 2 || !isBlank(text.slice(from, entry.offset)) || !tail) return undefined;
  const out = text.slice(0, from) + text.slice(tail.end);
  if (at < entries.length - 1 || tail.comma !== undefined) return out;
  const prev = entries[at - 1]!;
  const prevComma = lineTail(text, prev.offset + prev.length)?.comma;
  if (prevComma === undefined) return undefined;
  return out.slice(0, prevComma) + out.slice(prevComma + 1);
}

/**
 * `text` with the entry `jsonPath` added (it is not there yet) or removed (`value` undefined),
 * line by line; undefined when the layout is not one entry per line, or when the entry exists
 * and only its value changes (which `modify` does without touching a comment).
 */
export function editEntryLines(text: string, jsonPath: string[], value: unknown, fmt: FormattingOptions): string | undefined {
  const key = jsonPath.at(-1);
  if (key === undefined) return undefined;
  const found = locate(text, jsonPath.slice(0, -1), key);
  if (!found) return undefined;
  if (value === undefined) return found.entry ? removeLines(text, found.object, found.entry) : undefined;
  return found.entry ? undefined : insertLine(text, found.object, key, value, fmt);
}

/** Python classes and functions of a generated module: their signatures, docstrings and bodies. */
import type { Prng } from './prng.js';
import { ADJECTIVES, cap, NOUNS, PHRASES, unique, VERBS } from './pyrepo-words.js';

const INDENT = ['', '    ', '        ', '            ', '                '];

/** A small writer for indented Python lines (one growing string: cheaper than an array join). */
export class Py {
  private text = '';
  add(indent: number, line = ''): this {
    this.text += line === '' ? '\n' : INDENT[indent]! + line + '\n';
    return this;
  }
  toString(): string {
    return this.text;
  }
}

export function sentence(r: Prng, subject: string): string {
  return `${cap(subject)} ${r.pick(PHRASES)}.`;
}

export interface BodyCtx {
  r: Prng;
  taken: Set<string>;
  constants: string[];
  prefix: string;
  imported: { name: string; isClass: boolean }[];
  stdNames: Set<string>;
}

export function renderClass(py: Py, c: BodyCtx, name: string, ordinal: number): void {
  const { r } = c;
  py.add(0);
  py.add(0);
  const kind = ordinal === 0 ? 'dataclass' : r.pick(['dataclass', 'service', 'service']);
  const noun = r.pick(NOUNS);
  if (kind === 'dataclass') {
    py.add(0, '@dataclass');
    py.add(0, `class ${name}:`);
    py.add(1, `"""A ${r.pick(ADJECTIVES)} ${noun} as the ${r.pick(NOUNS)} layer sees it.`);
    py.add(0);
    py.add(1, sentence(r, 'it'));
    py.add(1, '"""');
    py.add(0);
    const fields = new Set<string>();
    const nf = r.range(2, 5);
    py.add(1, `${unique(`${noun}_id`, fields)}: str`);
    for (let i = 1; i < nf; i++) {
      const t = r.int(4);
      const f = unique(`${r.pick(ADJECTIVES)}_${r.pick(NOUNS)}`, fields);
      if (t === 0) py.add(1, `${f}: int = ${r.range(0, 100)}`);
      else if (t === 1) py.add(1, `${f}: Optional[str] = None`);
      else if (t === 2) py.add(1, `${f}: list[str] = field(default_factory=list)`);
      else py.add(1, `${f}: bool = ${r.chance(50) ? 'True' : 'False'}`);
    }
    py.add(0);
    py.add(1, 'def to_dict(self) -> dict[str, Any]:');
    py.add(2, `"""Return the ${noun} as a plain dictionary."""`);
    py.add(2, `return {${[...fields].map((f) => `"${f}": self.${f}`).join(', ')}}`);
    const methods = new Set<string>(['to_dict', ...fields]);
    for (let i = r.range(0, 2); i > 0; i--) renderFunction(py, c, unique(`${r.pick(VERBS)}_${r.pick(NOUNS)}`, methods), 1, true);
    return;
  }
  const dep = c.imported.find((x) => x.isClass);
  py.add(0, `class ${name}:`);
  py.add(1, `"""${cap(r.pick(VERBS))}s ${noun}s${dep ? ` with the help of ${dep.name}` : ''}.`);
  py.add(0);
  py.add(1, sentence(r, `the ${name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`));
  py.add(1, '"""');
  py.add(0);
  py.add(1, `def __init__(self${dep ? `, backend: Optional[${dep.name}] = None` : ''}, limit: int = ${c.constants[0]}) -> None:`);
  if (dep) py.add(2, 'self._backend = backend');
  py.add(2, 'self._limit = limit');
  py.add(2, 'self._seen: dict[str, int] = {}');
  const methods = new Set<string>(['__init__']);
  for (let i = r.range(1, 4); i > 0; i--) renderFunction(py, c, unique(`${r.pick(VERBS)}_${r.pick(NOUNS)}`, methods), 1, true);
}

/** A function or method with a docstring and one of several bodies. */
export function renderFunction(py: Py, c: BodyCtx, name: string, indent: number, method: boolean): void {
  const { r } = c;
  const self = method ? 'self, ' : '';
  const noun = r.pick(NOUNS);
  py.add(0);
  if (indent === 0) py.add(0);
  const shape = r.int(7);
  const isAsync = shape === 6;
  if (shape === 2 && !method && c.stdNames.has('lru_cache')) py.add(indent, '@lru_cache(maxsize=128)');
  const sig = signature(r, shape, self, noun);
  py.add(indent, `${isAsync ? 'async ' : ''}def ${name}${sig}:`);
  const b = indent + 1;
  py.add(b, `"""${cap(name.replace(/_/g, ' '))}.`);
  py.add(0);
  py.add(b, sentence(r, 'this function'));
  if (r.chance(60)) {
    py.add(0);
    py.add(b, 'Returns:');
    py.add(b + 1, `The ${r.pick(ADJECTIVES)} ${noun} ${r.pick(['values', 'result', 'summary', 'mapping'])}.`);
  }
  py.add(b, '"""');
  const ref = c.imported.length && r.chance(50) ? r.pick(c.imported).name : undefined;
  if (ref) py.add(b, `logger.debug("${name} uses %s", ${ref}.__name__)`);
  renderBody(py, c, shape, b, noun);
}

/** The parameters and return type of body `shape` (its PRNG draws come first, as they always did). */
function signature(r: Prng, shape: number, self: string, noun: string): string {
  switch (shape) {
    case 0:
      return `(${self}items: Iterable[str], limit: int = ${r.range(1, 50)}) -> list[str]`;
    case 1:
      return `(${self}${noun}s: Iterable[dict[str, Any]]) -> dict[str, int]`;
    case 2:
      return `(${self}value: str) -> str`;
    case 3:
      return `(${self}count: int, factor: int = ${r.range(2, 9)}) -> int`;
    case 4:
      return `(${self}${noun}: Optional[str] = None) -> bool`;
    case 5:
      return `(${self}rows: list[dict[str, Any]], key: str = "${noun}") -> list[dict[str, Any]]`;
    default:
      return `(${self}names: list[str]) -> list[str]`;
  }
}

/** The statements of body `shape`, indented by `b`. */
function renderBody(py: Py, c: BodyCtx, shape: number, b: number, noun: string): void {
  const { r } = c;
  switch (shape) {
    case 0:
      py.add(b, `cleaned = [item.strip() for item in items if item and not item.startswith("#")]`);
      if (c.stdNames.has('re')) py.add(b, `cleaned = [re.sub(r"\\s+", " ", item) for item in cleaned]`);
      py.add(b, 'return sorted(set(cleaned))[:limit]');
      break;
    case 1:
      py.add(b, 'counts: dict[str, int] = {}');
      py.add(b, `for row in ${noun}s:`);
      py.add(b + 1, `key = str(row.get("${r.pick(NOUNS)}", ${c.prefix}))`);
      py.add(b + 1, 'counts[key] = counts.get(key, 0) + 1');
      py.add(b, 'return counts');
      break;
    case 2:
      if (c.stdNames.has('hashlib')) py.add(b, `return hashlib.sha256(value.encode("utf-8")).hexdigest()[:${r.range(8, 32)}]`);
      else py.add(b, `return f"{${c.prefix}}:{value.lower()}"`);
      break;
    case 3:
      py.add(b, 'total = 0');
      py.add(b, 'for step in range(count):');
      py.add(b + 1, `if step % ${r.range(2, 7)} == 0:`);
      py.add(b + 2, 'continue');
      py.add(b + 1, 'total += step * factor');
      py.add(b, `return min(total, ${r.pick(c.constants)})`);
      break;
    case 4:
      py.add(b, `if ${noun} is None:`);
      py.add(b + 1, 'return False');
      py.add(b, 'try:');
      py.add(b + 1, `return len(${noun}) <= ${r.pick(c.constants)}`);
      py.add(b, 'except TypeError:');
      py.add(b + 1, `logger.warning("unexpected ${noun}: %r", ${noun})`);
      py.add(b + 1, 'return False');
      break;
    case 5:
      if (c.stdNames.has('defaultdict')) {
        py.add(b, 'groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)');
        py.add(b, 'for row in rows:');
        py.add(b + 1, 'groups[row.get(key)].append(row)');
        py.add(b, 'return [group[0] for group in groups.values() if group]');
      } else {
        py.add(b, 'return sorted(rows, key=lambda row: str(row.get(key, "")))');
      }
      break;
    default:
      py.add(b, 'result: list[str] = []');
      py.add(b, 'for name in names:');
      py.add(b + 1, `if len(result) >= ${r.pick(c.constants)}:`);
      py.add(b + 2, 'break');
      py.add(b + 1, 'result.append(name.upper())');
      py.add(b, 'return result');
  }
}

/**
 * The Python repository generator behind `baseline generate-repo`: a package with nested
 * sub-packages and modules whose classes, functions, docstrings and cross-module imports vary
 * with the module and the seed.
 *
 * Determinism: every choice comes from `Prng` streams keyed by (version, seed, purpose, index);
 * only integers are formatted; lists are built in index order and sorted with a plain code-unit
 * comparison (all names are ASCII). Bump GENERATOR_VERSION whenever the output changes.
 */
import { Prng } from './prng.js';

/** Part of every PRNG key and of the marker file: a different version is a different repository. */
export const GENERATOR_VERSION = 1;

/** One file of the plan, in generation order (`index`). */
export interface PlannedFile {
  /** POSIX path relative to the output folder. */
  path: string;
  kind: 'package' | 'module';
  /** Dotted module name (`root.sub.mod`, or `root.sub` for a package). */
  dotted: string;
  /** Generation index: modules import only from modules with a smaller index (no import cycles). */
  index: number;
  /** Index of the package (in `packages`) that holds this file (a package's own `__init__.py`: itself). */
  pkg: number;
}

/** The whole layout, computed before any content. */
export interface RepoPlan {
  seed: string;
  root: string;
  files: PlannedFile[];
  /** Folders (relative, POSIX) in creation order: parents first. */
  dirs: string[];
  /** Module symbols by file index (classes and functions a module defines). */
  symbols: (ModuleSymbols | undefined)[];
}

export interface ModuleSymbols {
  classes: string[];
  functions: string[];
}

const ROOTS = ['atlas', 'borealis', 'cinder', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'ion', 'juniper', 'kestrel', 'lumen', 'meridian', 'nimbus', 'onyx', 'prism', 'quartz', 'ridge', 'sable', 'tundra'];
const PACKAGES = ['api', 'auth', 'cache', 'cli', 'config', 'core', 'db', 'domain', 'events', 'handlers', 'indexing', 'io', 'jobs', 'models', 'parsers', 'pipeline', 'plugins', 'registry', 'reporting', 'routing', 'schemas', 'search', 'services', 'storage', 'sync', 'tasks', 'telemetry', 'transport', 'utils', 'workers'];
const VERBS = ['build', 'parse', 'load', 'save', 'fetch', 'merge', 'split', 'render', 'resolve', 'validate', 'normalize', 'collect', 'filter', 'index', 'rank', 'score', 'encode', 'decode', 'compile', 'schedule', 'dispatch', 'register', 'refresh', 'prune', 'export', 'import', 'scan', 'match', 'compute', 'summarize', 'apply', 'track', 'emit', 'flush', 'restore', 'migrate', 'sanitize', 'expand', 'group', 'sort'];
const NOUNS = ['project', 'session', 'token', 'record', 'entry', 'query', 'result', 'chunk', 'document', 'symbol', 'module', 'config', 'setting', 'event', 'message', 'payload', 'request', 'response', 'handler', 'route', 'schema', 'field', 'column', 'table', 'index', 'cursor', 'batch', 'job', 'task', 'worker', 'queue', 'lease', 'lock', 'snapshot', 'version', 'branch', 'commit', 'path', 'file', 'folder', 'vector', 'embedding', 'score', 'rank', 'filter', 'budget', 'quota', 'metric', 'sample', 'report', 'template', 'context', 'registry', 'plugin', 'profile', 'account', 'user', 'role', 'policy', 'rule'];
const ADJECTIVES = ['active', 'cached', 'pending', 'default', 'remote', 'local', 'shared', 'stale', 'primary', 'partial', 'sorted', 'unique', 'raw', 'clean', 'global', 'nested', 'recent', 'stable', 'lazy', 'strict'];
const CLASS_SUFFIXES = ['Service', 'Repository', 'Manager', 'Builder', 'Parser', 'Index', 'Store', 'Client', 'Policy', 'Resolver', 'Tracker', 'Cache', 'Pipeline', 'Registry', 'Adapter'];
const PHRASES = [
  'keeps the hot path free of allocations',
  'is safe to call from several tasks at once',
  'never raises for malformed input; it logs and skips it',
  'returns results in a stable order',
  'reads the configuration once and caches it',
  'is used by the indexing pipeline',
  'mirrors the behaviour of the command-line tool',
  'accepts any iterable and consumes it lazily',
  'treats an empty value as missing',
  'is covered by the integration tests',
  'was split out of a larger module to keep imports light',
  'favours clarity over raw speed',
];
const STDLIB: { line: string; names: string[] }[] = [
  { line: 'import logging', names: [] },
  { line: 'import json', names: ['json'] },
  { line: 'import re', names: ['re'] },
  { line: 'import hashlib', names: ['hashlib'] },
  { line: 'import itertools', names: ['itertools'] },
  { line: 'from collections import defaultdict', names: ['defaultdict'] },
  { line: 'from functools import lru_cache', names: ['lru_cache'] },
  { line: 'from pathlib import Path', names: ['Path'] },
  { line: 'from enum import Enum', names: ['Enum'] },
];

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const camel = (...words: string[]) => words.map(cap).join('');
const upper = (...words: string[]) => words.join('_').toUpperCase();
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Distinct name within a scope: the first free of `name`, `name_2`, `name_3`, … */
function unique(name: string, taken: Set<string>, sep = '_'): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}${sep}${i}`;
  taken.add(n);
  return n;
}

/** Lays out `count` Python files (packages' `__init__.py` included) for a seed. */
export function planRepo(count: number, seed: string): RepoPlan {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`file count must be a positive integer, not ${count}`);
  const r = new Prng(`mcpctl-pyrepo:${GENERATOR_VERSION}:${seed}:layout`);
  const root = `${r.pick(ROOTS)}_${r.pick(NOUNS)}`;
  // About one sub-package per 30 files, nested at most three levels below the root.
  const subCount = count < 4 ? 0 : Math.min(Math.floor(count / 30) + 1, Math.floor((count - 1) / 3));
  const packages: { dir: string; dotted: string; depth: number; children: Set<string>; modules: Set<string> }[] = [
    { dir: root, dotted: root, depth: 0, children: new Set(), modules: new Set() },
  ];
  const files: PlannedFile[] = [{ path: `${root}/__init__.py`, kind: 'package', dotted: root, index: 0, pkg: 0 }];
  for (let i = 0; i < subCount; i++) {
    let parent = packages[r.int(packages.length)]!;
    if (parent.depth >= 3) parent = packages[0]!;
    const name = unique(r.pick(PACKAGES), parent.children);
    const pkg = { dir: `${parent.dir}/${name}`, dotted: `${parent.dotted}.${name}`, depth: parent.depth + 1, children: new Set<string>(), modules: new Set<string>() };
    packages.push(pkg);
    files.push({ path: `${pkg.dir}/__init__.py`, kind: 'package', dotted: pkg.dotted, index: files.length, pkg: packages.length - 1 });
  }
  for (const p of packages) for (const c of p.children) p.modules.add(c); // a module may not shadow a sub-package
  while (files.length < count) {
    const pi = r.int(packages.length);
    const pkg = packages[pi]!;
    const base = r.chance(70) ? `${r.pick(NOUNS)}_${r.pick(['utils', 'service', 'models', 'store', 'helpers', 'handlers', 'core', 'types', 'client', 'index'])}` : `${r.pick(VERBS)}_${r.pick(NOUNS)}`;
    const name = unique(base, pkg.modules);
    files.push({ path: `${pkg.dir}/${name}.py`, kind: 'module', dotted: `${pkg.dotted}.${name}`, index: files.length, pkg: pi });
  }
  const symbols = files.map((f) => (f.kind === 'module' ? moduleSymbols(seed, f.index) : undefined));
  return { seed, root, files, dirs: packages.map((p) => p.dir), symbols };
}

/** The public classes and functions of module `index` (its own PRNG stream, so imports can know them). */
function moduleSymbols(seed: string, index: number): ModuleSymbols {
  const r = new Prng(`mcpctl-pyrepo:${GENERATOR_VERSION}:${seed}:symbols:${index}`);
  const taken = new Set<string>();
  const classes: string[] = [];
  const functions: string[] = [];
  const nc = r.range(1, 3);
  for (let i = 0; i < nc; i++) classes.push(unique(camel(r.chance(40) ? r.pick(ADJECTIVES) : '', r.pick(NOUNS), r.pick(CLASS_SUFFIXES)), taken, ''));
  const nf = r.range(1, 4);
  for (let i = 0; i < nf; i++) functions.push(unique(`${r.pick(VERBS)}_${r.pick(NOUNS)}${r.chance(30) ? `_${r.pick(['items', 'all', 'batch', 'once', 'safe'])}` : ''}`, taken));
  return { classes, functions };
}

const INDENT = ['', '    ', '        ', '            ', '                '];

/** A small writer for indented Python lines (one growing string: cheaper than an array join). */
class Py {
  private text = '';
  add(indent: number, line = ''): this {
    this.text += line === '' ? '\n' : INDENT[indent]! + line + '\n';
    return this;
  }
  toString(): string {
    return this.text;
  }
}

function sentence(r: Prng, subject: string): string {
  return `${cap(subject)} ${r.pick(PHRASES)}.`;
}

/** The content of one planned file. */
export function renderFile(plan: RepoPlan, file: PlannedFile): string {
  return file.kind === 'package' ? renderPackage(plan, file) : renderModule(plan, file);
}

function renderPackage(plan: RepoPlan, file: PlannedFile): string {
  const r = new Prng(`mcpctl-pyrepo:${GENERATOR_VERSION}:${plan.seed}:package:${file.index}`);
  const last = file.dotted.slice(file.dotted.lastIndexOf('.') + 1);
  const py = new Py();
  py.add(0, `"""The ${last.replace(/_/g, ' ')} package of ${plan.root}.`);
  py.add(0);
  py.add(0, sentence(r, `this package`));
  py.add(0, '"""');
  if (file.index === 0) {
    py.add(0);
    py.add(0, `__version__ = "${r.range(0, 3)}.${r.range(0, 20)}.${r.range(0, 9)}"`);
  }
  py.add(0);
  py.add(0, '__all__: list[str] = []');
  return py.toString();
}

function renderModule(plan: RepoPlan, file: PlannedFile): string {
  const r = new Prng(`mcpctl-pyrepo:${GENERATOR_VERSION}:${plan.seed}:module:${file.index}`);
  const own = plan.symbols[file.index]!;
  const taken = new Set<string>([...own.classes, ...own.functions]);
  const py = new Py();
  const subject = file.dotted.slice(file.dotted.lastIndexOf('.') + 1).replace(/_/g, ' ');

  py.add(0, `"""${cap(subject)}: ${r.pick(VERBS)} and ${r.pick(VERBS)} ${r.pick(NOUNS)}s for the ${r.pick(NOUNS)} layer.`);
  py.add(0);
  py.add(0, sentence(r, 'this module'));
  if (r.chance(50)) py.add(0, sentence(r, `${r.pick(own.functions)}()`));
  py.add(0, '"""');
  py.add(0);
  py.add(0, 'from __future__ import annotations');
  py.add(0);

  // Standard library imports, sorted as isort would.
  const std = [STDLIB[0]!, ...r.sample(STDLIB.slice(1), r.range(1, 3))];
  const stdLines = [...std.map((s) => s.line), 'from dataclasses import dataclass, field', 'from typing import Any, Iterable, Optional'];
  // isort's order: plain `import x` lines first, then `from x import y`, each alphabetical.
  const sortKey = (l: string) => (l.startsWith('import ') ? '0' : '1') + l.split(' ')[1];
  for (const l of stdLines.sort((a, b) => cmp(sortKey(a), sortKey(b)))) py.add(0, l);
  const stdNames = new Set(std.flatMap((s) => s.names));
  for (const n of ['logging', 'dataclass', 'field', 'Any', 'Iterable', 'Optional', 'logger']) taken.add(n);
  for (const n of stdNames) taken.add(n);

  // Imports from earlier modules: mostly neighbours (same package), sometimes from afar.
  const imported: { name: string; isClass: boolean }[] = [];
  const candidates: number[] = [];
  const importCount = file.index < 3 ? 0 : r.range(0, 4);
  for (let k = 0; k < importCount; k++) {
    const near = Math.max(1, file.index - 40);
    const j = r.chance(60) ? near + r.int(file.index - near) : 1 + r.int(file.index - 1);
    if (plan.files[j]!.kind === 'module' && !candidates.includes(j)) candidates.push(j);
  }
  const byModule = candidates
    .map((j) => {
      const s = plan.symbols[j]!;
      const isClass = r.chance(50);
      const name = isClass ? r.pick(s.classes) : r.pick(s.functions);
      return { dotted: plan.files[j]!.dotted, name, isClass };
    })
    .filter((x) => !taken.has(x.name))
    .sort((a, b) => cmp(a.dotted, b.dotted) || cmp(a.name, b.name));
  if (byModule.length) py.add(0);
  for (const m of byModule) {
    if (taken.has(m.name)) continue;
    taken.add(m.name);
    imported.push({ name: m.name, isClass: m.isClass });
    py.add(0, `from ${m.dotted} import ${m.name}`);
  }

  py.add(0);
  py.add(0, 'logger = logging.getLogger(__name__)');
  py.add(0);
  const constants: string[] = [];
  for (let i = r.range(1, 3); i > 0; i--) {
    const name = unique(upper(r.pick(['default', 'max', 'min']), r.pick(NOUNS), r.pick(['limit', 'size', 'count', 'retries'])), taken);
    constants.push(name);
    py.add(0, `${name} = ${r.range(1, 64) * 8}`);
  }
  const prefix = unique(upper(r.pick(NOUNS), 'prefix'), taken);
  py.add(0, `${prefix} = "${r.pick(NOUNS)}-${r.pick(ADJECTIVES)}"`);
  py.add(0);
  py.add(0, `__all__ = [${[...own.classes, ...own.functions].map((n) => `"${n}"`).join(', ')}]`);

  const ctx: BodyCtx = { r, taken, constants, prefix, imported, stdNames };
  own.classes.forEach((c, i) => renderClass(py, ctx, c, i));
  for (const f of own.functions) renderFunction(py, ctx, f, 0, false);
  return py.toString();
}

interface BodyCtx {
  r: Prng;
  taken: Set<string>;
  constants: string[];
  prefix: string;
  imported: { name: string; isClass: boolean }[];
  stdNames: Set<string>;
}

function renderClass(py: Py, c: BodyCtx, name: string, ordinal: number): void {
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
function renderFunction(py: Py, c: BodyCtx, name: string, indent: number, method: boolean): void {
  const { r } = c;
  const self = method ? 'self, ' : '';
  const noun = r.pick(NOUNS);
  py.add(0);
  if (indent === 0) py.add(0);
  const shape = r.int(7);
  const isAsync = shape === 6;
  if (shape === 2 && !method && c.stdNames.has('lru_cache')) py.add(indent, '@lru_cache(maxsize=128)');
  let sig: string;
  switch (shape) {
    case 0:
      sig = `(${self}items: Iterable[str], limit: int = ${r.range(1, 50)}) -> list[str]`;
      break;
    case 1:
      sig = `(${self}${noun}s: Iterable[dict[str, Any]]) -> dict[str, int]`;
      break;
    case 2:
      sig = `(${self}value: str) -> str`;
      break;
    case 3:
      sig = `(${self}count: int, factor: int = ${r.range(2, 9)}) -> int`;
      break;
    case 4:
      sig = `(${self}${noun}: Optional[str] = None) -> bool`;
      break;
    case 5:
      sig = `(${self}rows: list[dict[str, Any]], key: str = "${noun}") -> list[dict[str, Any]]`;
      break;
    default:
      sig = `(${self}names: list[str]) -> list[str]`;
  }
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

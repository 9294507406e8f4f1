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
import { renderClass, renderFunction, sentence, Py, type BodyCtx } from './pyrepo-body.js';
import { ADJECTIVES, camel, cap, CLASS_SUFFIXES, cmp, NOUNS, PACKAGES, ROOTS, STDLIB, unique, upper, VERBS } from './pyrepo-words.js';

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

#!/usr/bin/env python3
"""The old way: a Python generator of a test repository, for `bench/cases/baseline.mjs`.

It writes the same kind of repository as `mcpctl baseline generate-repo` (a package with nested
sub-packages; modules with imports between them, dataclasses, service classes, functions and
docstrings; about the same number of bytes per file), using Python's own seeded `random.Random`.
Usage: generate_test_repo.py --files N --out DIR [--seed S]
"""

from __future__ import annotations

import argparse
import os
import random
import sys

ROOTS = ["atlas", "borealis", "cinder", "delta", "ember", "fjord", "granite", "harbor", "ion", "juniper", "kestrel", "lumen", "meridian", "nimbus", "onyx", "prism", "quartz", "ridge", "sable", "tundra"]
PACKAGES = ["api", "auth", "cache", "cli", "config", "core", "db", "domain", "events", "handlers", "indexing", "io", "jobs", "models", "parsers", "pipeline", "plugins", "registry", "reporting", "routing", "schemas", "search", "services", "storage", "sync", "tasks", "telemetry", "transport", "utils", "workers"]
VERBS = ["build", "parse", "load", "save", "fetch", "merge", "split", "render", "resolve", "validate", "normalize", "collect", "filter", "index", "rank", "score", "encode", "decode", "compile", "schedule", "dispatch", "register", "refresh", "prune", "export", "import", "scan", "match", "compute", "summarize", "apply", "track", "emit", "flush", "restore", "migrate", "sanitize", "expand", "group", "sort"]
NOUNS = ["project", "session", "token", "record", "entry", "query", "result", "chunk", "document", "symbol", "module", "config", "setting", "event", "message", "payload", "request", "response", "handler", "route", "schema", "field", "column", "table", "index", "cursor", "batch", "job", "task", "worker", "queue", "lease", "lock", "snapshot", "version", "branch", "commit", "path", "file", "folder", "vector", "embedding", "score", "rank", "filter", "budget", "quota", "metric", "sample", "report", "template", "context", "registry", "plugin", "profile", "account", "user", "role", "policy", "rule"]
ADJECTIVES = ["active", "cached", "pending", "default", "remote", "local", "shared", "stale", "primary", "partial", "sorted", "unique", "raw", "clean", "global", "nested", "recent", "stable", "lazy", "strict"]
CLASS_SUFFIXES = ["Service", "Repository", "Manager", "Builder", "Parser", "Index", "Store", "Client", "Policy", "Resolver", "Tracker", "Cache", "Pipeline", "Registry", "Adapter"]
PHRASES = [
    "keeps the hot path free of allocations",
    "is safe to call from several tasks at once",
    "never raises for malformed input; it logs and skips it",
    "returns results in a stable order",
    "reads the configuration once and caches it",
    "is used by the indexing pipeline",
    "mirrors the behaviour of the command-line tool",
    "accepts any iterable and consumes it lazily",
    "treats an empty value as missing",
    "is covered by the integration tests",
    "was split out of a larger module to keep imports light",
    "favours clarity over raw speed",
]
STDLIB = ["import json", "import re", "import hashlib", "import itertools", "from collections import defaultdict", "from functools import lru_cache", "from pathlib import Path", "from enum import Enum"]


def unique(name: str, taken: set, sep: str = "_") -> str:
    n, i = name, 2
    while n in taken:
        n = f"{name}{sep}{i}"
        i += 1
    taken.add(n)
    return n


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def plan(count: int, seed: str):
    r = random.Random(f"layout:{seed}")
    root = f"{r.choice(ROOTS)}_{r.choice(NOUNS)}"
    sub = 0 if count < 4 else min(count // 30 + 1, (count - 1) // 3)
    packages = [{"dir": root, "dotted": root, "depth": 0, "children": set(), "modules": set()}]
    files = [(f"{root}/__init__.py", "package", root, 0)]
    for _ in range(sub):
        parent = r.choice(packages)
        if parent["depth"] >= 3:
            parent = packages[0]
        name = unique(r.choice(PACKAGES), parent["children"])
        pkg = {"dir": f"{parent['dir']}/{name}", "dotted": f"{parent['dotted']}.{name}", "depth": parent["depth"] + 1, "children": set(), "modules": set()}
        packages.append(pkg)
        files.append((f"{pkg['dir']}/__init__.py", "package", pkg["dotted"], len(packages) - 1))
    for p in packages:
        p["modules"] |= p["children"]
    while len(files) < count:
        pi = r.randrange(len(packages))
        pkg = packages[pi]
        if r.random() < 0.7:
            base = f"{r.choice(NOUNS)}_{r.choice(['utils', 'service', 'models', 'store', 'helpers', 'handlers', 'core', 'types', 'client', 'index'])}"
        else:
            base = f"{r.choice(VERBS)}_{r.choice(NOUNS)}"
        name = unique(base, pkg["modules"])
        files.append((f"{pkg['dir']}/{name}.py", "module", f"{pkg['dotted']}.{name}", pi))
    symbols = []
    for i, f in enumerate(files):
        if f[1] != "module":
            symbols.append(None)
            continue
        s = random.Random(f"symbols:{seed}:{i}")
        taken: set = set()
        classes = [unique("".join(cap(w) for w in ([s.choice(ADJECTIVES)] if s.random() < 0.4 else []) + [s.choice(NOUNS), s.choice(CLASS_SUFFIXES)]), taken, "") for _ in range(s.randint(1, 3))]
        functions = [unique(f"{s.choice(VERBS)}_{s.choice(NOUNS)}", taken) for _ in range(s.randint(1, 4))]
        symbols.append((classes, functions))
    return root, packages, files, symbols


def render_package(root: str, dotted: str, index: int, seed: str) -> str:
    r = random.Random(f"package:{seed}:{index}")
    last = dotted.rsplit(".", 1)[-1]
    out = [f'"""The {last.replace("_", " ")} package of {root}.', "", f"This package {r.choice(PHRASES)}.", '"""']
    if index == 0:
        out += ["", f'__version__ = "{r.randint(0, 3)}.{r.randint(0, 20)}.{r.randint(0, 9)}"']
    out += ["", "__all__: list[str] = []"]
    return "\n".join(out) + "\n"


def render_function(out: list, r: random.Random, name: str, indent: int, method: bool, constants: list, prefix: str, imported: list) -> None:
    ind = "    " * indent
    b = "    " * (indent + 1)
    self_ = "self, " if method else ""
    noun = r.choice(NOUNS)
    out.append("")
    if indent == 0:
        out.append("")
    shape = r.randrange(7)
    sigs = [
        f"({self_}items: Iterable[str], limit: int = {r.randint(1, 50)}) -> list[str]",
        f"({self_}{noun}s: Iterable[dict[str, Any]]) -> dict[str, int]",
        f"({self_}value: str) -> str",
        f"({self_}count: int, factor: int = {r.randint(2, 9)}) -> int",
        f"({self_}{noun}: Optional[str] = None) -> bool",
        f'({self_}rows: list[dict[str, Any]], key: str = "{noun}") -> list[dict[str, Any]]',
        f"({self_}names: list[str]) -> list[str]",
    ]
    out.append(f"{ind}{'async ' if shape == 6 else ''}def {name}{sigs[shape]}:")
    out.append(f'{b}"""{cap(name.replace("_", " "))}.')
    out.append("")
    out.append(f"{b}This function {r.choice(PHRASES)}.")
    if r.random() < 0.6:
        out += ["", f"{b}Returns:", f"{b}    The {r.choice(ADJECTIVES)} {noun} {r.choice(['values', 'result', 'summary', 'mapping'])}."]
    out.append(f'{b}"""')
    if imported and r.random() < 0.5:
        out.append(f'{b}logger.debug("{name} uses %s", {r.choice(imported)}.__name__)')
    if shape == 0:
        out += [f'{b}cleaned = [item.strip() for item in items if item and not item.startswith("#")]', f"{b}return sorted(set(cleaned))[:limit]"]
    elif shape == 1:
        out += [f"{b}counts: dict[str, int] = {{}}", f"{b}for row in {noun}s:", f'{b}    key = str(row.get("{r.choice(NOUNS)}", {prefix}))', f"{b}    counts[key] = counts.get(key, 0) + 1", f"{b}return counts"]
    elif shape == 2:
        out.append(f'{b}return f"{{{prefix}}}:{{value.lower()}}"')
    elif shape == 3:
        out += [f"{b}total = 0", f"{b}for step in range(count):", f"{b}    if step % {r.randint(2, 7)} == 0:", f"{b}        continue", f"{b}    total += step * factor", f"{b}return min(total, {r.choice(constants)})"]
    elif shape == 4:
        out += [f"{b}if {noun} is None:", f"{b}    return False", f"{b}try:", f"{b}    return len({noun}) <= {r.choice(constants)}", f"{b}except TypeError:", f'{b}    logger.warning("unexpected {noun}: %r", {noun})', f"{b}    return False"]
    elif shape == 5:
        out.append(f'{b}return sorted(rows, key=lambda row: str(row.get(key, "")))')
    else:
        out += [f"{b}result: list[str] = []", f"{b}for name in names:", f"{b}    if len(result) >= {r.choice(constants)}:", f"{b}        break", f"{b}    result.append(name.upper())", f"{b}return result"]


def render_module(files, symbols, index: int, seed: str) -> str:
    r = random.Random(f"module:{seed}:{index}")
    classes, functions = symbols[index]
    dotted = files[index][2]
    subject = dotted.rsplit(".", 1)[-1].replace("_", " ")
    out = [f'"""{cap(subject)}: {r.choice(VERBS)} and {r.choice(VERBS)} {r.choice(NOUNS)}s for the {r.choice(NOUNS)} layer.', "", f"This module {r.choice(PHRASES)}.", '"""', "", "from __future__ import annotations", ""]
    std = sorted(["import logging", *r.sample(STDLIB, r.randint(1, 3)), "from dataclasses import dataclass, field", "from typing import Any, Iterable, Optional"], key=lambda l: ("1" if l.startswith("from") else "0") + l.split(" ")[1])
    out += std
    taken = set(classes) | set(functions)
    imported = []
    if index >= 3:
        lines = []
        for _ in range(r.randint(0, 4)):
            j = r.randrange(max(1, index - 40), index) if r.random() < 0.6 else r.randrange(1, index)
            if files[j][1] != "module":
                continue
            c, f = symbols[j]
            name = r.choice(c) if r.random() < 0.5 else r.choice(f)
            if name in taken:
                continue
            taken.add(name)
            imported.append(name)
            lines.append(f"from {files[j][2]} import {name}")
        if lines:
            out.append("")
            out += sorted(lines)
    out += ["", "logger = logging.getLogger(__name__)", ""]
    constants = []
    for _ in range(r.randint(1, 3)):
        name = unique(f"{r.choice(['default', 'max', 'min'])}_{r.choice(NOUNS)}_{r.choice(['limit', 'size', 'count', 'retries'])}".upper(), taken)
        constants.append(name)
        out.append(f"{name} = {r.randint(1, 64) * 8}")
    prefix = unique(f"{r.choice(NOUNS)}_PREFIX".upper(), taken)
    out.append(f'{prefix} = "{r.choice(NOUNS)}-{r.choice(ADJECTIVES)}"')
    out += ["", "__all__ = [" + ", ".join(f'"{n}"' for n in classes + functions) + "]"]
    for k, cls in enumerate(classes):
        noun = r.choice(NOUNS)
        out += ["", ""]
        if k == 0 or r.random() < 0.34:
            out += ["@dataclass", f"class {cls}:", f'    """A {r.choice(ADJECTIVES)} {noun} as the {r.choice(NOUNS)} layer sees it.', "", f"    It {r.choice(PHRASES)}.", '    """', ""]
            fields = [f"{noun}_id"]
            out.append(f"    {noun}_id: str")
            for _ in range(r.randint(1, 4)):
                f = unique(f"{r.choice(ADJECTIVES)}_{r.choice(NOUNS)}", set(fields))
                fields.append(f)
                t = r.randrange(4)
                out.append(f"    {f}: " + ["int = %d" % r.randint(0, 100), "Optional[str] = None", "list[str] = field(default_factory=list)", "bool = False"][t])
            out += ["", "    def to_dict(self) -> dict[str, Any]:", f'        """Return the {noun} as a plain dictionary."""', "        return {" + ", ".join(f'"{f}": self.{f}' for f in fields) + "}"]
            methods = {"to_dict", *fields}
            for _ in range(r.randint(0, 2)):
                render_function(out, r, unique(f"{r.choice(VERBS)}_{r.choice(NOUNS)}", methods), 1, True, constants, prefix, imported)
        else:
            out += [f"class {cls}:", f'    """{cap(r.choice(VERBS))}s {noun}s.', "", f"    It {r.choice(PHRASES)}.", '    """', "", f"    def __init__(self, limit: int = {constants[0]}) -> None:", "        self._limit = limit", "        self._seen: dict[str, int] = {}"]
            methods = {"__init__"}
            for _ in range(r.randint(1, 4)):
                render_function(out, r, unique(f"{r.choice(VERBS)}_{r.choice(NOUNS)}", methods), 1, True, constants, prefix, imported)
    for fn in functions:
        render_function(out, r, fn, 0, False, constants, prefix, imported)
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", default="42")
    a = ap.parse_args()
    if os.path.isdir(a.out) and os.listdir(a.out):
        print(f"{a.out} is not empty", file=sys.stderr)
        return 2
    root, packages, files, symbols = plan(a.files, a.seed)
    for p in packages:
        os.makedirs(os.path.join(a.out, p["dir"]), exist_ok=True)
    total = 0
    for i, (path, kind, dotted, _) in enumerate(files):
        text = render_package(root, dotted, i, a.seed) if kind == "package" else render_module(files, symbols, i, a.seed)
        with open(os.path.join(a.out, path), "w", encoding="utf-8") as fh:
            total += fh.write(text)
    print(f"wrote {len(files)} files, {total} bytes to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

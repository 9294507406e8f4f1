/** The vocabulary of the generated Python repository, and the helpers that name things. */
export const ROOTS = ['atlas', 'borealis', 'cinder', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'ion', 'juniper', 'kestrel', 'lumen', 'meridian', 'nimbus', 'onyx', 'prism', 'quartz', 'ridge', 'sable', 'tundra'];
export const PACKAGES = ['api', 'auth', 'cache', 'cli', 'config', 'core', 'db', 'domain', 'events', 'handlers', 'indexing', 'io', 'jobs', 'models', 'parsers', 'pipeline', 'plugins', 'registry', 'reporting', 'routing', 'schemas', 'search', 'services', 'storage', 'sync', 'tasks', 'telemetry', 'transport', 'utils', 'workers'];
export const VERBS = ['build', 'parse', 'load', 'save', 'fetch', 'merge', 'split', 'render', 'resolve', 'validate', 'normalize', 'collect', 'filter', 'index', 'rank', 'score', 'encode', 'decode', 'compile', 'schedule', 'dispatch', 'register', 'refresh', 'prune', 'export', 'import', 'scan', 'match', 'compute', 'summarize', 'apply', 'track', 'emit', 'flush', 'restore', 'migrate', 'sanitize', 'expand', 'group', 'sort'];
export const NOUNS = ['project', 'session', 'token', 'record', 'entry', 'query', 'result', 'chunk', 'document', 'symbol', 'module', 'config', 'setting', 'event', 'message', 'payload', 'request', 'response', 'handler', 'route', 'schema', 'field', 'column', 'table', 'index', 'cursor', 'batch', 'job', 'task', 'worker', 'queue', 'lease', 'lock', 'snapshot', 'version', 'branch', 'commit', 'path', 'file', 'folder', 'vector', 'embedding', 'score', 'rank', 'filter', 'budget', 'quota', 'metric', 'sample', 'report', 'template', 'context', 'registry', 'plugin', 'profile', 'account', 'user', 'role', 'policy', 'rule'];
export const ADJECTIVES = ['active', 'cached', 'pending', 'default', 'remote', 'local', 'shared', 'stale', 'primary', 'partial', 'sorted', 'unique', 'raw', 'clean', 'global', 'nested', 'recent', 'stable', 'lazy', 'strict'];
export const CLASS_SUFFIXES = ['Service', 'Repository', 'Manager', 'Builder', 'Parser', 'Index', 'Store', 'Client', 'Policy', 'Resolver', 'Tracker', 'Cache', 'Pipeline', 'Registry', 'Adapter'];
export const PHRASES = [
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
export const STDLIB: { line: string; names: string[] }[] = [
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

export const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export const camel = (...words: string[]) => words.map(cap).join('');
export const upper = (...words: string[]) => words.join('_').toUpperCase();
export const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Distinct name within a scope: the first free of `name`, `name_2`, `name_3`, … */
export function unique(name: string, taken: Set<string>, sep = '_'): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}${sep}${i}`;
  taken.add(n);
  return n;
}

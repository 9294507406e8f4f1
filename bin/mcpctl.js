#!/usr/bin/env node
// The published entry point. It is CommonJS (bin/package.json says so): Node starts a CommonJS
// entry about 10 ms sooner than an ES module, which is most of what `--version` costs. It answers
// `--version` and the top-level help itself, starts a plain `serve` command line through serve's
// fast path (dist/bundle/serve.cjs: no commander, no ES module loader; it declines anything else),
// and hands everything else to the bundled, compiled CLI (`npm run build` writes dist/bundle/; no
// TypeScript at run time). The path stays bin/mcpctl.js:
// MCP client entries written by `mcpctl client add` name it.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.join(__dirname, '..');
const bundle = path.join(root, 'dist', 'bundle');
const argv = process.argv.slice(2);
const only = argv.length === 1 ? argv[0] : undefined;

/** Prints a finished answer; a reader that closed early (`mcpctl --help | head`) is not an error. */
function answer(text) {
  process.stdout.on('error', () => {});
  process.stdout.write(text);
}

/**
 * The top-level help page as the build rendered it (scripts/bundle.mjs runs the CLI's own --help),
 * when it is what commander would print now: commander wraps to the terminal's width, or to 80
 * columns when stdout is not a terminal — the width the page was rendered at.
 */
function renderedHelp() {
  if (process.stdout.isTTY && process.stdout.columns !== 80) return undefined;
  try {
    return readFileSync(path.join(bundle, 'help-80.txt'), 'utf8');
  } catch {
    return undefined;
  }
}

/** The CLI could not even load (a damaged install): a bug or a broken package, exit 1. */
function internalError(err) {
  process.stderr.write(`mcpctl: internal error: ${err && err.stack ? err.stack : err}\nhint: reinstall mcpctl; if it persists, report it\n`);
  process.exitCode = 1;
}

/**
 * True when serve's fast path took the command line (an MCP client starts serve on every
 * connect); false when it declined it, leaving it to the full CLI (help, usage errors, …).
 */
function servedFast() {
  const file = path.join(bundle, 'serve.cjs');
  if (!existsSync(file)) return false;
  let serve;
  try {
    serve = require(file);
  } catch (err) {
    internalError(err);
    return true;
  }
  return serve.startServe(argv);
}

let help;
if (only === '--version' || only === '-V') {
  // Scripts and CI ask for the version on every run: answer before loading anything else.
  answer(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version + '\n');
} else if ((only === '--help' || only === '-h' || only === 'help') && (help = renderedHelp()) !== undefined) {
  answer(help);
} else if (argv.includes('serve') && servedFast()) {
  // serve's fast path runs it.
} else if (existsSync(path.join(bundle, 'cli.js'))) {
  import(pathToFileURL(path.join(bundle, 'cli.js')).href).catch(internalError);
} else {
  // Only a clone can get here (the package ships dist/): say what to do instead of a stack trace.
  process.stderr.write('mcpctl: dist/bundle/ is not built in this checkout: run `npm run build` first\n');
  process.exitCode = 2;
}

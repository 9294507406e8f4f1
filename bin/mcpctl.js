#!/usr/bin/env node
// The published entry point runs the bundled, compiled CLI (`npm run build` writes dist/bundle/);
// no TypeScript at run time.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bundle/cli.js', import.meta.url);
if (existsSync(entry)) await import(entry.href);
else {
  // Only a clone can get here (the package ships dist/): say what to do instead of a stack trace.
  process.stderr.write('mcpctl: dist/bundle/ is not built in this checkout: run `npm run build` first\n');
  process.exitCode = 2;
}

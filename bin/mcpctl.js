#!/usr/bin/env node
// The published entry point runs the bundled, compiled CLI (`npm run build` writes dist/bundle/);
// no TypeScript at run time.
import { existsSync, readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Scripts and CI ask for the version on every run: answer before loading anything else.
  process.stdout.write(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version + '\n');
} else {
  const entry = new URL('../dist/bundle/cli.js', import.meta.url);
  if (existsSync(entry)) await import(entry.href);
  else {
    // Only a clone can get here (the package ships dist/): say what to do instead of a stack trace.
    process.stderr.write('mcpctl: dist/bundle/ is not built in this checkout: run `npm run build` first\n');
    process.exitCode = 2;
  }
}

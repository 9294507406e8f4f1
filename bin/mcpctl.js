#!/usr/bin/env node
// The published entry point runs the compiled CLI; no TypeScript at run time.
import '../dist/cli.js';

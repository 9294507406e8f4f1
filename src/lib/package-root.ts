import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the mcpctl package itself (two levels up from both src/lib and dist/lib):
 * where the shipped `.env.template` and `bin/mcpctl.js` are.
 */
export function packageRoot(): string {
  return path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
}

/** The absolute path of mcpctl's own entry point, for MCP client entries (no npx at start-up). */
export function mcpctlBin(): string {
  return path.join(packageRoot(), 'bin', 'mcpctl.js');
}

/** The shipped reference page of a command, as an absolute path a user can open (docs/ is in the package). */
export function docPath(command: string): string {
  return path.join(packageRoot(), 'docs', `${command}.md`);
}

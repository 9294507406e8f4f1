import { readFileSync } from 'node:fs';

/** mcpctl's own version, from package.json (two levels up from both src/lib and dist/lib). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

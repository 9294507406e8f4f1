/** verify-db's check names, and the --only/--skip selection (adapter and core share it). */
import { UsageError } from '../../lib/cli/errors.js';
import { selectChecks } from '../../lib/cli/report.js';

/** The checks of verify-db, in report order. */
export const VERIFY_DB_CHECKS = ['reachable', 'version', 'auth', 'databases', 'createdb', 'dynamic-db', 'schema', 'pgvector', 'pool'] as const;
export type VerifyDbCheck = (typeof VERIFY_DB_CHECKS)[number];

/** Parses --only/--skip; unknown names are a usage error listing the valid ones. */
export function selectVerifyDbChecks(only: string | undefined, skipList: string | undefined): Set<VerifyDbCheck> {
  const { selected, unknown } = selectChecks(VERIFY_DB_CHECKS, only, skipList);
  const valid = `valid checks: ${VERIFY_DB_CHECKS.join(', ')}`;
  if (unknown.length) throw new UsageError(`unknown check${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ')}`, { hint: valid });
  if (selected.size === 0) throw new UsageError('--only/--skip leave no check to run', { hint: valid });
  return selected as Set<VerifyDbCheck>;
}

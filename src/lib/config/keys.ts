import { isIP } from 'node:net';
import { z } from 'zod';
import { splitCommand } from '../process/shell-words.js';

/** Identifier rule for roles and databases (lower-case, unquoted-safe, ≤ 63 bytes). */
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Example values that must never be used as a real password. */
export const EXAMPLE_PASSWORDS = [
  'your_password_here',
  'your_secure_password_here',
  'your_secure_password',
  'test_password',
  'changeme',
  'change_me',
  'password',
  'secret',
  'postgres',
  'example',
  'placeholder',
  'replace_me',
];

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

const port = z
  .string()
  .regex(/^\d+$/, 'must be a whole number from 1 to 65535')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 65535, 'must be from 1 to 65535');

const identifier = z.string().regex(IDENTIFIER, 'must match [a-z_][a-z0-9_]{0,62} (lower-case letters, digits, _)');

// An open range (max = the largest safe integer) reads "at least min" or "too large": no one
// needs to see 9007199254740991.
const intRange = (min: number, max: number) => {
  const open = max === Number.MAX_SAFE_INTEGER;
  const range = open ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d+$/, `must be ${range}`)
    .transform(Number)
    .refine((n) => n >= min, open ? `must be at least ${min}` : `must be from ${min} to ${max}`)
    .refine((n) => n <= max, open ? 'is too large' : `must be from ${min} to ${max}`);
};

const password = z
  .string()
  .min(16, 'must be at least 16 characters')
  .refine((p) => !isExamplePassword(p), 'is an example value; run `mcpctl setup-db --rotate-password` to generate one');

/** True for values copied from documentation or templates. */
export function isExamplePassword(p: string): boolean {
  const v = p.toLowerCase();
  if (EXAMPLE_PASSWORDS.includes(v)) return true;
  return /your_?(secure_?)?password|change_?me|replace_?(me|with)|placeholder|example/.test(v);
}

/** Definition of one configuration key. */
export interface KeyDef {
  default?: string;
  /** Human rule, for `.env.template` and the README. */
  rule: string;
  description: string;
  /** Printed masked only. */
  secret?: boolean;
  /** Read from the process environment only, never from files. */
  envOnly?: boolean;
  schema: z.ZodType<unknown, z.ZodTypeDef, string>;
}

export const KEYS = {
  POSTGRES_HOST: {
    default: 'localhost',
    rule: 'host name, IP address, or absolute socket directory',
    description: 'PostgreSQL server host',
    schema: z
      .string()
      // isIP last: Node compiles its IPv6 pattern on the first call (~5–10 ms), which a host name
      // (localhost) or an IPv4 address (HOSTNAME matches those too) never needs.
      .refine((h) => h.startsWith('/') || HOSTNAME.test(h) || isIP(h) !== 0, 'must be a host name, an IP address or an absolute socket directory'),
  },
  POSTGRES_PORT: { default: '5432', rule: '1–65535', description: 'PostgreSQL server port', schema: port },
  POSTGRES_USER: { default: 'mcp_user', rule: 'identifier', description: 'the app role the MCP servers log in as', schema: identifier },
  POSTGRES_PASSWORD: {
    rule: '≥ 16 characters, not an example value',
    description: "the app role's password (setup-db writes it to .env.local)",
    secret: true,
    schema: password,
  },
  POSTGRES_DB: { default: 'project_registry', rule: 'identifier', description: 'the main database', schema: identifier },
  POSTGRES_TEST_DB: { default: 'test_workflow_mcp', rule: 'identifier', description: 'the test database', schema: identifier },
  POSTGRES_SSLMODE: {
    default: 'prefer',
    rule: 'disable, prefer, require, verify-ca, verify-full',
    description: 'TLS mode for connections',
    schema: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']),
  },
  SETUP_POSTGRES_USER: { default: 'postgres', rule: 'identifier', description: 'the admin role that setup-db uses', schema: identifier },
  SETUP_POSTGRES_PASSWORD: {
    rule: 'environment only',
    description: "the admin role's password; never written anywhere",
    secret: true,
    envOnly: true,
    schema: z.string(),
  },
  MCP_SERVER_PORT: { default: '8002', rule: '1–65535', description: 'port of the MCP server', schema: port },
  MCP_SERVER_COMMAND: {
    default: 'python -m workflow_mcp.server',
    rule: 'a command line (split like a shell, without one)',
    description: 'the command `serve` runs',
    schema: z.string().superRefine((s, ctx) => {
      try {
        if (splitCommand(s).length === 0) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not be empty' });
      } catch (e) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      }
    }),
  },
  MCP_LOG_LEVEL: {
    default: 'INFO',
    rule: 'DEBUG, INFO, WARNING, ERROR',
    description: 'log level of the MCP server',
    schema: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']),
  },
  MCP_LOG_FILE: {
    rule: 'a path',
    description: 'log file of the MCP server',
    schema: z.string().refine((p) => !p.includes('\0'), 'must be a path'),
  },
  MAX_ACTIVE_PROJECTS: { default: '50', rule: 'integer 1–1000', description: 'projects active at once', schema: intRange(1, 1000) },
  DEFAULT_TOKEN_BUDGET: {
    default: '200000',
    rule: 'positive integer',
    description: 'default token budget',
    schema: intRange(1, Number.MAX_SAFE_INTEGER),
  },
} satisfies Record<string, KeyDef>;

export type ConfigKey = keyof typeof KEYS;
export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];

/** Validated configuration, keyed by the variable names. */
export interface Config {
  POSTGRES_HOST: string;
  POSTGRES_PORT: number;
  POSTGRES_USER: string;
  POSTGRES_PASSWORD?: string;
  POSTGRES_DB: string;
  POSTGRES_TEST_DB: string;
  POSTGRES_SSLMODE: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  SETUP_POSTGRES_USER: string;
  SETUP_POSTGRES_PASSWORD?: string;
  MCP_SERVER_PORT: number;
  MCP_SERVER_COMMAND: string;
  MCP_LOG_LEVEL: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  MCP_LOG_FILE?: string;
  MAX_ACTIVE_PROJECTS: number;
  DEFAULT_TOKEN_BUDGET: number;
}

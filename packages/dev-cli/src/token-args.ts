import { parseArgs } from 'node:util';
import { roles, type Role } from '@conveyor/service-kit/claims';
import { z } from 'zod';

/**
 * `pnpm run token`, because pnpm 10 hands a bare `pnpm token` to `npm token` before it looks at
 * the root scripts (pnpm's npm pass-through list); `pnpm -s token` reaches the script as well.
 */
export const tokenUsage =
  'usage: pnpm run token --sub <userId> --role <ADMIN|CREATOR|BRAND|VIEWER> [--email <address>] [--name <name>] [--ttl <seconds>]';

/** The claims and lifetime `pnpm token` signs, validated as the services will read them. */
export const TokenArgsSchema = z.object({
  sub: z
    .string({ error: '--sub is required' })
    .trim()
    .min(1, { error: '--sub must not be empty' })
    .max(200),
  role: z.enum(roles, {
    error: (issue) =>
      issue.input === undefined
        ? '--role is required'
        : `--role must be one of ${roles.join(', ')}`,
  }),
  email: z.email({ error: '--email must be an email address' }).optional(),
  name: z.string().trim().min(1).max(200).optional(),
  ttl: z.coerce
    .number({ error: '--ttl must be a number of seconds' })
    .int({ error: '--ttl must be a whole number of seconds' })
    .min(1, { error: '--ttl must be at least 1 second' })
    .max(31_536_000, { error: '--ttl must be at most a year (31536000 seconds)' })
    .default(3600),
});

export interface TokenArgs {
  sub: string;
  role: Role;
  email?: string;
  name?: string;
  ttl: number;
}

/** Why the arguments cannot make a token; the CLI prints it with the usage line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses `argv` (without node and the script) into token arguments, or throws a {@link UsageError}. */
export function parseTokenArgs(argv: readonly string[]): TokenArgs | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        sub: { type: 'string' },
        role: { type: 'string' },
        email: { type: 'string' },
        name: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  const role = typeof values.role === 'string' ? values.role.toUpperCase() : undefined;
  const parsed = TokenArgsSchema.safeParse({ ...values, role });
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues
        .map((issue) =>
          issue.message.startsWith('--')
            ? issue.message
            : `--${String(issue.path[0])}: ${issue.message}`,
        )
        .join('; '),
    );
  }
  const { sub, role: parsedRole, email, name, ttl } = parsed.data;
  return { sub, role: parsedRole, ttl, ...(email ? { email } : {}), ...(name ? { name } : {}) };
}

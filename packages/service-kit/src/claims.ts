import { z } from 'zod';

/** The four roles of spec 000. */
export const roles = ['ADMIN', 'CREATOR', 'BRAND', 'VIEWER'] as const;
export const RoleSchema = z.enum(roles);
export type Role = z.infer<typeof RoleSchema>;

/** The claims a verified token must carry. Anything else in the token is ignored. */
export const ClaimsSchema = z.object({
  sub: z.string().min(1).max(200),
  role: RoleSchema,
  exp: z.number().int(),
  email: z.email().optional(),
  name: z.string().max(200).optional(),
});
export type Claims = z.infer<typeof ClaimsSchema>;

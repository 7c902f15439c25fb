import { sql, type SQL } from 'drizzle-orm';

/**
 * Values handed to PostgreSQL as one JSON parameter, read back with `jsonb_to_recordset`,
 * `jsonb_array_elements_text` or `->>`: one statement for a whole batch whatever its size, where
 * drizzle would otherwise spread an array into one parameter per element.
 */
export const jsonParam = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`;

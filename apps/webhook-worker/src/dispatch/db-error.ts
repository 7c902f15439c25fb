/**
 * The error PostgreSQL (or the connection) raised, without drizzle's wrapper: its message
 * carries the whole statement, which would fill the logs with SQL at every retry of an outage.
 */
export function databaseCause(error: unknown): unknown {
  return error instanceof Error && error.cause instanceof Error ? error.cause : error;
}

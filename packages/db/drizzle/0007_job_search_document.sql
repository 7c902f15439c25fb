DROP INDEX "job_runs_search_idx";--> statement-breakpoint
ALTER TABLE "job_runs" ADD COLUMN "search_document" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || coalesce(payload_summary::text, '') || ' ' || coalesce(failed_reason, ''))) STORED;--> statement-breakpoint
CREATE INDEX "job_runs_search_idx" ON "job_runs" USING gin ("search_document");
CREATE TABLE "admin_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"action" text NOT NULL,
	"admin_id" text NOT NULL,
	"filter" jsonb NOT NULL,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"total" integer,
	"processed" integer DEFAULT 0 NOT NULL,
	"succeeded" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"cursor" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "admin_batches_action_check" CHECK ("admin_batches"."action" in ('retry', 'cancel')),
	CONSTRAINT "admin_batches_state_check" CHECK ("admin_batches"."state" in ('queued', 'running', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "admin_batches_created_idx" ON "admin_batches" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "admin_batches_updated_idx" ON "admin_batches" USING btree ("updated_at" DESC NULLS LAST);
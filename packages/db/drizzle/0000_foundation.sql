CREATE TYPE "public"."user_role" AS ENUM('ADMIN', 'CREATOR', 'BRAND', 'VIEWER');--> statement-breakpoint
CREATE TYPE "public"."job_state" AS ENUM('waiting', 'delayed', 'active', 'completed', 'failed');--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text,
	"name" text,
	"role" "user_role" NOT NULL,
	"webhook_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"queue" text NOT NULL,
	"job_id" text NOT NULL,
	"name" text NOT NULL,
	"owner_id" text,
	"state" "job_state" DEFAULT 'waiting' NOT NULL,
	"progress" jsonb DEFAULT '0'::jsonb NOT NULL,
	"attempts_made" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 1 NOT NULL,
	"payload_summary" jsonb,
	"result" jsonb,
	"failed_reason" text,
	"stacktrace" text[],
	"last_event_id" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_runs_queue_job_id_pk" PRIMARY KEY("queue","job_id")
);
--> statement-breakpoint
ALTER TABLE "job_runs" ADD CONSTRAINT "job_runs_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_runs_owner_created_idx" ON "job_runs" USING btree ("owner_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "job_runs_owner_state_created_idx" ON "job_runs" USING btree ("owner_id","state","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "job_runs_queue_state_created_idx" ON "job_runs" USING btree ("queue","state","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "job_runs_finished_idx" ON "job_runs" USING btree ("finished_at") WHERE "job_runs"."finished_at" is not null;
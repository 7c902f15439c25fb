CREATE TYPE "public"."digest_status" AS ENUM('pending', 'sending', 'sent', 'skipped', 'failed');--> statement-breakpoint
CREATE TABLE "digest_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"chunk" integer NOT NULL,
	"user_id" text NOT NULL,
	"frequency" "digest_frequency" NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"status" "digest_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claimed_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"notification_count" integer,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "digest_deliveries_once_key" UNIQUE("user_id","frequency","window_end")
);
--> statement-breakpoint
CREATE TABLE "digest_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"frequency" "digest_frequency" NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"users_selected" integer NOT NULL,
	"digests_planned" integer NOT NULL,
	"chunks" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "digest_runs_frequency_hour_key" UNIQUE("frequency","scheduled_for"),
	CONSTRAINT "digest_runs_frequency_check" CHECK ("digest_runs"."frequency" in ('DAILY', 'WEEKLY'))
);
--> statement-breakpoint
CREATE TABLE "digest_ticks" (
	"hour" timestamp with time zone PRIMARY KEY NOT NULL,
	"planned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "notification_preferences" ADD COLUMN "timezone" text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE "digest_deliveries" ADD CONSTRAINT "digest_deliveries_run_id_digest_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."digest_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "digest_deliveries" ADD CONSTRAINT "digest_deliveries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "digest_deliveries_run_chunk_idx" ON "digest_deliveries" USING btree ("run_id","chunk");--> statement-breakpoint
CREATE INDEX "digest_deliveries_open_idx" ON "digest_deliveries" USING btree ("claimed_at") WHERE "digest_deliveries"."status" in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "digest_runs_unfinished_idx" ON "digest_runs" USING btree ("created_at") WHERE "digest_runs"."finished_at" is null;--> statement-breakpoint
CREATE INDEX "notification_preferences_digest_idx" ON "notification_preferences" USING btree ("digest_frequency","timezone") WHERE "notification_preferences"."email_enabled";
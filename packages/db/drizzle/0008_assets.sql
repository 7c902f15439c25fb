CREATE TYPE "public"."asset_scan_status" AS ENUM('PENDING', 'CLEAN', 'INFECTED', 'ERROR');--> statement-breakpoint
CREATE TYPE "public"."asset_thumbnail_status" AS ENUM('PENDING', 'DONE', 'FAILED');--> statement-breakpoint
CREATE TYPE "public"."asset_type" AS ENUM('IMAGE', 'VIDEO', 'AUDIO', 'DOCUMENT', 'THREE_D', 'OTHER');--> statement-breakpoint
CREATE TABLE "assets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" text NOT NULL,
	"type" "asset_type" NOT NULL,
	"title" text NOT NULL,
	"storage_key" text NOT NULL,
	"mime_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"scan_status" "asset_scan_status" DEFAULT 'PENDING' NOT NULL,
	"thumbnail_status" "asset_thumbnail_status" DEFAULT 'PENDING' NOT NULL,
	"source_version" integer DEFAULT 1 NOT NULL,
	"preview_url" text,
	"preview_key" text,
	"preview_requested_version" integer,
	"preview_requested_at" timestamp with time zone,
	"metadata" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "assets" ADD CONSTRAINT "assets_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assets_owner_created_idx" ON "assets" USING btree ("owner_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "assets_preview_pending_idx" ON "assets" USING btree ("id") WHERE "assets"."type" in ('VIDEO', 'AUDIO') and "assets"."scan_status" = 'CLEAN' and "assets"."thumbnail_status" = 'DONE' and "assets"."preview_url" is null;
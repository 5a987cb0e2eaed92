CREATE TABLE "metric_rollups" (
	"run_id" uuid NOT NULL,
	"key" text NOT NULL,
	"width" integer NOT NULL,
	"bucket" integer NOT NULL,
	"last_step" integer NOT NULL,
	"last" double precision NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "metric_rollups_pkey" PRIMARY KEY("run_id","key","width","bucket")
);
--> statement-breakpoint
ALTER TABLE "metric_rollups" ADD CONSTRAINT "metric_rollups_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Backfill: rollups of the points written before this migration (width 16 from the points, each coarser width from
-- the one below it; the widths nest). Kept in step with METRIC_ROLLUP_WIDTHS in src/schema/metrics.ts.
INSERT INTO "metric_rollups" ("run_id", "key", "width", "bucket", "last_step", "last", "min", "max", "count")
SELECT "run_id", "key", 16, "step" / 16, max("step"), (array_agg("value" ORDER BY "step" DESC))[1], min("value"), max("value"), count(*)::int
FROM "metric_points" GROUP BY "run_id", "key", "step" / 16;
--> statement-breakpoint
INSERT INTO "metric_rollups" ("run_id", "key", "width", "bucket", "last_step", "last", "min", "max", "count")
SELECT "run_id", "key", 64, "bucket" / 4, max("last_step"), (array_agg("last" ORDER BY "last_step" DESC))[1], min("min"), max("max"), sum("count")::int
FROM "metric_rollups" WHERE "width" = 16 GROUP BY "run_id", "key", "bucket" / 4;
--> statement-breakpoint
INSERT INTO "metric_rollups" ("run_id", "key", "width", "bucket", "last_step", "last", "min", "max", "count")
SELECT "run_id", "key", 256, "bucket" / 4, max("last_step"), (array_agg("last" ORDER BY "last_step" DESC))[1], min("min"), max("max"), sum("count")::int
FROM "metric_rollups" WHERE "width" = 64 GROUP BY "run_id", "key", "bucket" / 4;
--> statement-breakpoint
INSERT INTO "metric_rollups" ("run_id", "key", "width", "bucket", "last_step", "last", "min", "max", "count")
SELECT "run_id", "key", 1024, "bucket" / 4, max("last_step"), (array_agg("last" ORDER BY "last_step" DESC))[1], min("min"), max("max"), sum("count")::int
FROM "metric_rollups" WHERE "width" = 256 GROUP BY "run_id", "key", "bucket" / 4;
--> statement-breakpoint
INSERT INTO "metric_rollups" ("run_id", "key", "width", "bucket", "last_step", "last", "min", "max", "count")
SELECT "run_id", "key", 4096, "bucket" / 4, max("last_step"), (array_agg("last" ORDER BY "last_step" DESC))[1], min("min"), max("max"), sum("count")::int
FROM "metric_rollups" WHERE "width" = 1024 GROUP BY "run_id", "key", "bucket" / 4;

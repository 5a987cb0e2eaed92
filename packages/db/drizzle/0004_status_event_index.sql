DROP INDEX "run_events_run_type_idx";--> statement-breakpoint
CREATE INDEX "run_events_status_idx" ON "run_events" USING btree ("run_id","seq") WHERE "run_events"."type" = 'STATUS';
CREATE TYPE "public"."backend" AS ENUM('TENSORFLOW_GPU', 'TENSORFLOW', 'WEBGPU', 'WASM', 'CPU');--> statement-breakpoint
CREATE TYPE "public"."model_kind" AS ENUM('BASE', 'FINE_TUNED');--> statement-breakpoint
CREATE TYPE "public"."optimizer" AS ENUM('SGD', 'MOMENTUM', 'ADAM', 'RMSPROP');--> statement-breakpoint
CREATE TYPE "public"."run_event_type" AS ENUM('STATUS', 'EPOCH', 'PROGRESS', 'LOG');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('QUEUED', 'PREPARING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "public"."task_type" AS ENUM('IMAGE_CLASSIFICATION', 'TEXT_CLASSIFICATION', 'TABULAR_CLASSIFICATION');--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sha256" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"content_type" text NOT NULL,
	"storage_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artifacts_sha256_hex" CHECK ("artifacts"."sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "artifacts_size_nonnegative" CHECK ("artifacts"."size_bytes" >= 0)
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"task" "task_type" NOT NULL,
	"class_names" text[] NOT NULL,
	"class_counts" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"num_examples" integer NOT NULL,
	"sha256" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"source" text NOT NULL,
	"format" text NOT NULL,
	"artifact_id" uuid,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "datasets_version_positive" CHECK ("datasets"."version" >= 1),
	CONSTRAINT "datasets_num_examples_nonnegative" CHECK ("datasets"."num_examples" >= 0),
	CONSTRAINT "datasets_sha256_hex" CHECK ("datasets"."sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"kind" "model_kind" NOT NULL,
	"task" "task_type" NOT NULL,
	"layers" jsonb NOT NULL,
	"class_names" text[] NOT NULL,
	"total_params" integer NOT NULL,
	"input_shape" integer[] NOT NULL,
	"parent_id" uuid,
	"source_run_id" uuid,
	"artifact_id" uuid NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "models_version_positive" CHECK ("models"."version" >= 1),
	CONSTRAINT "models_lineage_matches_kind" CHECK (("models"."kind" = 'BASE' AND "models"."source_run_id" IS NULL) OR ("models"."kind" = 'FINE_TUNED' AND "models"."source_run_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"status" "run_status" DEFAULT 'QUEUED' NOT NULL,
	"dataset_id" uuid NOT NULL,
	"base_model_id" uuid,
	"learning_rate" double precision NOT NULL,
	"epochs" integer NOT NULL,
	"batch_size" integer NOT NULL,
	"optimizer" "optimizer" NOT NULL,
	"validation_split" double precision NOT NULL,
	"seed" integer NOT NULL,
	"early_stopping_patience" integer,
	"extra_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"frozen_layers" text[] DEFAULT '{}'::text[] NOT NULL,
	"trainable_params" bigint DEFAULT 0 NOT NULL,
	"frozen_params" bigint DEFAULT 0 NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"requested_backends" "backend"[] DEFAULT '{}'::backend[] NOT NULL,
	"worker_id" uuid,
	"backend" "backend",
	"device" text,
	"attempt" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"lease_expires_at" timestamp with time zone,
	"cancel_requested_at" timestamp with time zone,
	"error" text,
	"error_step" text,
	"last_event_seq" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"output_model_id" uuid,
	CONSTRAINT "runs_learning_rate_range" CHECK ("runs"."learning_rate" > 0 AND "runs"."learning_rate" <= 10),
	CONSTRAINT "runs_epochs_range" CHECK ("runs"."epochs" BETWEEN 1 AND 10000),
	CONSTRAINT "runs_batch_size_range" CHECK ("runs"."batch_size" BETWEEN 1 AND 65536),
	CONSTRAINT "runs_validation_split_range" CHECK ("runs"."validation_split" >= 0 AND "runs"."validation_split" < 1),
	CONSTRAINT "runs_attempt_nonnegative" CHECK ("runs"."attempt" >= 0 AND "runs"."max_attempts" >= 1),
	CONSTRAINT "runs_params_nonnegative" CHECK ("runs"."trainable_params" >= 0 AND "runs"."frozen_params" >= 0)
);
--> statement-breakpoint
CREATE TABLE "metric_points" (
	"run_id" uuid NOT NULL,
	"key" text NOT NULL,
	"step" integer NOT NULL,
	"value" double precision NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metric_points_pkey" PRIMARY KEY("run_id","key","step")
);
--> statement-breakpoint
CREATE TABLE "metric_summaries" (
	"run_id" uuid NOT NULL,
	"key" text NOT NULL,
	"last" double precision NOT NULL,
	"last_step" integer NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"best" double precision NOT NULL,
	"best_step" integer NOT NULL,
	"count" integer NOT NULL,
	"lower_is_better" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metric_summaries_pkey" PRIMARY KEY("run_id","key")
);
--> statement-breakpoint
CREATE TABLE "evaluations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"split" text NOT NULL,
	"num_examples" integer NOT NULL,
	"loss" double precision NOT NULL,
	"accuracy" double precision NOT NULL,
	"macro_f1" double precision NOT NULL,
	"class_names" text[] NOT NULL,
	"per_class" jsonb NOT NULL,
	"confusion_matrix" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "evaluations_accuracy_range" CHECK ("evaluations"."accuracy" >= 0 AND "evaluations"."accuracy" <= 1),
	CONSTRAINT "evaluations_num_examples_nonnegative" CHECK ("evaluations"."num_examples" >= 0)
);
--> statement-breakpoint
CREATE TABLE "run_events" (
	"run_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"type" "run_event_type" NOT NULL,
	"payload" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_events_pkey" PRIMARY KEY("run_id","seq")
);
--> statement-breakpoint
CREATE TABLE "worker_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"token_sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"backend" "backend" NOT NULL,
	"backends" "backend"[] NOT NULL,
	"device" text NOT NULL,
	"token_id" uuid,
	"info" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp with time zone,
	"current_run_id" uuid
);
--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_parent_id_models_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."models"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_source_run_id_runs_id_fk" FOREIGN KEY ("source_run_id") REFERENCES "public"."runs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_base_model_id_models_id_fk" FOREIGN KEY ("base_model_id") REFERENCES "public"."models"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_worker_id_workers_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."workers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_output_model_id_models_id_fk" FOREIGN KEY ("output_model_id") REFERENCES "public"."models"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_points" ADD CONSTRAINT "metric_points_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_summaries" ADD CONSTRAINT "metric_summaries_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluations" ADD CONSTRAINT "evaluations_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_events" ADD CONSTRAINT "run_events_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_token_id_worker_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."worker_tokens"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_current_run_id_runs_id_fk" FOREIGN KEY ("current_run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "projects_name_key" ON "projects" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "artifacts_sha256_key" ON "artifacts" USING btree ("sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "artifacts_storage_key_key" ON "artifacts" USING btree ("storage_key");--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_name_version_key" ON "datasets" USING btree ("name","version");--> statement-breakpoint
CREATE INDEX "datasets_task_idx" ON "datasets" USING btree ("task");--> statement-breakpoint
CREATE UNIQUE INDEX "models_name_version_key" ON "models" USING btree ("name","version");--> statement-breakpoint
CREATE INDEX "models_kind_task_idx" ON "models" USING btree ("kind","task");--> statement-breakpoint
CREATE INDEX "models_parent_idx" ON "models" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "models_source_run_idx" ON "models" USING btree ("source_run_id");--> statement-breakpoint
CREATE INDEX "runs_project_created_idx" ON "runs" USING btree ("project_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_status_created_idx" ON "runs" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_dataset_idx" ON "runs" USING btree ("dataset_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_base_model_idx" ON "runs" USING btree ("base_model_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_created_idx" ON "runs" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_name_idx" ON "runs" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "runs_learning_rate_idx" ON "runs" USING btree ("learning_rate");--> statement-breakpoint
CREATE INDEX "runs_tags_gin_idx" ON "runs" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "runs_queue_idx" ON "runs" USING btree ("created_at","id") WHERE "runs"."status" = 'QUEUED';--> statement-breakpoint
CREATE INDEX "runs_lease_idx" ON "runs" USING btree ("lease_expires_at") WHERE "runs"."status" IN ('PREPARING', 'RUNNING');--> statement-breakpoint
CREATE INDEX "metric_summaries_key_best_idx" ON "metric_summaries" USING btree ("key","best","run_id");--> statement-breakpoint
CREATE INDEX "metric_summaries_key_last_idx" ON "metric_summaries" USING btree ("key","last");--> statement-breakpoint
CREATE UNIQUE INDEX "evaluations_run_split_key" ON "evaluations" USING btree ("run_id","split");--> statement-breakpoint
CREATE INDEX "run_events_run_type_idx" ON "run_events" USING btree ("run_id","type","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "worker_tokens_token_sha256_key" ON "worker_tokens" USING btree ("token_sha256");--> statement-breakpoint
CREATE INDEX "workers_last_heartbeat_idx" ON "workers" USING btree ("last_heartbeat_at");
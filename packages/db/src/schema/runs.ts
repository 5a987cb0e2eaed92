import { type InferInsertModel, type InferSelectModel, sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { datasets } from "./datasets";
import { backend, optimizer, runStatus } from "./enums";
import { models } from "./models";
import { projects } from "./projects";
import { workers } from "./workers";

/**
 * A fine-tuning run: its full training configuration, what was frozen, where and how it trained, and its outcome.
 * The training hyper-parameters are columns (not one JSON blob) so history queries can filter and index them.
 */
export const runs = pgTable(
  "runs",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    status: runStatus("status").notNull().default("QUEUED"),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "restrict" }),
    /** Null for a from-scratch baseline. */
    baseModelId: uuid("base_model_id").references((): AnyPgColumn => models.id, { onDelete: "restrict" }),

    learningRate: doublePrecision("learning_rate").notNull(),
    epochs: integer("epochs").notNull(),
    batchSize: integer("batch_size").notNull(),
    optimizer: optimizer("optimizer").notNull(),
    validationSplit: doublePrecision("validation_split").notNull(),
    seed: integer("seed").notNull(),
    earlyStoppingPatience: integer("early_stopping_patience"),
    /** Anything else the trainer was given (e.g. momentum, max sequence length); part of the config diff. */
    extraConfig: jsonb("extra_config").$type<Record<string, unknown>>().notNull().default({}),

    frozenLayers: text("frozen_layers").array().notNull().default(sql`'{}'::text[]`),
    trainableParams: bigint("trainable_params", { mode: "number" }).notNull().default(0),
    frozenParams: bigint("frozen_params", { mode: "number" }).notNull().default(0),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    /** Acceptable backends, most preferred first; empty = any. */
    requestedBackends: backend("requested_backends").array().notNull().default(sql`'{}'::backend[]`),

    workerId: uuid("worker_id").references((): AnyPgColumn => workers.id, { onDelete: "set null" }),
    backend: backend("backend"),
    device: text("device"),
    attempt: integer("attempt").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(3),
    leaseExpiresAt: tstz("lease_expires_at"),
    cancelRequestedAt: tstz("cancel_requested_at"),
    error: text("error"),
    /** The fine-tuning step an error happened in (prepare, freeze, train, evaluate, save). */
    errorStep: text("error_step"),
    /** Highest run_events.seq handed out; incremented atomically so events of one run stay totally ordered. */
    lastEventSeq: bigint("last_event_seq", { mode: "number" }).notNull().default(0),
    /**
     * Highest log-line number (LogInput.seq) stored from the current attempt's worker, which numbers its lines from 1:
     * a retried reportLogs skips what is stored. Reset by each claim.
     */
    reportedLogSeq: integer("reported_log_seq").notNull().default(0),

    createdAt: createdAt(),
    startedAt: tstz("started_at"),
    finishedAt: tstz("finished_at"),
    outputModelId: uuid("output_model_id").references((): AnyPgColumn => models.id, { onDelete: "set null" }),
  },
  (t) => [
    index("runs_project_created_idx").on(t.projectId, t.createdAt.desc(), t.id.desc()),
    index("runs_status_created_idx").on(t.status, t.createdAt.desc(), t.id.desc()),
    index("runs_dataset_idx").on(t.datasetId, t.createdAt.desc()),
    index("runs_base_model_idx").on(t.baseModelId, t.createdAt.desc()),
    index("runs_created_idx").on(t.createdAt.desc(), t.id.desc()),
    index("runs_name_idx").on(t.name, t.id),
    index("runs_learning_rate_idx").on(t.learningRate),
    index("runs_tags_gin_idx").using("gin", t.tags),
    // The claim query scans only queued runs, oldest first.
    index("runs_queue_idx").on(t.createdAt, t.id).where(sql`${t.status} = 'QUEUED'`),
    // Lease reaper: active runs whose lease may have expired.
    index("runs_lease_idx").on(t.leaseExpiresAt).where(sql`${t.status} IN ('PREPARING', 'RUNNING')`),
    check("runs_learning_rate_range", sql`${t.learningRate} > 0 AND ${t.learningRate} <= 10`),
    check("runs_epochs_range", sql`${t.epochs} BETWEEN 1 AND 10000`),
    check("runs_batch_size_range", sql`${t.batchSize} BETWEEN 1 AND 65536`),
    check("runs_validation_split_range", sql`${t.validationSplit} >= 0 AND ${t.validationSplit} < 1`),
    check("runs_attempt_nonnegative", sql`${t.attempt} >= 0 AND ${t.maxAttempts} >= 1`),
    check("runs_params_nonnegative", sql`${t.trainableParams} >= 0 AND ${t.frozenParams} >= 0`),
  ],
);

export type RunRow = InferSelectModel<typeof runs>;
export type NewRunRow = InferInsertModel<typeof runs>;

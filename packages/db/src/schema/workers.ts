import { type InferInsertModel, type InferSelectModel } from "drizzle-orm";
import { type AnyPgColumn, index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { backend } from "./enums";
import { runs } from "./runs";

/**
 * Tokens that let a worker register. Only a sha256 of the secret is stored, so a database dump does not hand out
 * worker credentials.
 */
export const workerTokens = pgTable(
  "worker_tokens",
  {
    id: id(),
    name: text("name").notNull(),
    tokenSha256: text("token_sha256").notNull(),
    createdAt: createdAt(),
    revokedAt: tstz("revoked_at"),
  },
  (t) => [uniqueIndex("worker_tokens_token_sha256_key").on(t.tokenSha256)],
);

/** Training workers that registered with the API; `lastHeartbeatAt` tells whether one is alive. */
export const workers = pgTable(
  "workers",
  {
    id: id(),
    name: text("name").notNull(),
    /** The best backend this worker trains with. */
    backend: backend("backend").notNull(),
    /** Every backend it can serve, best first: a run is claimable when it accepts one of them. */
    backends: backend("backends").array().notNull(),
    device: text("device").notNull(),
    tokenId: uuid("token_id").references(() => workerTokens.id, { onDelete: "set null" }),
    /** Host name, process id, versions: whatever helps an operator find it. */
    info: jsonb("info").$type<Record<string, unknown>>().notNull().default({}),
    registeredAt: createdAt(),
    lastHeartbeatAt: tstz("last_heartbeat_at").notNull().defaultNow(),
    stoppedAt: tstz("stopped_at"),
    currentRunId: uuid("current_run_id").references((): AnyPgColumn => runs.id, { onDelete: "set null" }),
  },
  (t) => [index("workers_last_heartbeat_idx").on(t.lastHeartbeatAt)],
);

export type WorkerTokenRow = InferSelectModel<typeof workerTokens>;
export type WorkerRow = InferSelectModel<typeof workers>;
export type NewWorkerRow = InferInsertModel<typeof workers>;

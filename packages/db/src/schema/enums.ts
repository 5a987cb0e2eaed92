import { pgEnum } from "drizzle-orm/pg-core";

// Names and values mirror the GraphQL contract's enums so they map one to one.
export const runStatus = pgEnum("run_status", ["QUEUED", "PREPARING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]);
export const taskType = pgEnum("task_type", ["IMAGE_CLASSIFICATION", "TEXT_CLASSIFICATION", "TABULAR_CLASSIFICATION"]);
export const backend = pgEnum("backend", ["TENSORFLOW_GPU", "TENSORFLOW", "WEBGPU", "WASM", "CPU"]);
export const optimizer = pgEnum("optimizer", ["SGD", "MOMENTUM", "ADAM", "RMSPROP"]);
export const modelKind = pgEnum("model_kind", ["BASE", "FINE_TUNED"]);
export const runEventType = pgEnum("run_event_type", ["STATUS", "EPOCH", "PROGRESS", "LOG"]);

export type RunStatus = (typeof runStatus.enumValues)[number];
export type TaskType = (typeof taskType.enumValues)[number];
export type Backend = (typeof backend.enumValues)[number];
export type Optimizer = (typeof optimizer.enumValues)[number];
export type ModelKind = (typeof modelKind.enumValues)[number];
export type RunEventType = (typeof runEventType.enumValues)[number];

/** Statuses a run never leaves. */
export const TERMINAL_RUN_STATUSES = ["SUCCEEDED", "FAILED", "CANCELLED"] as const satisfies readonly RunStatus[];

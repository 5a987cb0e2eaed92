import type { RunEventRow, RunEventType, RunStatus } from "@tunelab/db";

/** A run event as the API hands it around (from the database or from a NOTIFY payload). */
export interface RunEventModel {
  runId: string;
  seq: number;
  type: RunEventType;
  payload: Record<string, unknown>;
  at: Date | string;
}

/** Consecutive events of one run, as runEventBatches delivers them. */
export interface RunEventBatchModel {
  runId: string;
  events: readonly RunEventModel[];
  lastSeq: number;
}

export const toEventModel = (row: RunEventRow): RunEventModel => ({
  runId: row.runId,
  seq: row.seq,
  type: row.type,
  payload: row.payload,
  at: row.at,
});

export const TERMINAL = new Set<RunStatus>(["SUCCEEDED", "FAILED", "CANCELLED"]);

export const isTerminalEvent = (e: RunEventModel) =>
  e.type === "STATUS" && TERMINAL.has(e.payload.status as RunStatus);

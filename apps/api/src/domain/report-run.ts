import { type Backend, EpochOutOfRangeError, evaluations, type ReportedEvent, reportEventsAtomically, type RunRow, runs } from "@tunelab/db";
import { eq } from "drizzle-orm";
import type { Context } from "../context";
import { badInput, isUuid, leaseLost } from "../errors";
import { MAX_NOTIFY_PAYLOAD, RUN_EVENTS_CHANNEL } from "../pubsub";
import { ACTIVE_STATUSES, lockHeldRun, releaseWorker, requireWorker, setRunStatus } from "./lock-run";
import { storableText } from "./storable-text";

/**
 * The worker's reports for a run it holds. Each runs in one transaction that first locks the run and checks the lease
 * (LEASE_LOST otherwise), so reports for one run are serialised and a retried report is a no-op. The frequent ones
 * (epochs, progress, log lines) are one statement each, a database function (packages/db/src/writes); the others
 * are Drizzle transactions.
 */

export async function startRun(
  ctx: Context,
  workerId: string,
  runId: string,
  input: { backend: Backend; device: string; frozenLayers: string[]; trainableParams: number; frozenParams: number },
): Promise<RunRow> {
  if (input.trainableParams < 0 || input.frozenParams < 0) throw badInput("trainableParams and frozenParams must be >= 0.");
  return ctx.handle.db.transaction(async (tx) => {
    await requireWorker(tx, workerId, ctx.workerTokenId);
    const run = await lockHeldRun(tx, workerId, runId, ctx.env.leaseSeconds);
    const changes = {
      backend: input.backend,
      device: storableText(input.device.slice(0, 500)),
      frozenLayers: input.frozenLayers,
      trainableParams: input.trainableParams,
      frozenParams: input.frozenParams,
    };
    if (run.status === "RUNNING") {
      const [updated] = await tx.update(runs).set(changes).where(eq(runs.id, runId)).returning();
      return updated!;
    }
    return setRunStatus(tx, run, "RUNNING", { ...changes, startedAt: run.startedAt ?? new Date() });
  });
}

export async function reportProgress(
  ctx: Context,
  workerId: string,
  runId: string,
  input: { phase: string; done: number; total?: number | null },
): Promise<boolean> {
  if (!Number.isFinite(input.done) || (input.total != null && !Number.isFinite(input.total))) throw badInput("done and total must be finite numbers.");
  await reportEvents(ctx, workerId, runId, [
    { type: "PROGRESS", payload: { phase: storableText(input.phase.slice(0, 100)), done: input.done, total: input.total ?? null }, at: new Date() },
  ]);
  return true;
}

export async function reportLogs(
  ctx: Context,
  workerId: string,
  runId: string,
  lines: { level: string; message: string; at?: Date | string | null; seq?: number | null }[],
): Promise<boolean> {
  if (lines.length === 0) return true;
  if (lines.length > 1000) throw badInput("At most 1000 log lines per call.");
  for (const l of lines) if (l.seq != null && !(Number.isInteger(l.seq) && l.seq >= 1)) throw badInput(`seq must be an integer >= 1 (got ${l.seq}).`);
  const now = new Date();
  // Numbered lines already stored (a retried report whose answer was lost) are skipped by the report statement;
  // unnumbered ones always go in.
  const events: ReportedEvent[] = lines.map((l) => {
    const at = l.at ? new Date(l.at) : undefined;
    return {
      type: "LOG",
      payload: { level: storableText(l.level.slice(0, 20)), message: storableText(l.message.slice(0, 10_000)) },
      at: at && !Number.isNaN(at.getTime()) ? at : now,
      logSeq: l.seq ?? null,
    };
  });
  await reportEvents(ctx, workerId, runId, events);
  return true;
}

/** Progress and log lines in one round trip (reportEventsAtomically: lock and lease, events, NOTIFY). */
function reportEvents(ctx: Context, workerId: string, runId: string, events: ReportedEvent[]): Promise<void> {
  return reportToHeldRun(ctx, workerId, runId, (held) => reportEventsAtomically(ctx.handle.db, { ...held, events }));
}

/** What every one-statement report of a held run is given besides its own content. */
interface HeldRunReport {
  runId: string;
  workerId: string;
  tokenId: string;
  leaseUntil: Date | null;
  channel: string;
  maxPayloadBytes: number;
}

/**
 * Sends a one-statement report (epochs, progress, log lines), which returns null and writes nothing when the run is
 * not held by this worker under this token. Then the step-by-step checks throw the precise error (UNAUTHENTICATED,
 * NOT_FOUND, FORBIDDEN, LEASE_LOST); should they pass (the run changed in between), the report is sent again.
 */
async function reportToHeldRun(ctx: Context, workerId: string, runId: string, report: (held: HeldRunReport) => Promise<number | null>): Promise<void> {
  const held: HeldRunReport = {
    runId,
    workerId,
    tokenId: ctx.workerTokenId!,
    leaseUntil: ctx.env.leaseSeconds ? new Date(Date.now() + ctx.env.leaseSeconds * 1000) : null,
    channel: RUN_EVENTS_CHANNEL,
    maxPayloadBytes: MAX_NOTIFY_PAYLOAD,
  };
  if (ctx.workerTokenId && isUuid(workerId) && isUuid(runId) && (await report(held)) !== null) return;
  await ctx.handle.db.transaction(async (tx) => {
    await requireWorker(tx, workerId, ctx.workerTokenId);
    await lockHeldRun(tx, workerId, runId);
  });
  if ((await report(held)) === null) throw leaseLost(runId);
}

const METRIC_NAME = /^[A-Za-z0-9_.:/-]{1,64}$/;

export async function reportEpochs(
  ctx: Context,
  workerId: string,
  runId: string,
  epochs: { epoch: number; metrics: unknown }[],
): Promise<boolean> {
  const clean = epochs.map((e) => {
    if (!Number.isInteger(e.epoch) || e.epoch < 1) throw badInput(`epoch must be an integer >= 1 (got ${e.epoch}).`);
    if (!e.metrics || typeof e.metrics !== "object" || Array.isArray(e.metrics))
      throw badInput(`metrics of epoch ${e.epoch} must be an object of metric name -> number.`);
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(e.metrics as Record<string, unknown>)) {
      if (v === null) continue; // e.g. val_loss without a validation split
      if (typeof v !== "number" || !Number.isFinite(v)) throw badInput(`metric ${k} of epoch ${e.epoch} must be a finite number.`);
      if (!METRIC_NAME.test(k)) throw badInput(`metric name ${JSON.stringify(k)} must be 1-64 characters of letters, digits, _ . : / -.`);
      metrics[k] = v;
    }
    return { epoch: e.epoch, metrics };
  });
  if (clean.length === 0) return true;
  // One epoch per step: the first report of a step in this request wins (as before).
  const byStep = new Map<number, (typeof clean)[number]>();
  for (const e of clean) if (!byStep.has(e.epoch)) byStep.set(e.epoch, e);
  const epochsToWrite = [...byStep.values()].sort((a, b) => a.epoch - b.epoch);
  // The common case in one round trip: lock + lease, points (existing ones kept, so a retried report is a no-op),
  // summaries, rollups, an EPOCH event per epoch whose points were all new, and the NOTIFY (see reportEpochsAtomically).
  await reportToHeldRun(ctx, workerId, runId, (held) =>
    ctx.reports.report({ ...held, epochs: epochsToWrite }).catch((error: unknown) => {
      if (error instanceof EpochOutOfRangeError) throw badInput(`${error.message}.`);
      throw error;
    }),
  );
  return true;
}

export interface EvaluationInput {
  split: string;
  numExamples: number;
  loss: number;
  accuracy: number;
  macroF1: number;
  classNames: string[];
  perClass: { className: string; precision: number; recall: number; f1: number; support: number }[];
  confusionMatrix: number[][];
}

export async function reportEvaluation(ctx: Context, workerId: string, runId: string, input: EvaluationInput): Promise<boolean> {
  const n = input.classNames.length;
  const problems: string[] = [];
  if (!input.split.trim()) problems.push("split must not be empty.");
  if (input.numExamples < 0) problems.push("numExamples must be >= 0.");
  if (!(input.accuracy >= 0 && input.accuracy <= 1)) problems.push("accuracy must be in [0, 1].");
  if (!Number.isFinite(input.loss)) problems.push("loss must be a finite number.");
  if (input.confusionMatrix.length !== n || input.confusionMatrix.some((r) => r.length !== n))
    problems.push(`confusionMatrix must be ${n}x${n} (classNames.length squared).`);
  if (problems.length) throw badInput(problems.join(" "));
  await ctx.handle.db.transaction(async (tx) => {
    await requireWorker(tx, workerId, ctx.workerTokenId);
    await lockHeldRun(tx, workerId, runId, ctx.env.leaseSeconds);
    const values = {
      runId,
      split: input.split,
      numExamples: input.numExamples,
      loss: input.loss,
      accuracy: input.accuracy,
      macroF1: input.macroF1,
      classNames: input.classNames,
      perClass: input.perClass,
      confusionMatrix: input.confusionMatrix,
    };
    await tx
      .insert(evaluations)
      .values(values)
      .onConflictDoUpdate({ target: [evaluations.runId, evaluations.split], set: values });
  });
  return true;
}

export async function failRun(ctx: Context, workerId: string, runId: string, error: string, step?: string | null): Promise<RunRow> {
  return ctx.handle.db.transaction(async (tx) => {
    await requireWorker(tx, workerId, ctx.workerTokenId);
    const [current] = await tx.select().from(runs).where(eq(runs.id, runId)).for("update");
    // A retried failRun after a lost response: already failed by this worker.
    if (current && current.status === "FAILED" && current.workerId === workerId) return current;
    const run = await lockHeldRun(tx, workerId, runId, ctx.env.leaseSeconds);
    const message = storableText((step ? `[${step}] ` : "") + error.slice(0, 10_000));
    const updated = await setRunStatus(tx, run, "FAILED", {
      error: message,
      errorStep: step == null ? null : storableText(step),
      finishedAt: new Date(),
      leaseExpiresAt: null,
    });
    await releaseWorker(tx, workerId, runId);
    ctx.log.warn({ runId, workerId, attempt: run.attempt, step, error: message }, "run failed");
    return updated;
  });
}

export async function finishCancelledRun(ctx: Context, workerId: string, runId: string): Promise<RunRow> {
  return ctx.handle.db.transaction(async (tx) => {
    await requireWorker(tx, workerId, ctx.workerTokenId);
    const [current] = await tx.select().from(runs).where(eq(runs.id, runId)).for("update");
    if (current && current.status === "CANCELLED") return current;
    const run = await lockHeldRun(tx, workerId, runId, ctx.env.leaseSeconds);
    if (!run.cancelRequestedAt) throw badInput(`Run ${runId} has no cancel request; use failRun or completeRun.`);
    const updated = await setRunStatus(tx, run, "CANCELLED", { finishedAt: new Date(), leaseExpiresAt: null });
    await releaseWorker(tx, workerId, runId);
    return updated;
  });
}

/** Graceful hand-back: QUEUED again, the attempt not counted. */
export async function releaseRun(ctx: Context, workerId: string, runId: string): Promise<boolean> {
  return ctx.handle.db.transaction(async (tx) => {
    await requireWorker(tx, workerId, ctx.workerTokenId);
    const [current] = await tx.select().from(runs).where(eq(runs.id, runId)).for("update");
    if (!current || current.workerId !== workerId || !ACTIVE_STATUSES.includes(current.status)) return false;
    if (current.cancelRequestedAt) {
      await setRunStatus(tx, current, "CANCELLED", { finishedAt: new Date(), leaseExpiresAt: null, workerId: null });
    } else {
      await setRunStatus(tx, current, "QUEUED", {
        workerId: null,
        leaseExpiresAt: null,
        attempt: Math.max(0, current.attempt - 1),
      });
    }
    await releaseWorker(tx, workerId, runId);
    return true;
  });
}

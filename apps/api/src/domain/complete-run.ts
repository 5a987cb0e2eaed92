import { artifacts, datasets, type LayerInfo, models, type RunRow, runs, type TaskType, type Tx } from "@tunelab/db";
import { and, eq } from "drizzle-orm";
import type { Context } from "../context";
import { badInput, isUuid, leaseLost } from "../errors";
import { ACTIVE_STATUSES, lockRun, registeredWithToken, releaseWorker, requireWorker, setRunStatus } from "./lock-run";
import { inspectModelBundle } from "./model-bundle";
import { lockVersionedName, nextVersionOf } from "./next-version";
import { readAll } from "./register-dataset";

export interface CompleteRunInput {
  modelArtifactId: string;
  layers: unknown;
  classNames: string[];
  inputShape: number[];
  /** Facts of the training to record with the model; the bundle's model.json metadata wins where both say something. */
  metadata?: unknown;
}

function parseLayers(value: unknown): LayerInfo[] {
  if (!Array.isArray(value)) throw badInput("layers must be a JSON array of {index, name, className, outputShape, params}.");
  return value.map((l, i) => {
    const o = l as Record<string, unknown>;
    if (!o || typeof o.name !== "string" || typeof o.className !== "string")
      throw badInput(`layers[${i}] needs a string name and className.`);
    return {
      index: typeof o.index === "number" ? o.index : i,
      name: o.name,
      className: o.className,
      outputShape: Array.isArray(o.outputShape) ? (o.outputShape as (number | null)[]) : null,
      params: typeof o.params === "number" && o.params >= 0 ? o.params : 0,
      ...(typeof o.trainableParams === "number" ? { trainableParams: o.trainableParams } : {}),
    };
  });
}

/**
 * -> SUCCEEDED: registers the fine-tuned model (named after the run; parent = base model, sourceRun = this run) from
 * the uploaded bundle. A retry after a lost response returns the already-succeeded run.
 */
export async function completeRun(ctx: Context, workerId: string, runId: string, input: CompleteRunInput): Promise<RunRow> {
  const layers = parseLayers(input.layers);
  if (!isUuid(input.modelArtifactId)) throw badInput(`modelArtifactId ${input.modelArtifactId} is not an artifact id from POST /artifacts.`);
  // The uploaded bundle must be a LayersModel (BAD_USER_INPUT says what is wrong), and its model.json's metadata
  // (base model, classes, preprocessing with a text model's whole vocabulary) is what the registry records: the
  // mutation need not carry it, which keeps completeRun far below the request body limit.
  const [artifact] = await ctx.handle.db.select().from(artifacts).where(eq(artifacts.id, input.modelArtifactId));
  if (!artifact) throw badInput(`No artifact with id ${input.modelArtifactId}: upload the model bundle with POST /artifacts first.`);
  const bundle = inspectModelBundle(await readAll(await ctx.store.open(artifact.storageKey)));
  const given = input.metadata && typeof input.metadata === "object" && !Array.isArray(input.metadata) ? (input.metadata as Record<string, unknown>) : {};
  const metadata = { ...given, ...bundle.metadata };
  const done = await ctx.handle.db.transaction(async (tx) => {
    const { run, task } = await lockCompletingRun(tx, workerId, runId, ctx.workerTokenId);
    // A retry after a lost answer: the run already succeeded with this worker.
    if (run.status === "SUCCEEDED") return run;
    if (!ACTIVE_STATUSES.includes(run.status)) throw leaseLost(runId);
    await lockVersionedName(tx, "models", run.name);
    const [model] = await tx
      .insert(models)
      .values({
        name: run.name,
        version: nextVersionOf("models", run.name),
        kind: "FINE_TUNED",
        task,
        layers,
        classNames: input.classNames,
        totalParams: layers.reduce((s, l) => s + l.params, 0),
        inputShape: input.inputShape,
        parentId: run.baseModelId,
        sourceRunId: run.id,
        artifactId: artifact.id,
        metadata,
      })
      .returning();
    const updated = await setRunStatus(tx, run, "SUCCEEDED", {
      outputModelId: model!.id,
      finishedAt: new Date(),
      leaseExpiresAt: null,
      error: null,
    });
    await releaseWorker(tx, workerId, runId);
    return updated;
  });
  ctx.log.info({ runId, workerId, attempt: done.attempt, modelId: done.outputModelId }, "run succeeded");
  return done;
}

/**
 * The run this worker completes, locked, with its dataset's task: ONE statement when the run is this worker's and the
 * worker was registered with this request's token (a run's end waits on every round trip before SUCCEEDED is seen).
 * Otherwise the step-by-step checks throw the precise error (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, LEASE_LOST).
 */
async function lockCompletingRun(tx: Tx, workerId: string, runId: string, tokenId: string | null): Promise<{ run: RunRow; task: TaskType }> {
  if (tokenId && isUuid(workerId) && isUuid(runId)) {
    const [row] = await tx
      .select({ run: runs, task: datasets.task })
      .from(runs)
      .innerJoin(datasets, eq(datasets.id, runs.datasetId))
      .where(and(eq(runs.id, runId), eq(runs.workerId, workerId), registeredWithToken(workerId, tokenId)))
      .for("update", { of: runs });
    if (row) return row;
  }
  await requireWorker(tx, workerId, tokenId);
  const run = await lockRun(tx, runId);
  if (run.workerId !== workerId) throw leaseLost(runId);
  const [dataset] = await tx.select({ task: datasets.task }).from(datasets).where(eq(datasets.id, run.datasetId));
  return { run, task: dataset!.task };
}

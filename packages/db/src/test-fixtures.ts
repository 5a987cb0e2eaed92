import type { Db } from "./client";
import { sqlErrorOf } from "./errors";
import { eq } from "drizzle-orm";
import { artifacts, datasets, models, projects, runs, workers, workerTokens } from "./schema";

/** Inserts the smallest graph a run needs (project, dataset, base model + artifact) and returns the ids. */
export async function seedRunGraph(db: Db, suffix = "a") {
  const [project] = await db.insert(projects).values({ name: `project-${suffix}` }).returning();
  const sha = (c: string) => c.repeat(64);
  const [artifact] = await db
    .insert(artifacts)
    .values({ sha256: sha(suffix === "a" ? "a" : "b"), sizeBytes: 10, contentType: "application/x-tar", storageKey: `k-${suffix}` })
    .returning();
  const [dataset] = await db
    .insert(datasets)
    .values({
      name: `digits-${suffix}`,
      version: 1,
      task: "IMAGE_CLASSIFICATION",
      classNames: ["5", "6"],
      numExamples: 10,
      sha256: sha("c"),
      sizeBytes: 100,
      source: "builtin:mnist",
      format: "builtin",
    })
    .returning();
  const [model] = await db
    .insert(models)
    .values({
      name: `cnn-${suffix}`,
      version: 1,
      kind: "BASE",
      task: "IMAGE_CLASSIFICATION",
      layers: [{ index: 0, name: "conv1", className: "Conv2D", outputShape: [null, 26, 26, 32], params: 320 }],
      classNames: ["0", "1"],
      totalParams: 320,
      inputShape: [28, 28, 1],
      artifactId: artifact!.id,
    })
    .returning();
  const [run] = await db
    .insert(runs)
    .values({
      projectId: project!.id,
      name: `run-${suffix}`,
      datasetId: dataset!.id,
      baseModelId: model!.id,
      learningRate: 0.001,
      epochs: 3,
      batchSize: 32,
      optimizer: "ADAM",
      validationSplit: 0.2,
      seed: 1,
      frozenLayers: ["conv1"],
      tags: ["baseline"],
    })
    .returning();
  return { project: project!, artifact: artifact!, dataset: dataset!, model: model!, run: run! };
}

/** A worker token, a worker registered with it, and the run RUNNING on that worker (with any other changes to the run). */
export async function holdRun(db: Db, runId: string, changes: Partial<typeof runs.$inferInsert> = {}) {
  const [token] = await db.insert(workerTokens).values({ name: "t", tokenSha256: "d".repeat(64) }).returning();
  const [worker] = await db.insert(workers).values({ name: "w", backend: "CPU", backends: ["CPU"], device: "cpu", tokenId: token!.id }).returning();
  await db.update(runs).set({ status: "RUNNING", workerId: worker!.id, ...changes }).where(eq(runs.id, runId));
  return { token: token!, worker: worker! };
}

/** The SQLSTATE of a failed query, whichever driver threw it (drizzle wraps driver errors in `cause`). */
export function sqlState(error: unknown): string | undefined {
  return sqlErrorOf(error)?.code;
}

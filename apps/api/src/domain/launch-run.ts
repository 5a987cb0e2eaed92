import { randomBytes, randomInt } from "node:crypto";
import { type Backend, type Optimizer, projects, type RunRow, runs } from "@tunelab/db";
import { eq } from "drizzle-orm";
import type { Context } from "../context";
import { badInput, notFound } from "../errors";
import { publishRunEvents } from "../pubsub";
import { resolveFreeze, validateTrainingConfig } from "../trainer";
import { DEFAULT_PROJECT_NAME } from "./seed";

export interface LaunchRunInput {
  projectId?: string | null;
  name?: string | null;
  datasetId: string;
  baseModelId?: string | null;
  freeze?: { layers?: string[] | null; upToIndex?: number | null } | null;
  config: {
    learningRate: number;
    epochs: number;
    batchSize: number;
    optimizer?: Optimizer | null;
    validationSplit?: number | null;
    seed?: number | null;
    earlyStoppingPatience?: number | null;
  };
  tags?: string[] | null;
  backends?: Backend[] | null;
}

/**
 * Validates everything first (project, dataset and base model exist, tasks match, frozen layer names exist, every
 * number in range) and only then inserts the QUEUED run with its first StatusChanged event, in one transaction.
 */
export async function launchRun(ctx: Context, input: LaunchRunInput): Promise<RunRow> {
  const problems: { field: string; message: string }[] = [];
  const config = {
    learningRate: input.config.learningRate,
    epochs: input.config.epochs,
    batchSize: input.config.batchSize,
    optimizer: input.config.optimizer ?? "ADAM",
    validationSplit: input.config.validationSplit ?? 0.2,
    seed: input.config.seed ?? randomInt(0, 2 ** 31 - 1),
    earlyStoppingPatience: input.config.earlyStoppingPatience ?? null,
  };
  for (const p of validateTrainingConfig(config)) problems.push({ field: `config.${p.field}`, message: p.message });

  const name = input.name?.trim();
  if (input.name != null && (!name || name.length > 200)) problems.push({ field: "name", message: "name must be 1 to 200 characters." });
  const tags = normalizeTags(input.tags ?? [], problems);
  const backends = [...new Set(input.backends ?? [])];

  const project = input.projectId
    ? await ctx.loaders.project.load(input.projectId)
    : (await ctx.handle.db.select().from(projects).where(eq(projects.name, DEFAULT_PROJECT_NAME)))[0];
  if (!project) throw input.projectId ? notFound("project", input.projectId) : badInput("No default project exists: pass projectId.");
  const dataset = await ctx.loaders.dataset.load(input.datasetId);
  if (!dataset) throw notFound("dataset", input.datasetId);
  const baseModel = input.baseModelId ? await ctx.loaders.model.load(input.baseModelId) : null;
  if (input.baseModelId && !baseModel) throw notFound("model", input.baseModelId);

  let frozen = { frozenLayers: [] as string[], trainableParams: 0, frozenParams: 0 };
  if (baseModel) {
    if (baseModel.task !== dataset.task)
      problems.push({
        field: "baseModelId",
        message: `Base model ${baseModel.name} v${baseModel.version} is for ${baseModel.task} but dataset ${dataset.name} v${dataset.version} is ${dataset.task}: pick a model and dataset of the same task.`,
      });
    const f = input.freeze;
    if (f?.layers && f.upToIndex != null) problems.push({ field: "freeze", message: "Give freeze.layers or freeze.upToIndex, not both." });
    else {
      try {
        frozen = resolveFreeze(baseModel.layers, f);
      } catch (e) {
        problems.push({ field: f?.layers ? "freeze.layers" : "freeze.upToIndex", message: (e as Error).message });
      }
    }
  } else if (input.freeze && ((input.freeze.layers?.length ?? 0) > 0 || input.freeze.upToIndex != null)) {
    problems.push({ field: "freeze", message: "freeze needs a baseModelId: a from-scratch run has no pretrained layers to freeze." });
  }

  if (problems.length > 0) {
    throw badInput(problems.map((p) => `${p.field}: ${p.message}`).join(" "), { fields: problems });
  }

  const runName = name || `${baseModel?.name ?? "scratch"}-${dataset.name}-${randomBytes(2).toString("hex")}`;
  return ctx.handle.db.transaction(async (tx) => {
    const [run] = await tx
      .insert(runs)
      .values({
        projectId: project.id,
        name: runName,
        datasetId: dataset.id,
        baseModelId: baseModel?.id ?? null,
        learningRate: config.learningRate,
        epochs: config.epochs,
        batchSize: config.batchSize,
        optimizer: config.optimizer,
        validationSplit: config.validationSplit,
        seed: config.seed,
        earlyStoppingPatience: config.earlyStoppingPatience,
        frozenLayers: frozen.frozenLayers,
        trainableParams: frozen.trainableParams,
        frozenParams: frozen.frozenParams,
        tags,
        requestedBackends: backends,
        maxAttempts: ctx.env.maxAttempts,
      })
      .returning();
    await publishRunEvents(tx, run!, [{ type: "STATUS", payload: { status: "QUEUED", error: null, attempt: 0 } }]);
    return { ...run!, lastEventSeq: 1 };
  });
}

export function normalizeTags(tags: string[], problems: { field: string; message: string }[]): string[] {
  const out = [...new Set(tags.map((t) => t.trim()))];
  if (out.length > 50) problems.push({ field: "tags", message: "At most 50 tags." });
  if (out.some((t) => t.length === 0 || t.length > 64)) problems.push({ field: "tags", message: "Each tag must be 1 to 64 characters." });
  return out;
}

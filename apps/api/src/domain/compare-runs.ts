import type { RunRow } from "@tunelab/db";
import type { Context } from "../context";
import { badInput, notFound } from "../errors";

export interface RunComparisonModel {
  runs: RunRow[];
  differences: { key: string; values: unknown[] }[];
}

/** Loads 1-50 runs (in the order given) and lists only the config keys whose values differ across them. */
export async function compareRuns(ctx: Context, ids: string[]): Promise<RunComparisonModel> {
  if (ids.length === 0 || ids.length > 50) throw badInput("compareRuns takes 1 to 50 run ids.");
  const rows = await ctx.loaders.run.loadMany(ids);
  const list: RunRow[] = rows.map((r, i) => {
    if (!r || r instanceof Error) throw notFound("run", ids[i]!);
    return r;
  });
  const label = async (kind: "model" | "dataset", id: string | null) => {
    if (!id) return null;
    const row = kind === "model" ? await ctx.loaders.model.load(id) : await ctx.loaders.dataset.load(id);
    return row ? `${row.name} v${row.version}` : id;
  };
  const configs = await Promise.all(
    list.map(async (r) => ({
      dataset: await label("dataset", r.datasetId),
      baseModel: await label("model", r.baseModelId),
      learningRate: r.learningRate,
      epochs: r.epochs,
      batchSize: r.batchSize,
      optimizer: r.optimizer,
      validationSplit: r.validationSplit,
      seed: r.seed,
      earlyStoppingPatience: r.earlyStoppingPatience,
      frozenLayers: r.frozenLayers,
      trainableParams: r.trainableParams,
      frozenParams: r.frozenParams,
      backends: r.requestedBackends,
      ...Object.fromEntries(Object.entries(r.extraConfig ?? {}).map(([k, v]) => [`extra.${k}`, v])),
    })),
  );
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  const differences = keys
    .map((key) => ({ key, values: configs.map((c) => (c as Record<string, unknown>)[key] ?? null) }))
    .filter((d) => new Set(d.values.map((v) => JSON.stringify(v))).size > 1);
  return { runs: list, differences };
}

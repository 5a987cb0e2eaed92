/**
 * The API's one door to @tunelab/trainer: dataset parsing and builtin listings, plus training-config and freeze
 * validation. The trainer's own validators are used when its `./train` entry exists; the local checks below mirror
 * their documented ranges so the API validates the same way either way.
 */
import type { LayerInfo } from "@tunelab/db";
import {
  DatasetValidationError,
  listBuiltinDatasets as trainerListBuiltinDatasets,
  parseDatasetFile as trainerParseDatasetFile,
  type BuiltinDatasetInfo,
  type ParsedDataset,
  type ParseOptions,
} from "@tunelab/trainer/datasets";

export { DatasetValidationError, type BuiltinDatasetInfo, type ParsedDataset, type ParseOptions };

export const listBuiltinDatasets = (): BuiltinDatasetInfo[] => trainerListBuiltinDatasets();
export const parseDatasetFile = (bytes: Uint8Array, opts: ParseOptions): ParsedDataset => trainerParseDatasetFile(bytes, opts);

export interface BuiltinBaseModel {
  name: string;
  task: "IMAGE_CLASSIFICATION" | "TEXT_CLASSIFICATION" | "TABULAR_CLASSIFICATION";
  classNames: string[];
  inputShape: (number | null)[];
  description: string;
  recipe: Record<string, unknown>;
  sha256: string;
  bundlePath: string;
  layers: LayerInfo[];
}

/** Base models shipped with the trainer (empty when the trainer has not produced any yet). */
export async function listBuiltinBaseModels(): Promise<BuiltinBaseModel[]> {
  try {
    const spec = "@tunelab/trainer/models";
    const mod = (await import(/* @vite-ignore */ spec)) as { listBuiltinBaseModels?: () => BuiltinBaseModel[] };
    return mod.listBuiltinBaseModels?.() ?? [];
  } catch {
    return [];
  }
}

export interface ConfigProblem {
  field: string;
  message: string;
}

type TrainModule = {
  validateTrainingConfig?: (c: Record<string, unknown>) => ConfigProblem[];
};
let trainModule: Promise<TrainModule | null> | undefined;
function loadTrainModule(): Promise<TrainModule | null> {
  trainModule ??= (async () => {
    try {
      const spec = "@tunelab/trainer/train";
      return (await import(/* @vite-ignore */ spec)) as TrainModule;
    } catch {
      return null;
    }
  })();
  return trainModule;
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isInt = (v: unknown): v is number => isNum(v) && Number.isInteger(v);

/** Every problem of a training config at once (empty = valid). */
export async function validateTrainingConfig(c: Record<string, unknown>): Promise<ConfigProblem[]> {
  const p: ConfigProblem[] = [];
  const req = (field: string, ok: boolean, message: string) => {
    if (!ok) p.push({ field, message });
  };
  req("learningRate", isNum(c.learningRate) && c.learningRate > 0 && c.learningRate <= 1, "learningRate must be a number greater than 0 and at most 1 (e.g. 0.001 for Adam, 0.01 for SGD).");
  req("epochs", isInt(c.epochs) && c.epochs >= 1 && c.epochs <= 1000, "epochs must be an integer from 1 to 1000.");
  req("batchSize", isInt(c.batchSize) && c.batchSize >= 1 && c.batchSize <= 4096, "batchSize must be an integer from 1 to 4096.");
  req("validationSplit", isNum(c.validationSplit) && c.validationSplit >= 0 && c.validationSplit <= 0.5, "validationSplit must be a number from 0 to 0.5.");
  req("seed", isInt(c.seed) && c.seed >= 0, "seed must be a non-negative integer.");
  if (c.earlyStoppingPatience != null) {
    req("earlyStoppingPatience", isInt(c.earlyStoppingPatience) && c.earlyStoppingPatience >= 1 && c.earlyStoppingPatience <= 100, "earlyStoppingPatience must be an integer from 1 to 100, or null for no early stopping.");
    if (c.validationSplit === 0)
      p.push({ field: "earlyStoppingPatience", message: "earlyStoppingPatience needs a validation split: set validationSplit above 0 or earlyStoppingPatience to null." });
  }
  const trainer = await loadTrainModule();
  for (const q of trainer?.validateTrainingConfig?.(c) ?? []) if (!p.some((x) => x.field === q.field)) p.push(q);
  return p;
}

export interface FreezeResolution {
  frozenLayers: string[];
  trainableParams: number;
  frozenParams: number;
}

/** Resolves {layers} / {upToIndex} against a model's layers; throws a message listing the valid names. */
export function resolveFreeze(layers: LayerInfo[], freeze: { layers?: string[] | null; upToIndex?: number | null } | null | undefined): FreezeResolution {
  const candidates = layers.filter((l) => l.className !== "InputLayer");
  const valid = candidates.map((l) => l.name);
  const names = freeze?.layers ?? [];
  const unknown = names.filter((n) => !valid.includes(n));
  if (unknown.length > 0)
    throw new Error(`Unknown layer name${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `'${n}'`).join(", ")}. Valid layer names: ${valid.join(", ")}.`);
  const frozen = new Set(names);
  if (freeze?.upToIndex != null) {
    const max = layers.length - 1;
    if (!Number.isInteger(freeze.upToIndex) || freeze.upToIndex < 0 || freeze.upToIndex > max)
      throw new Error(`freeze.upToIndex must be an integer from 0 to ${max}; layers: ${layers.map((l) => `${l.index}:${l.name}`).join(", ")}.`);
    for (const l of candidates) if (l.index <= freeze.upToIndex) frozen.add(l.name);
  }
  let trainableParams = 0;
  let frozenParams = 0;
  for (const l of layers) {
    const trainable = (l as LayerInfo & { trainableParams?: number }).trainableParams ?? l.params;
    if (frozen.has(l.name)) frozenParams += l.params;
    else {
      trainableParams += trainable;
      frozenParams += l.params - trainable;
    }
  }
  return { frozenLayers: candidates.filter((l) => frozen.has(l.name)).map((l) => l.name), trainableParams, frozenParams };
}

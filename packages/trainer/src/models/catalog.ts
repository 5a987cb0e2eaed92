import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { LayerInfo, TaskType } from "../types";

// The shipped base models as data (recipe.json files): no TensorFlow.js here, so the API can list them and check
// launches without loading it (see ../launch-checks.ts). Loading a model is in builtin.ts.

/** Where the shipped base models live: assets/base-models/<name>/{model.tar, recipe.json}. */
export const BASE_MODELS_DIR = fileURLToPath(new URL("../../assets/base-models/", import.meta.url));

export interface BaseModelRecipe {
  /** What was trained and how: dataset, split, hyper-parameters, command. */
  dataset: string;
  datasetSha256: string;
  command: string;
  config: Record<string, unknown>;
  backend: string;
  trainSeconds: number;
  /** Accuracy etc. on the held-out test split of the pretraining dataset. */
  evaluation: Record<string, unknown>;
  [key: string]: unknown;
}

export interface BuiltinBaseModelInfo {
  name: string;
  task: TaskType;
  classNames: string[];
  inputShape: (number | null)[];
  description: string;
  recipe: BaseModelRecipe;
  /** sha256 of model.tar. */
  sha256: string;
  /** Absolute path of the shipped bundle. */
  bundlePath: string;
  layers: LayerInfo[];
}

interface RecipeFile {
  name: string;
  task: TaskType;
  classNames: string[];
  inputShape: (number | null)[];
  description: string;
  sha256: string;
  layers: LayerInfo[];
  recipe: BaseModelRecipe;
}

/** Base models shipped in the package (produced by `pnpm --filter @tunelab/trainer pretrain`). */
export function listBuiltinBaseModels(): BuiltinBaseModelInfo[] {
  if (!existsSync(BASE_MODELS_DIR)) return [];
  return readdirSync(BASE_MODELS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`${BASE_MODELS_DIR}${d.name}/recipe.json`))
    .map((d) => {
      const r = JSON.parse(readFileSync(`${BASE_MODELS_DIR}${d.name}/recipe.json`, "utf8")) as RecipeFile;
      return { ...r, bundlePath: `${BASE_MODELS_DIR}${d.name}/model.tar` };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}


import { readFileSync } from "node:fs";
import type * as tfl from "@tensorflow/tfjs-layers";
import { sha256Hex } from "../util/hash";
import { type BuiltinBaseModelInfo, listBuiltinBaseModels } from "./catalog";
import { loadModelFromBundle } from "./io";

export { BASE_MODELS_DIR, listBuiltinBaseModels, type BaseModelRecipe, type BuiltinBaseModelInfo } from "./catalog";

/** Loads a shipped base model after checking the bundle against the sha256 in its recipe. */
export async function loadBuiltinBaseModel(name: string): Promise<{ model: tfl.LayersModel; info: BuiltinBaseModelInfo }> {
  const all = listBuiltinBaseModels();
  const info = all.find((m) => m.name === name);
  if (!info) throw new Error(`Unknown built-in base model '${name}'. Available: ${all.map((m) => m.name).join(", ") || "none (run pretrain)"}.`);
  const bytes = new Uint8Array(readFileSync(info.bundlePath));
  const sha = sha256Hex(bytes);
  if (sha !== info.sha256) throw new Error(`${info.bundlePath} has sha256 ${sha}, recipe.json says ${info.sha256}: the shipped file is corrupt.`);
  return { model: await loadModelFromBundle(bytes), info };
}

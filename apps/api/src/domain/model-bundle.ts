import type { LayerInfo } from "@tunelab/db";
import { unpackTar } from "../trainer";
import { badInput } from "../errors";

interface ModelJson {
  modelTopology?: Record<string, unknown>;
  userDefinedMetadata?: unknown;
  weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype?: string }[] }[];
}

export interface ModelBundleInfo {
  layers: LayerInfo[];
  totalParams: number;
  inputShape: number[];
  outputUnits: number | null;
  /** model.json's userDefinedMetadata (Tunelab writes base model, classes, preprocessing there), if an object. */
  metadata: Record<string, unknown> | null;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * Checks a tfjs LayersModel bundle (tar of model.json + weight files) and describes its layers from the topology and
 * the weights manifest, without loading TensorFlow.js. Throws BAD_USER_INPUT saying what is wrong.
 */
export function inspectModelBundle(bytes: Uint8Array): ModelBundleInfo {
  let files: Map<string, Uint8Array>;
  if (!isTar(bytes)) throw badInput("The model bundle is not a tar archive: expected a tar of model.json + weights.bin (tfjs LayersModel).");
  try {
    files = unpackTar(bytes);
  } catch (e) {
    throw badInput(`The model bundle is not a readable tar archive (${(e as Error).message}); expected a tar of model.json + weights.bin.`);
  }
  const mj = files.get("model.json");
  if (!mj) throw badInput(`The model bundle has no model.json (it holds: ${[...files.keys()].join(", ") || "nothing"}).`);
  const json = parseModelJson(mj);
  const manifest = json.weightsManifest!;
  for (const group of manifest) {
    const expected = group.weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[w.dtype ?? "float32"] ?? 4), 0);
    const actual = group.paths.reduce((s, p) => {
      const f = files.get(p.replace(/^\.\//, ""));
      if (!f) throw badInput(`The model bundle lacks weight file '${p}' named in model.json.`);
      return s + f.length;
    }, 0);
    if (actual !== expected) throw badInput(`Weight files of the bundle hold ${actual} bytes but model.json's manifest needs ${expected}.`);
  }
  const meta = json.userDefinedMetadata;
  return { ...describeTopology(json), metadata: meta && typeof meta === "object" && !Array.isArray(meta) ? (meta as Record<string, unknown>) : null };
}

export function parseModelJson(bytes: Uint8Array): ModelJson {
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as ModelJson;
  } catch (e) {
    throw badInput(`model.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest))
    throw badInput("model.json must be a tfjs LayersModel: it needs modelTopology and weightsManifest.");
  return json;
}

export function describeTopology(json: ModelJson): Omit<ModelBundleInfo, "metadata"> {
  const topo = json.modelTopology as { model_config?: { class_name?: string; config?: unknown }; class_name?: string; config?: unknown };
  const mc = (topo.model_config ?? topo) as { class_name?: string; config?: { layers?: unknown[] } | unknown[] };
  const cfg = mc.config as { layers?: { class_name: string; config: Record<string, unknown>; name?: string }[] } | { class_name: string; config: Record<string, unknown> }[];
  const rawLayers = Array.isArray(cfg) ? cfg : (cfg?.layers ?? []);
  if (!rawLayers.length) throw badInput("model.json's modelTopology lists no layers.");
  const params = new Map<string, number>();
  for (const g of json.weightsManifest ?? [])
    for (const w of g.weights) {
      const layer = w.name.split("/")[0]!;
      params.set(layer, (params.get(layer) ?? 0) + w.shape.reduce((a, b) => a * b, 1));
    }
  const layers: LayerInfo[] = rawLayers.map((l, index) => {
    const name = String(l.config?.name ?? (l as { name?: string }).name ?? `layer_${index}`);
    const bis = (l.config?.batch_input_shape ?? l.config?.batchInputShape) as (number | null)[] | undefined;
    return { index, name, className: l.class_name, outputShape: l.class_name === "InputLayer" && bis ? bis : null, params: params.get(name) ?? 0 };
  });
  const first = rawLayers[0]!.config ?? {};
  const bis = (first.batch_input_shape ?? first.batchInputShape) as (number | null)[] | undefined;
  const inputShape = (bis ?? []).slice(1).map((d) => (d == null ? -1 : d));
  const last = rawLayers[rawLayers.length - 1]!.config ?? {};
  const outputUnits = typeof last.units === "number" ? last.units : null;
  const totalParams = [...params.values()].reduce((a, b) => a + b, 0);
  return { layers, totalParams, inputShape, outputUnits };
}

export const isTar = (bytes: Uint8Array) => bytes.length >= 512 && new TextDecoder().decode(bytes.subarray(257, 262)) === "ustar";

import type * as tfl from "@tensorflow/tfjs-layers";
import type { LayerInfo } from "../types";

export interface FreezeSpec {
  /** Layer names to freeze (null or absent: none by name, as GraphQL inputs send it). */
  layers?: string[] | null;
  /** Freeze every layer with index <= upToIndex (inclusive, `model.layers` order as describeLayers reports). */
  upToIndex?: number | null;
}

export interface FreezeResolution {
  frozenLayers: string[];
  trainableParams: number;
  frozenParams: number;
}

/** Thrown for unknown layer names or an index out of range; `validLayers` lists what the model has. */
export class FreezeError extends Error {
  override name = "FreezeError";
  constructor(
    message: string,
    readonly validLayers: string[],
  ) {
    super(message);
  }
}

/**
 * Resolves a freeze spec against a model's layers: which layers get `trainable = false`, and how many parameters
 * then train. Input layers are never listed. Parameters that never train (BatchNorm moving statistics) count as frozen.
 */
export function resolveFreeze(layers: LayerInfo[], freeze: FreezeSpec | null | undefined): FreezeResolution {
  const candidates = layers.filter((l) => l.className !== "InputLayer");
  const valid = candidates.map((l) => l.name);
  const frozen = new Set<string>();
  const names = freeze?.layers ?? [];
  const unknown = names.filter((n) => !valid.includes(n));
  if (unknown.length > 0) {
    throw new FreezeError(`Unknown layer name${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `'${n}'`).join(", ")}. Valid layer names: ${valid.join(", ")}.`, valid);
  }
  names.forEach((n) => frozen.add(n));
  if (freeze?.upToIndex !== undefined && freeze.upToIndex !== null) {
    const max = layers.length - 1;
    if (!Number.isInteger(freeze.upToIndex) || freeze.upToIndex < 0 || freeze.upToIndex > max) {
      throw new FreezeError(`upToIndex must be an integer from 0 to ${max}; layers: ${layers.map((l) => `${l.index}:${l.name}`).join(", ")}.`, valid);
    }
    for (const l of candidates) if (l.index <= freeze.upToIndex) frozen.add(l.name);
  }
  let trainableParams = 0;
  let frozenParams = 0;
  for (const l of layers) {
    const trainable = l.trainableParams ?? l.params;
    if (frozen.has(l.name)) frozenParams += l.params;
    else {
      trainableParams += trainable;
      frozenParams += l.params - trainable;
    }
  }
  return { frozenLayers: candidates.filter((l) => frozen.has(l.name)).map((l) => l.name), trainableParams, frozenParams };
}

const INFERENCE_PATCHED = Symbol("tunelab.inferenceMode");

/**
 * Sets `trainable` on every layer (frozen ones false) and makes frozen BatchNormalization layers run in inference
 * mode, as Keras does: tfjs would otherwise keep updating their moving mean/variance during fit even when frozen.
 * The caller must compile the model afterwards (trainable weights are collected at compile time).
 */
export function applyFreeze(model: tfl.LayersModel, frozenLayers: string[]): void {
  const frozen = new Set(frozenLayers);
  for (const layer of model.layers) {
    const isFrozen = frozen.has(layer.name);
    layer.trainable = !isFrozen;
    if (layer.getClassName() === "BatchNormalization") setInferenceMode(layer, isFrozen);
  }
}

type Callable = { call: (inputs: unknown, kwargs: Record<string, unknown>) => unknown; [INFERENCE_PATCHED]?: boolean };

function setInferenceMode(layer: tfl.layers.Layer, on: boolean): void {
  const l = layer as unknown as Callable;
  if (on && !l[INFERENCE_PATCHED]) {
    const original = l.call.bind(layer);
    l.call = (inputs, kwargs) => original(inputs, { ...kwargs, training: false });
    l[INFERENCE_PATCHED] = true;
  } else if (!on && l[INFERENCE_PATCHED]) {
    delete (l as Partial<Callable>).call; // falls back to the prototype's call
    delete l[INFERENCE_PATCHED];
  }
}

import type * as tfl from "@tensorflow/tfjs-layers";
import type { LayerInfo } from "../types";

/** Index, name, class, output shape and parameter count of every layer in `model.layers` order. */
export function describeLayers(model: tfl.LayersModel): LayerInfo[] {
  return model.layers.map((layer, index) => {
    let outputShape: (number | null)[] | null = null;
    try {
      const s = layer.outputShape as unknown;
      if (Array.isArray(s) && !s.some((d) => Array.isArray(d))) outputShape = s as (number | null)[];
    } catch {
      outputShape = null; // layers used at several nodes have no single output shape
    }
    // _trainableWeights: the weights that train when the layer is not frozen (kept even while layer.trainable is false).
    const own = (layer as unknown as { _trainableWeights?: tfl.LayerVariable[] })._trainableWeights ?? [];
    const trainableParams = own.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
    return { index, name: layer.name, className: layer.getClassName(), outputShape, params: layer.countParams(), trainableParams };
  });
}

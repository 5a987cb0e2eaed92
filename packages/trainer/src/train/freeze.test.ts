import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { buildDigitsCnn } from "../models/architectures";
import { describeLayers } from "../models/describe";
import { useCpu } from "../testing/tf";
import { applyFreeze, FreezeError, resolveFreeze } from "./freeze";

beforeAll(useCpu);

describe("resolveFreeze", () => {
  const model = buildDigitsCnn(5);
  const layers = describeLayers(model);

  it("freezes by name and by index with parameter counts", () => {
    const byName = resolveFreeze(layers, { layers: ["conv1", "conv2"] });
    expect(byName.frozenLayers).toEqual(["conv1", "conv2"]);
    expect(byName.frozenParams).toBe(320 + 9248);
    expect(byName.trainableParams).toBe(model.countParams() - 320 - 9248);
    const byIndex = resolveFreeze(layers, { upToIndex: 5 });
    expect(byIndex.frozenLayers).toEqual(["conv1", "conv2", "pool", "dropout1", "flatten"]);
    expect(byIndex.frozenParams).toBe(byName.frozenParams);
  });

  it("rejects unknown names with the list of valid ones", () => {
    let err: unknown;
    try {
      resolveFreeze(layers, { layers: ["conv1", "conv9"] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FreezeError);
    expect((err as FreezeError).message).toBe(
      "Unknown layer name 'conv9'. Valid layer names: conv1, conv2, pool, dropout1, flatten, dense1, dropout2, predictions.",
    );
    expect((err as FreezeError).validLayers).toContain("dense1");
    expect(() => resolveFreeze(layers, { upToIndex: 99 })).toThrow(/upToIndex must be an integer from 0 to 8/);
  });
});

describe("frozen BatchNormalization", () => {
  it("keeps its moving statistics during training (inference mode, as in Keras)", async () => {
    const input = tfl.input({ shape: [4] });
    const d = tfl.layers.dense({ units: 4, name: "d" }).apply(input) as tfl.SymbolicTensor;
    const bn = tfl.layers.batchNormalization({ name: "bn" }).apply(d) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, activation: "softmax", name: "out" }).apply(bn) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const bnLayer = model.getLayer("bn");
    const stats = () => bnLayer.getWeights().map((w) => Array.from(w.dataSync()));
    const x = tf.randomNormal([16, 4], 5, 3, "float32", 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "int32"), 2);

    // Unfrozen, tfjs updates the moving mean/variance (the control).
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
    const before = stats();
    await model.trainOnBatch(x, y);
    expect(stats()[2]).not.toEqual(before[2]);

    // Frozen through applyFreeze: gamma/beta and moving stats stay, the rest trains.
    applyFreeze(model, ["d", "bn"]);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
    const frozenBefore = stats();
    const headBefore = Array.from(model.getLayer("out").getWeights()[0]!.dataSync());
    await model.trainOnBatch(x, y);
    await model.trainOnBatch(x, y);
    expect(stats()).toEqual(frozenBefore);
    expect(Array.from(model.getLayer("out").getWeights()[0]!.dataSync())).not.toEqual(headBefore);

    // Unfreezing restores training-mode BatchNorm.
    applyFreeze(model, []);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
    await model.trainOnBatch(x, y);
    expect(stats()[2]).not.toEqual(frozenBefore[2]);
    tf.dispose([x, y]);
    model.dispose();
  });
});

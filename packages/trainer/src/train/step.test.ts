import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { useCpu } from "../testing/tf";
import { applyFreeze } from "./freeze";
import { createTrainStep } from "./step";

beforeAll(useCpu);

/** conv -> BatchNorm -> flatten -> dense with an L2 penalty -> softmax; seeded, so two builds are identical. */
function buildModel(): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const input = tfl.input({ shape: [6, 6, 2] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: "relu", kernelInitializer: init(1), name: "conv" }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: "bn" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten({ name: "flatten" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .dense({ units: 8, activation: "relu", kernelInitializer: init(2), kernelRegularizer: tfl.regularizers.l2({ l2: 0.01 }), name: "dense" })
    .apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(3), name: "out" }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const batch = (seed: number) => ({
  x: tf.randomNormal([10, 6, 6, 2], 0, 1, "float32", seed),
  y: tf.oneHot(tf.randomUniform([10], 0, 3, "int32", seed + 1) as tf.Tensor1D, 3),
});

/** Weight values by name: freezing reorders model.weights (trainable ones first). */
const weightsOf = (m: tfl.LayersModel) => new Map(m.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));

describe("createTrainStep", () => {
  for (const [name, makeOptimizer] of [
    ["SGD", () => tf.train.sgd(0.05)],
    ["ADAM", () => tf.train.adam(0.01)],
  ] as const) {
    for (const frozen of [[], ["bn"], ["conv", "bn"]]) {
      it(`gives trainOnBatch's losses, accuracies and weights (${name}, frozen: ${frozen.join(", ") || "none"})`, async () => {
        const reference = buildModel();
        const ours = buildModel();
        for (const m of [reference, ours]) {
          applyFreeze(m, frozen);
          m.compile({ optimizer: makeOptimizer(), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
        }
        expect(weightsOf(ours)).toEqual(weightsOf(reference));
        const step = createTrainStep(ours, ours.optimizer);
        for (let i = 0; i < 4; i++) {
          const { x, y } = batch(10 + i);
          const [loss, acc] = (await reference.trainOnBatch(x, y)) as number[];
          const got = await step(x, y);
          expect(got.loss).toBeCloseTo(loss!, 5);
          expect(got.acc).toBeCloseTo(acc!, 6);
          tf.dispose([x, y]);
        }
        const a = weightsOf(reference);
        const b = weightsOf(ours);
        for (const [weight, values] of a) for (let j = 0; j < values.length; j++) expect(b.get(weight)![j], weight).toBeCloseTo(values[j]!, 5);
        // Training moved the trainable weights, and frozen ones (BatchNorm's moving statistics included) stayed.
        const initial = weightsOf(buildModel());
        for (const [weight, values] of b) {
          const changed = values.some((v, j) => Math.abs(v - initial.get(weight)![j]!) > 1e-7);
          expect(changed, weight).toBe(!frozen.includes(weight.split("/")[0]!));
        }
        reference.dispose();
        ours.dispose();
      });
    }
  }

  it("leaks no tensor from one step to the next", async () => {
    const model = buildModel();
    model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
    const step = createTrainStep(model, model.optimizer);
    const { x, y } = batch(1);
    await step(x, y); // the first step creates the optimizer's slot variables
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await step(x, y);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });

  it("rejects a batch the model cannot take and trains on the next one", async () => {
    const model = buildModel();
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
    const step = createTrainStep(model, model.optimizer);
    const bad = { x: tf.zeros([2, 5, 5, 2]), y: tf.oneHot(tf.tensor1d([0, 1], "int32"), 3) };
    await expect(step(bad.x, bad.y)).rejects.toThrow();
    const { x, y } = batch(3);
    const first = await step(x, y);
    const second = await step(x, y);
    expect(Number.isFinite(first.loss)).toBe(true);
    expect(second.loss).toBeLessThan(first.loss);
    tf.dispose([bad.x, bad.y, x, y]);
    model.dispose();
  });
});

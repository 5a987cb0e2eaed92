import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDatasetFile } from "../datasets/parse";
import { OOV_TOKEN, PAD_TOKEN, textModelInput, type Preprocessing } from "../datasets/preprocess";
import type { PreparedDataset } from "../datasets/types";
import { buildBagOfWordsClassifier, buildTabularClassifier } from "../models/architectures";
import { saveModelToFiles } from "../models/io";
import { bytes, tinyTabularCsv, useCpu } from "../testing/tf";
import type { TrainerEvent } from "../types";
import { TrainingConfigError, type TrainingConfig } from "./config";
import { fineTune } from "./finetune";

beforeAll(useCpu);

const tabular: PreparedDataset = {
  ...parseDatasetFile(bytes(tinyTabularCsv(10)), { format: "csv", task: "TABULAR_CLASSIFICATION" }),
  name: "tiny",
  source: "file",
};
const config: TrainingConfig = { learningRate: 0.05, epochs: 3, batchSize: 8, optimizer: "ADAM", validationSplit: 0.2, testSplit: 0.2, seed: 3 };

function weightsOf(m: tfl.LayersModel, layer: string): number[][] {
  return m.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));
}

describe("fineTune", () => {
  it("runs the seven steps in order with epoch metrics and progress", async () => {
    const events: TrainerEvent[] = [];
    const r = await fineTune({ dataset: tabular, config, onEvent: (e) => events.push(e), progressIntervalMs: 0 });
    const steps = events.filter((e) => e.type === "step").map((e) => `${e.step}:${e.status}`);
    expect(steps).toEqual(["dataset", "model", "freeze", "configure", "train", "evaluate", "save"].flatMap((s) => [`${s}:started`, `${s}:done`]));
    expect(events.filter((e) => e.type === "epoch").map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(events.some((e) => e.type === "progress" && e.phase === "train" && e.done === e.total)).toBe(true);
    expect(events).toContainEqual({ type: "log", level: "info", message: "backend: cpu" });
    expect(r.history[2]).toEqual({ epoch: 3, loss: expect.any(Number), acc: expect.any(Number), val_loss: expect.any(Number), val_acc: expect.any(Number) });
    expect(r.evaluation.split).toBe("test");
    expect(r.evaluation.numExamples).toBe(6);
    expect(r.evaluation.perClass.map((p) => p.support)).toEqual([2, 2, 2]);
    expect(r.evaluation.confusionMatrix.flat().reduce((s, v) => s + v, 0)).toBe(6);
    expect(r.saved.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rejects an invalid config with every problem", async () => {
    await expect(fineTune({ dataset: tabular, config: { ...config, epochs: 0, learningRate: 5 } })).rejects.toSatisfy(
      (e: unknown) => e instanceof TrainingConfigError && e.problems.length === 2,
    );
  });

  it("is deterministic: same seed and backend give the same metrics and weights", async () => {
    const a = await fineTune({ dataset: tabular, config });
    const b = await fineTune({ dataset: tabular, config });
    const c = await fineTune({ dataset: tabular, config: { ...config, seed: 4 } });
    expect(b.history).toEqual(a.history);
    expect(b.evaluation).toEqual(a.evaluation);
    expect(b.saved.fileSha256["weights.bin"]).toBe(a.saved.fileSha256["weights.bin"]);
    expect(c.saved.fileSha256["weights.bin"]).not.toBe(a.saved.fileSha256["weights.bin"]);
  });

  it("replaces the head when classes differ, keeps frozen layers unchanged, and saves a model stock tfjs reloads", async () => {
    const base = buildTabularClassifier({ numFeatures: 2, numClasses: 2 });
    base.setUserDefinedMetadata({ name: "tiny-base", classNames: ["x", "y"] });
    const baseDense1 = weightsOf(base, "dense1");
    const r = await fineTune({ dataset: tabular, baseModel: base, freeze: { layers: ["dense1"] }, config, keepModel: true });
    expect(r.headReplaced).toBe(true);
    expect(r.layers.at(-1)).toMatchObject({ name: "predictions", outputShape: [null, 3], params: 16 * 3 + 3 });
    expect(r.frozenLayers).toEqual(["dense1"]);
    expect(r.frozenParams).toBe(2 * 16 + 16);
    expect(r.trainableParams).toBe(16 * 3 + 3);
    expect(weightsOf(r.model!, "dense1")).toEqual(baseDense1);
    expect(weightsOf(base, "dense1")).toEqual(baseDense1); // the caller's model is never modified
    expect(base.layers.at(-1)!.outputShape).toEqual([null, 2]);

    const json = JSON.parse(new TextDecoder().decode(r.saved.modelJson));
    const stock = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: r.saved.weightsBin.slice().buffer, userDefinedMetadata: json.userDefinedMetadata }),
    );
    const x = tf.tensor2d([[0.1, 0.2], [-1, 2], [3, -0.5]]);
    expect(Array.from((stock.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((r.model!.predict(x) as tf.Tensor).dataSync()));
    const meta = stock.getUserDefinedMetadata() as Record<string, unknown>;
    expect(meta).toMatchObject({ classNames: ["a", "b", "c"], frozenLayers: ["dense1"], headReplaced: true, baseModel: { name: "tiny-base", classNames: ["x", "y"] } });
    expect((meta.preprocessing as Preprocessing).kind).toBe("tabular");
    tf.dispose(x);
    stock.dispose();
    r.model!.dispose();
    base.dispose();
  });

  it("keeps frozen BatchNormalization statistics through fineTune", async () => {
    const input = tfl.input({ shape: [2] });
    let h = tfl.layers.dense({ units: 8, activation: "relu", name: "dense1" }).apply(input) as tfl.SymbolicTensor;
    h = tfl.layers.batchNormalization({ name: "bn" }).apply(h) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3, activation: "softmax", name: "predictions" }).apply(h) as tfl.SymbolicTensor;
    const base = tfl.model({ inputs: input, outputs: out });
    const bnBefore = weightsOf(base, "bn");
    const r = await fineTune({ dataset: tabular, baseModel: base, freeze: { upToIndex: 2 }, config, keepModel: true, replaceHead: "never" });
    expect(r.frozenLayers).toEqual(["dense1", "bn"]);
    expect(weightsOf(r.model!, "bn")).toEqual(bnBefore);
    r.model!.dispose();
    base.dispose();
  });

  it("transfers a text base model's vocabulary and embedding", async () => {
    const vocabulary = [PAD_TOKEN, OOV_TOKEN, "free", "money", "meeting", "lunch"];
    const prep: Preprocessing = { kind: "text", vocabulary, maxLength: 8, lowercase: true, tokenPattern: "[\\p{L}\\p{N}]+", vocabularySource: "train-split", encoding: "bag-of-words" };
    const base = buildBagOfWordsClassifier({ vocabSize: vocabulary.length, numClasses: 2, embeddingDim: 4, hidden: 4 });
    base.setUserDefinedMetadata({ name: "tiny-text", classNames: ["p", "q"], preprocessing: prep });
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify(i % 2 ? { text: "free money now", label: "spam" } : { text: "lunch meeting today", label: "ham" }));
    const ds: PreparedDataset = { ...parseDatasetFile(bytes(lines.join("\n")), { format: "jsonl", task: "TEXT_CLASSIFICATION" }), name: "tiny-text", source: "file" };
    const emb = weightsOf(base, "embedding");
    const r = await fineTune({ dataset: ds, baseModel: base, freeze: { layers: ["embedding"] }, config: { ...config, validationSplit: 0.25, testSplit: 0.25 }, keepModel: true });
    const saved = r.saved.metadata.preprocessing;
    expect(saved).toMatchObject({ kind: "text", vocabularySource: "base-model", vocabulary, maxLength: 8 });
    expect(weightsOf(r.model!, "embedding")).toEqual(emb);
    const input = textModelInput(["free money"], saved as Extract<Preprocessing, { kind: "text" }>);
    expect(input.shape).toEqual([1, 6]);
    r.model!.dispose();
    base.dispose();
  });

  it("cancels within one batch with an AbortError", async () => {
    const ac = new AbortController();
    let batchesAfterAbort = -1;
    const p = fineTune({
      dataset: tabular,
      config: { ...config, epochs: 50, batchSize: 2 },
      signal: ac.signal,
      progressIntervalMs: 0,
      onEvent: (e) => {
        if (e.type !== "progress" || e.phase !== "train") return;
        if (batchesAfterAbort >= 0) batchesAfterAbort++;
        if (e.epoch === 1 && e.done === 3) {
          ac.abort();
          batchesAfterAbort = 0;
        }
      },
    });
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
    expect(batchesAfterAbort).toBe(0);
  });

  it("stops early on val_loss patience and restores the best epoch's weights", async () => {
    // Labels unrelated to the features: the model can only overfit, so val_loss soon rises.
    const noise = ["x1,x2,label", ...Array.from({ length: 60 }, (_, i) => `${(i * 37) % 11},${(i * 53) % 7},${["a", "b", "c"][(i * 7 + ((i * i) % 5)) % 3]}`)].join("\n");
    const noisy: PreparedDataset = { ...parseDatasetFile(bytes(noise), { format: "csv", task: "TABULAR_CLASSIFICATION" }), name: "noise", source: "file" };
    const cfg: TrainingConfig = { ...config, learningRate: 0.05, epochs: 40, validationSplit: 0.3, earlyStoppingPatience: 2 };
    const r = await fineTune({ dataset: noisy, config: cfg, keepModel: true });
    expect(r.stoppedEarly).toBe(true);
    expect(r.epochsRun).toBe(r.bestEpoch + 2);
    const best = r.history[r.bestEpoch - 1]!;
    expect(Math.min(...r.history.map((h) => h.val_loss!))).toBe(best.val_loss);
    // The kept weights are the best epoch's: re-running to exactly that epoch gives the same weights.
    const again = await fineTune({ dataset: noisy, config: { ...cfg, epochs: r.bestEpoch, earlyStoppingPatience: null } });
    expect(again.saved.fileSha256["weights.bin"]).toBe(r.saved.fileSha256["weights.bin"]);
    r.model!.dispose();
  });

  it("sees an abort that arrives from a timer (macrotask) before the next batch", async () => {
    const ac = new AbortController();
    let batchesAfterAbort = -1;
    let timerSet = false;
    const p = fineTune({
      dataset: tabular,
      config: { ...config, epochs: 50, batchSize: 2 },
      signal: ac.signal,
      progressIntervalMs: 0,
      onEvent: (e) => {
        if (e.type !== "progress" || e.phase !== "train") return;
        if (batchesAfterAbort >= 0) batchesAfterAbort++;
        if (!timerSet) {
          timerSet = true;
          setTimeout(() => {
            ac.abort();
            batchesAfterAbort = 0;
          }, 0);
        }
      },
    });
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
    expect(batchesAfterAbort).toBe(0);
  });

  it("leaks no tensors across epochs, runs, early stopping and cancellation", async () => {
    await fineTune({ dataset: tabular, config }); // warm-up
    const start = tf.memory().numTensors;
    const perEpoch: number[] = [];
    await fineTune({ dataset: tabular, config: { ...config, epochs: 4, earlyStoppingPatience: 1 }, onEvent: (e) => e.type === "epoch" && perEpoch.push(tf.memory().numTensors) });
    expect(new Set(perEpoch).size).toBe(1);
    await fineTune({ dataset: tabular, config: { ...config, optimizer: "MOMENTUM" } });
    const base = buildTabularClassifier({ numFeatures: 2, numClasses: 2 });
    const baseTensors = tf.memory().numTensors;
    await fineTune({ dataset: tabular, baseModel: base, freeze: { layers: ["dense1"] }, config });
    expect(tf.memory().numTensors).toBe(baseTensors);
    base.dispose();
    const ac = new AbortController();
    await expect(fineTune({ dataset: tabular, config, signal: ac.signal, onEvent: (e) => e.type === "epoch" && ac.abort() })).rejects.toMatchObject({ name: "AbortError" });
    expect(tf.memory().numTensors).toBe(start);
  });

  it("saves deterministic bytes: a re-save of the reloaded model has the same weights hash", async () => {
    const r = await fineTune({ dataset: tabular, config, keepModel: true });
    const again = await saveModelToFiles(r.model!);
    expect(again.fileSha256["weights.bin"]).toBe(r.saved.fileSha256["weights.bin"]);
    r.model!.dispose();
  });
});

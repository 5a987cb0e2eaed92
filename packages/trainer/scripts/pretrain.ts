// Trains the shipped base models and writes assets/base-models/<name>/{model.tar, recipe.json}.
//   pnpm --filter @tunelab/trainer pretrain            (both)
//   pnpm --filter @tunelab/trainer pretrain digits-0-4-cnn
// TRAINER_BACKEND=CPU|WASM|WEBGPU picks the backend (default: best available).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_MODELS_DIR, describeLayers, fineTune, loadDataset, loadModelFromBundle, type TrainingConfig } from "../src/index";
import { progressPrinter, useScriptBackend } from "./lib/backend";

interface Recipe {
  name: string;
  dataset: string;
  description: string;
  config: TrainingConfig;
  /** Backend override (default: best available, or TRAINER_BACKEND). */
  backend?: "CPU" | "WASM";
}

export const RECIPES: Recipe[] = [
  {
    name: "digits-0-4-cnn",
    dataset: "mnist-digits-0-4",
    description:
      "Keras mnist_transfer_cnn convnet (conv1, conv2, pool, dropout1, flatten | dense1, dropout2, predictions) trained on MNIST digits 0-4.",
    config: { learningRate: 0.001, epochs: 10, batchSize: 64, optimizer: "ADAM", validationSplit: 0.1, testSplit: 0.2, seed: 42, augmentShift: 2 },
  },
  {
    name: "text-sotu-vs-moby",
    dataset: "sotu-vs-moby-dick",
    description:
      "Bag-of-embeddings text classifier on term frequencies (embedding: Dense 10,000->32 without bias = average of word embeddings; dense1 32 relu; predictions) trained to tell State of the Union passages from Moby Dick passages; its embedding and vocabulary transfer to other English text tasks.",
    config: { learningRate: 0.005, epochs: 4, batchSize: 64, optimizer: "ADAM", validationSplit: 0.1, testSplit: 0.2, seed: 42, maxLength: 256, maxVocab: 10_000 },
  },
];

const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const r of RECIPES.filter((r) => only.length === 0 || only.includes(r.name))) {
  const backend = await useScriptBackend(r.backend ?? process.env.TRAINER_BACKEND);
  console.log(`${r.name}: backend ${backend}`);
  const t0 = Date.now();
  const ds = await loadDataset({ kind: "builtin", name: r.dataset });
  const bar = progressPrinter(r.name);
  bar.setEpochs(r.config.epochs);
  const res = await fineTune({ dataset: ds, baseModel: null, config: r.config, modelName: r.name, onEvent: bar.onEvent });
  const trainSeconds = (Date.now() - t0) / 1000;
  const dir = join(BASE_MODELS_DIR, r.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.tar"), res.saved.bundle);
  const model = await loadModelFromBundle(res.saved.bundle); // check it reads back
  const recipe = {
    name: r.name,
    task: ds.task,
    classNames: ds.classNames,
    inputShape: model.inputs[0]!.shape,
    description: r.description,
    sha256: res.saved.sha256,
    layers: describeLayers(model),
    recipe: {
      dataset: r.dataset,
      datasetSha256: ds.sha256,
      command: `pnpm --filter @tunelab/trainer pretrain ${r.name}`,
      config: r.config,
      backend,
      trainSeconds,
      evaluation: { split: res.evaluation.split, numExamples: res.evaluation.numExamples, accuracy: res.evaluation.accuracy, macroF1: res.evaluation.macroF1, loss: res.evaluation.loss },
      history: res.history,
      fileSha256: res.saved.fileSha256,
    },
  };
  model.dispose();
  writeFileSync(join(dir, "recipe.json"), JSON.stringify(recipe, null, 2) + "\n");
  console.log(
    `${r.name}: test accuracy ${(res.evaluation.accuracy * 100).toFixed(2)}% (${res.evaluation.numExamples} examples), ${trainSeconds.toFixed(0)} s, sha256 ${res.saved.sha256}`,
  );
}

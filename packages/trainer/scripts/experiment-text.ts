// Text transfer: the shipped text base model (SOTU vs Moby Dick, bag-of-embeddings) fine-tuned on spam vs ham
// (SpamAssassin) with few labels, against the same network trained from scratch (its own vocabulary from the few
// training mails) with the same budget. Same held-out test set (20% of each class, seed 42) for every run.
//   pnpm --filter @tunelab/trainer experiment:text [--per-class 25] [--seeds 1,2,3] [--epochs 30]
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fineTune, loadBuiltinBaseModel, loadDataset, splitDataset, subsetDataset, type TrainingConfig } from "../src/index";
import { useScriptBackend } from "./lib/backend";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const perClassN = Number(arg("per-class", "25"));
const seeds = arg("seeds", "1,2,3").split(",").map(Number);
const epochs = Number(arg("epochs", "30"));

const backend = await useScriptBackend();
console.log(`backend: ${backend}`);
const { model: base, info } = await loadBuiltinBaseModel("text-sotu-vs-moby");
const spam = await loadDataset({ kind: "builtin", name: "spam-assassin" });
const outer = splitDataset(spam, { seed: 42, validationSplit: 0, testSplit: 0.2 });
const pool = subsetDataset(spam, outer.train, "spam-train");
const test = subsetDataset(spam, outer.test, "spam-test");
console.log(`base ${info.name} (${info.sha256.slice(0, 12)}), spam-assassin: ${pool.numExamples} pool, ${test.numExamples} test`);

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const runs: { seed: number; arm: string; accuracy: number; macroF1: number; seconds: number; trainOovRate?: unknown }[] = [];
for (const seed of seeds) {
  const order = splitDataset(pool, { seed, validationSplit: 0, testSplit: 0 }).train;
  const taken = new Map<number, number>();
  const picked = Array.from(order).filter((i) => {
    const c = pool.labels[i]!;
    const n = taken.get(c) ?? 0;
    taken.set(c, n + 1);
    return n < perClassN;
  });
  const few = subsetDataset(pool, picked, `spam-${perClassN}-per-class-seed${seed}`);
  const config: TrainingConfig = { learningRate: 0.005, epochs, batchSize: 16, optimizer: "ADAM", validationSplit: 0, seed };
  const arms = [
    { arm: "fine-tuned (embedding frozen)", opts: { baseModel: base, freeze: { layers: ["embedding"] } } },
    { arm: "fine-tuned (all layers)", opts: { baseModel: base } },
    { arm: "from scratch", opts: { baseModel: null } },
  ];
  for (const a of arms) {
    let oov: unknown;
    const r = await fineTune({ dataset: few, testDataset: test, config, ...a.opts, onEvent: (e) => e.type === "step" && e.step === "dataset" && e.status === "done" && (oov = e.detail?.trainOovRate) });
    runs.push({ seed, arm: a.arm, accuracy: r.evaluation.accuracy, macroF1: r.evaluation.macroF1, seconds: r.durationMs / 1000, trainOovRate: oov });
    console.log(`seed ${seed}, ${few.numExamples} labelled mails, ${a.arm}: accuracy ${pct(r.evaluation.accuracy)}, macro F1 ${r.evaluation.macroF1.toFixed(4)} (${(r.durationMs / 1000).toFixed(0)} s, train OOV rate ${Number(oov).toFixed(3)})`);
  }
}
const summary = [...new Set(runs.map((r) => r.arm))].map((arm) => {
  const rs = runs.filter((r) => r.arm === arm);
  const acc = rs.reduce((s, r) => s + r.accuracy, 0) / rs.length;
  const f1 = rs.reduce((s, r) => s + r.macroF1, 0) / rs.length;
  console.log(`mean over seeds ${seeds.join(",")}: ${arm}: accuracy ${pct(acc)}, macro F1 ${f1.toFixed(4)}`);
  return { arm, meanAccuracy: acc, meanMacroF1: f1 };
});
const dir = fileURLToPath(new URL("../results/", import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}text-transfer-${backend.split(/[ (]/)[0]!.toLowerCase()}.json`, JSON.stringify({ backend, date: new Date().toISOString(), base: info.name, perClass: perClassN, epochs, summary, runs }, null, 2) + "\n");
base.dispose();

import * as tf from "@tensorflow/tfjs-core";
// tfjs-core's Node bundle registers no gradients; tfjs-layers' does.
import "@tensorflow/tfjs-layers";
import { referenceCnn } from "@tunelab/trainer/kernels";
import { createQueuedStep, createTrainStep } from "@tunelab/trainer/train";
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const REPO_ROOT = path.resolve(BENCH_DIR, "..");

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  loadAverage: number[];
  commit: string | null;
}

export function machine(): Machine {
  const cpus = os.cpus();
  // A bundle run away from the checkout (bundle-gpu) has no .git: the bundler stamps the commit into this variable.
  let commit: string | null = process.env.TUNELAB_BENCH_COMMIT ?? null;
  try {
    commit ??= execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    commit = null;
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    commit,
  };
}

export interface Measurement {
  label: string;
  backend: string;
  device: string;
  kernels: string[];
  batch: number;
  steps: number;
  /** wall time of each timed step (warm-up excluded), ms */
  stepMs: number[];
  samplesPerSec: number;
  /** from the fastest timed step: less disturbed by other jobs on a shared machine */
  bestSamplesPerSec: number;
  /** loss of the first and last timed step: a sanity check that training ran */
  loss: [number, number];
  note?: string;
}

/**
 * Train the reference CNN on random 28x28x1 data: one warm-up step untimed, then `steps` timed steps. `loop: "step"`
 * (the default) is the trainer's own step (createTrainStep, what the worker runs); `"trainOnBatch"` is tfjs-layers'.
 */
export async function trainReferenceCnn(opts: { batch: number; steps: number; warmupBatch?: number; loop?: "step" | "trainOnBatch" }): Promise<{
  stepMs: number[];
  loss: [number, number];
}> {
  const { batch, steps } = opts;
  const model = referenceCnn({ inputShape: [28, 28, 1] });
  const trainStep = createTrainStep(model, model.optimizer);
  const train = async (x: tf.Tensor, y: tf.Tensor): Promise<number> => {
    if (opts.loop === "trainOnBatch") {
      const out = await model.trainOnBatch(x, y);
      return Array.isArray(out) ? out[0]! : out;
    }
    return (await trainStep(x, y)).loss;
  };
  const make = (n: number, seed: number) => ({
    x: tf.randomUniform([n, 28, 28, 1], 0, 1, "float32", seed),
    y: tf.oneHot(tf.randomUniform([n], 0, 10, "int32", seed + 1) as tf.Tensor1D, 10),
  });
  // Warm-up (shader compilation, JIT, wasm heap growth), not timed.
  const warm = make(opts.warmupBatch ?? batch, 1);
  await train(warm.x, warm.y);
  tf.dispose([warm.x, warm.y]);
  const data = make(batch, 2);
  const stepMs: number[] = [];
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    const loss = await train(data.x, data.y);
    stepMs.push(performance.now() - t0);
    losses.push(loss);
  }
  tf.dispose([data.x, data.y]);
  model.dispose();
  return { stepMs, loss: [losses[0]!, losses[losses.length - 1]!] };
}

export function samplesPerSec(batch: number, stepMs: number[]): number {
  const total = stepMs.reduce((a, b) => a + b, 0);
  return (batch * stepMs.length) / (total / 1000);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  return [line(rows[0]!), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)].join("\n");
}

export function fmt(n: number, digits = 1): string {
  if (n >= 100) return n.toFixed(0);
  return n < 1 ? n.toFixed(2) : n.toFixed(digits);
}

/** Whether this runs from the repository (not from the bundle that bundle-gpu writes into .gl/). */
export function inRepo(): boolean {
  return existsSync(path.join(BENCH_DIR, "package.json")) && existsSync(path.join(REPO_ROOT, "pnpm-workspace.yaml"));
}

export function writeResult(name: string, result: unknown, outDir?: string): string {
  const dir = outDir ?? (inRepo() ? path.join(BENCH_DIR, "results", "trainer") : path.resolve("results"));
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function appendBenchmarksDoc(section: string): string {
  const file = path.join(REPO_ROOT, "docs", "benchmarks.md");
  mkdirSync(path.dirname(file), { recursive: true });
  if (!existsSync(file)) {
    writeFileSync(
      file,
      "# Benchmarks\n\nAppended by the scripts in `bench/` (see bench/README.md); newest last. " +
        "Numbers from a shared machine: the load average at the start of each run is recorded with it.\n",
    );
  }
  appendFileSync(file, `\n${section.trim()}\n`);
  return file;
}

export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/**
 * Per-kernel time of one training step of the reference CNN (tf.profile), summed by kernel name, largest first.
 * On WEBGPU the times need timestamp queries; where the adapter has none the kernels come back without times.
 */
export async function profileStep(batch: number): Promise<{ kernel: string; ms: number; count: number }[]> {
  const model = referenceCnn();
  const x = tf.randomUniform([batch, 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D, 10);
  const trainStep = createTrainStep(model, model.optimizer);
  await trainStep(x, y);
  const info = await tf.profile(async () => {
    await trainStep(x, y);
  });
  const byName = new Map<string, { ms: number; count: number }>();
  for (const k of info.kernels) {
    const t = (await Promise.resolve(k.kernelTimeMs)) as unknown;
    const ms = typeof t === "number" ? t : typeof (t as { error?: string })?.error === "string" ? NaN : 0;
    const entry = byName.get(k.name) ?? { ms: 0, count: 0 };
    byName.set(k.name, { ms: entry.ms + ms, count: entry.count + 1 });
  }
  tf.dispose([x, y]);
  model.dispose();
  return [...byName].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => (b.ms || 0) - (a.ms || 0));
}

/**
 * Where a training step's wall time goes on an asynchronous backend (WEBGPU), with the trainer's own step split at its
 * read (createQueuedStep):
 * - dispatchMs: JS time until the step's kernels are recorded and queued (nothing awaited);
 * - waitMs: the time after that until the loss and accuracy have come back (GPU work not yet done, plus the readback);
 * - pipelined: samples/s over `steps` steps with a single read at the end (the GPU queue never drains).
 */
export async function stepBreakdown(batch: number, steps: number): Promise<{
  dispatchMs: number;
  waitMs: number;
  syncedSamplesPerSec: number;
  pipelinedSamplesPerSec: number;
}> {
  const model = referenceCnn();
  const step = createQueuedStep(model, model.optimizer);
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, "float32", 3);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32", 4) as tf.Tensor1D, 10);
  for (let i = 0; i < 2; i++) {
    const out = step(x, y);
    await out.data();
    out.dispose();
  }
  let dispatch = 0;
  let wait = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const out = step(x, y);
    const t1 = performance.now();
    await out.data();
    wait += performance.now() - t1;
    dispatch += t1 - t0;
    out.dispose();
  }
  const t0 = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < steps; i++) {
    last?.dispose();
    last = step(x, y);
  }
  await last!.data();
  const pipelinedMs = performance.now() - t0;
  last!.dispose();
  tf.dispose([x, y]);
  model.dispose();
  return {
    dispatchMs: dispatch / steps,
    waitMs: wait / steps,
    syncedSamplesPerSec: (batch * steps) / ((dispatch + wait) / 1000),
    pipelinedSamplesPerSec: (batch * steps) / (pipelinedMs / 1000),
  };
}

export function describeProfile(profile: { kernel: string; ms: number; count?: number }[], top = 6): string {
  const total = profile.reduce((a, k) => a + (k.ms || 0), 0);
  const launches = profile.reduce((a, k) => a + (k.count ?? 0), 0);
  if (!(total > 0)) return "no kernel times (this backend/adapter reports none)";
  const head = launches > 0 ? `${launches} kernels, ${total.toFixed(1)} ms of kernel time: ` : "";
  return (
    head +
    profile
      .slice(0, top)
      .map((k) => `${k.kernel} ${k.ms.toFixed(1)} ms (${((100 * k.ms) / total).toFixed(0)}%)`)
      .join(", ")
  );
}

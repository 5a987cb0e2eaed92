/**
 * GPU benchmark (issues 7 and 8): the reference CNN (batch 256, 28x28x1 random data) trained by the trainer's own
 * step (createTrainStep, as the worker does; one row through tfjs-layers' trainOnBatch for comparison) on WEBGPU with
 * the stock kernels and with the matmul filter gradient, and in the same run the same model in PyTorch when
 * `python3 -c "import torch"` works. Prints the card's name, samples/s of each, and the ratios.
 *
 *   pnpm --filter @tunelab/bench gpu [--steps 20] [--chunks 2048] [--profile] [--breakdown] [--tf-flags K=V,...]
 *                                    [--no-torch] [--no-transfer] [--no-doc] [--out DIR]
 *
 * Before timing, it checks the fast filter gradient against the stock WEBGPU kernel over a grid of shapes, strides and
 * paddings.
 * --profile prints each configuration's kernel times for one step; --breakdown splits a step's wall time into JS
 * dispatch and GPU wait and measures a loop that reads the loss only at its end; --tf-flags sets tfjs environment
 * flags (e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64) for every WEBGPU run.
 *
 * In a checkout it then runs the trainer's transfer experiment (digits 0-4 CNN -> 5-9, and 50 per class fine-tuned vs
 * from scratch) on WEBGPU, whose accuracies compare with the WASM results in packages/trainer/README.md.
 *
 * Without a usable GPU it says that WEBGPU is unavailable and why, and exits 0. `pnpm --filter @tunelab/bench
 * bundle-gpu` packs this script into .gl/ to run where there is no node_modules (bench/README.md).
 */
import * as tf from "@tensorflow/tfjs-core";
import { detectBackends, registerFastKernels, selectBackend, unregisterFastKernels } from "@tunelab/trainer/backends";
import type { SelectOptions } from "@tunelab/trainer/backends";
import { type ConvCase, convCases, convOutShape, referenceCnn, relErr, SMALL_CONV_SHAPES } from "@tunelab/trainer/kernels";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  appendBenchmarksDoc,
  arg,
  describeProfile,
  flag,
  fmt,
  inRepo,
  machine,
  profileStep,
  samplesPerSec,
  stepBreakdown,
  table,
  trainReferenceCnn,
  writeResult,
} from "./common";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const steps = Number(arg("steps") ?? 20);
const chunks = (arg("chunks") ?? "2048").split(",").map(Number);

interface Row {
  label: string;
  samplesPerSec: number;
  stepMs?: number[];
  loss?: [number, number];
  kernels?: string[];
  profile?: { kernel: string; ms: number; count: number }[];
  breakdown?: Awaited<ReturnType<typeof stepBreakdown>>;
}

/** `--tf-flags A=1,B=true`: tfjs environment flags, parsed as numbers or booleans where they look like one. */
function tfFlags(): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (const pair of (arg("tf-flags") ?? "").split(",").filter(Boolean)) {
    const [key, raw = ""] = pair.split("=");
    out[key!] = raw === "true" ? true : raw === "false" ? false : raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

function torchScript(): string | null {
  for (const p of [path.join(HERE, "torch_reference_cnn.py"), path.join(HERE, "src", "trainer", "torch_reference_cnn.py")]) {
    if (existsSync(p)) return p;
  }
  return null;
}

function nvidiaSmiName(): string | null {
  try {
    return execFileSync("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], { encoding: "utf8", timeout: 10_000 })
      .trim()
      .split("\n")[0]!;
  } catch {
    return null;
  }
}

interface TorchResult {
  rows: Row[];
  device?: string;
  reason?: string;
}

/**
 * PyTorch twice: its best case (only the last loss read, the GPU queue never drains) and like for like with tfjs's
 * trainOnBatch (every step's loss read). The first is the yardstick for "% of PyTorch".
 */
function runTorch(): TorchResult {
  if (flag("no-torch")) return { rows: [], reason: "skipped (--no-torch)" };
  const probe = spawnSync("python3", ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return { rows: [], reason: `python3 -c "import torch" fails: ${(probe.stderr || probe.error?.message || "").trim().split("\n").pop()}` };
  const script = torchScript();
  if (!script) return { rows: [], reason: "torch_reference_cnn.py not found next to this script" };
  const rows: Row[] = [];
  let device: string | undefined;
  for (const sync of [false, true]) {
    const args = [script, "--batch", "256", "--steps", String(Math.max(50, steps)), ...(sync ? ["--sync-every-step"] : [])];
    const res = spawnSync("python3", args, { encoding: "utf8", timeout: 300_000 });
    if (res.status !== 0) return { rows, device, reason: `PyTorch run failed: ${(res.stderr || res.error?.message || "").trim().split("\n").pop()}` };
    const out = JSON.parse(res.stdout.trim().split("\n").pop()!) as { device: string; samples_per_sec: number; torch: string };
    device = out.device;
    const how = sync ? "loss read every step, like trainOnBatch" : "last loss read only";
    rows.push({ label: `PyTorch ${out.torch} (${out.device}), ${how}`, samplesPerSec: out.samples_per_sec });
    console.log(`${rows[rows.length - 1]!.label}: ${fmt(out.samples_per_sec)} samples/s`);
  }
  return { rows, device };
}

async function runWebgpu(label: string, fastKernels: SelectOptions["fastKernels"], loop: "step" | "trainOnBatch" = "step"): Promise<Row> {
  const sel = await selectBackend(["WEBGPU"], { fastKernels });
  for (const [key, value] of Object.entries(tfFlags())) tf.env().set(key, value);
  process.stdout.write(`${label}: warm-up + ${steps} steps ... `);
  const run = await trainReferenceCnn({ batch: 256, steps, loop });
  const sps = samplesPerSec(256, run.stepMs);
  const sorted = [...run.stepMs].sort((a, b) => a - b);
  console.log(`${fmt(sps)} samples/s (median step ${sorted[sorted.length >> 1]!.toFixed(1)} ms, loss ${run.loss[0].toFixed(4)} -> ${run.loss[1].toFixed(4)})`);
  let profile: Row["profile"];
  if (flag("profile")) {
    try {
      profile = await profileStep(256);
      console.log(`  profile of one step: ${describeProfile(profile)}`);
    } catch (e) {
      console.log(`  profile failed: ${(e as Error).message}`);
    }
  }
  let breakdown: Row["breakdown"];
  if (flag("breakdown")) {
    breakdown = await stepBreakdown(256, steps);
    console.log(
      `  step split at its read: dispatch ${breakdown.dispatchMs.toFixed(1)} ms + wait ${breakdown.waitMs.toFixed(1)} ms per step ` +
        `(${fmt(breakdown.syncedSamplesPerSec)} samples/s); loss read only at the end: ${fmt(breakdown.pipelinedSamplesPerSec)} samples/s`,
    );
  }
  return { label, samplesPerSec: sps, stepMs: run.stepMs, loss: run.loss, kernels: sel.kernels, profile, breakdown };
}

/**
 * The fast filter gradient against the stock WEBGPU kernel, over the unit tests' grid (convCases: small shapes x
 * strides 1 and 2 x same and valid padding) plus the reference CNN's two conv layers. Returns the worst relative error.
 */
async function filterGradCheck(): Promise<{ worst: number; cases: number }> {
  const cases = convCases([...SMALL_CONV_SHAPES, { x: [256, 28, 28, 1], k: 3, co: 32 }, { x: [256, 26, 26, 32], k: 3, co: 64 }]);
  const grad = async (c: ConvCase, x: tf.Tensor4D, dy: tf.Tensor4D) => {
    const out = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: c.stride,
      pad: c.pad,
      dataFormat: "NHWC",
      filterShape: [c.k, c.k, c.x[3], c.co],
    }) as tf.Tensor;
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  };
  await selectBackend(["WEBGPU"], { fastKernels: false });
  let worst = 0;
  for (const [i, c] of cases.entries()) {
    unregisterFastKernels("webgpu");
    const x = tf.randomUniform(c.x, -1, 1, "float32", 100 + i) as tf.Tensor4D;
    const dy = tf.randomUniform(convOutShape(c), -1, 1, "float32", 200 + i) as tf.Tensor4D;
    const expected = await grad(c, x, dy);
    registerFastKernels("webgpu", { conv2DBackpropFilter: "matmul" });
    worst = Math.max(worst, relErr(await grad(c, x, dy), expected));
    tf.dispose([x, dy]);
  }
  return { worst, cases: cases.length };
}

/** Same initial weights and data, 3 steps each way: the fast path must give the stock path's losses. */
async function lossParity(): Promise<{ stock: number[]; fast: number[]; maxRelDiff: number }> {
  const losses = async (fast: boolean) => {
    await selectBackend(["WEBGPU"], { fastKernels: fast ? {} : false });
    const model = referenceCnn({ seed: 7 });
    const x = tf.randomUniform([256, 28, 28, 1], 0, 1, "float32", 5);
    const y = tf.oneHot(tf.randomUniform([256], 0, 10, "int32", 6) as tf.Tensor1D, 10);
    const out: number[] = [];
    for (let i = 0; i < 3; i++) {
      const l = await model.trainOnBatch(x, y);
      out.push(Array.isArray(l) ? l[0]! : l);
    }
    tf.dispose([x, y]);
    model.dispose();
    return out;
  };
  const stock = await losses(false);
  const fast = await losses(true);
  const maxRelDiff = Math.max(...stock.map((s, i) => Math.abs(fast[i]! - s) / Math.abs(s)));
  return { stock, fast, maxRelDiff };
}

async function main(): Promise<void> {
  const m = machine();
  const detected = await detectBackends();
  const webgpu = detected.find((d) => d.backend === "WEBGPU")!;
  console.log(`GPU benchmark: reference CNN, batch 256 | host ${m.cpuModel} x${m.cores} | nvidia-smi: ${nvidiaSmiName() ?? "not available"}`);
  if (!webgpu.available) {
    console.log(`WEBGPU is unavailable: ${webgpu.reason}`);
    console.log("Nothing to measure here; run this on a machine with a GPU and a Vulkan driver (bench/README.md).");
    return;
  }
  console.log(`WEBGPU adapter: ${webgpu.device}`);

  const check = await filterGradCheck();
  console.log(
    `matmul filter gradient vs the stock WEBGPU kernel (${check.cases} cases: shapes x strides x paddings): worst relative error ${check.worst.toExponential(2)}`,
  );

  const rows: Row[] = [];
  const stock = await runWebgpu("WEBGPU, stock kernels", false);
  rows.push(stock);
  for (const chunk of chunks) {
    rows.push(await runWebgpu(`WEBGPU + matmul filter gradient (chunk ${chunk})`, { conv2DBackpropFilter: "matmul", chunk }));
  }
  // The trainer's step against tfjs-layers' trainOnBatch, same kernels (the default fast ones).
  rows.push(await runWebgpu("WEBGPU + matmul filter gradient (default), through trainOnBatch", {}, "trainOnBatch"));
  const parity = await lossParity();
  console.log(`loss parity (3 steps, same init): stock ${parity.stock.map((l) => l.toFixed(5)).join(", ")} | fast ${parity.fast.map((l) => l.toFixed(5)).join(", ")} | max rel diff ${parity.maxRelDiff.toExponential(2)}`);
  const torch = runTorch();
  rows.push(...torch.rows);
  if (torch.reason) console.log(`PyTorch: ${torch.reason}`);

  const torchSps = torch.rows[0]?.samplesPerSec;
  const out = table([
    ["configuration", "samples/s", "x WEBGPU stock", "% of PyTorch best case"],
    ...rows.map((r) => [
      r.label,
      fmt(r.samplesPerSec),
      `${fmt(r.samplesPerSec / stock.samplesPerSec)}x`,
      torchSps ? `${((100 * r.samplesPerSec) / torchSps).toFixed(1)}%` : "n/a",
    ]),
  ]);
  console.log(`\ncard: ${webgpu.device}${torch.device ? ` | PyTorch device: ${torch.device}` : ""}\n${out}`);

  const result = { machine: m, tfFlags: tfFlags(), filterGradCheck: check, adapter: webgpu.device, nvidiaSmi: nvidiaSmiName(), rows, parity, torch: torch.reason ?? null, at: new Date().toISOString() };
  const outDir = arg("out");
  const file = writeResult("gpu", result, outDir);
  console.log(`JSON: ${file}`);
  if (inRepo() && !flag("no-doc")) {
    appendBenchmarksDoc(
      `## gpu (WEBGPU vs PyTorch), ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC\n\n` +
        `Card: ${webgpu.device}; nvidia-smi: ${nvidiaSmiName() ?? "n/a"}; reference CNN, batch 256, ${steps} timed steps; ` +
        `loss parity stock vs fast over 3 steps: max relative difference ${parity.maxRelDiff.toExponential(2)}.\n\n${out}\n`,
    );
  }
  if (inRepo() && !flag("no-transfer")) {
    console.log("\ntransfer experiment on WEBGPU (packages/trainer/scripts/experiment-transfer.ts):");
    const res = spawnSync("pnpm", ["--filter", "@tunelab/trainer", "experiment:transfer"], {
      stdio: "inherit",
      env: { ...process.env, TRAINER_BACKEND: "WEBGPU" },
    });
    if (res.status !== 0) console.log(`transfer experiment failed (exit ${res.status}); the throughput numbers above stand.`);
  }
}

await main();

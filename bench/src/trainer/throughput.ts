/**
 * Samples/s of the reference CNN (conv32-conv64-maxpool-dense128-dense10, batch 256, 28x28x1 random data) on every
 * backend available here, stock kernels vs the fast gradient kernels of @tunelab/trainer.
 *
 *   pnpm --filter @tunelab/bench trainer-throughput [--steps 3] [--stock-batch 8] [--only WASM] [--profile] [--no-doc]
 *
 * The stock CPU backend needs minutes for one batch of 256 (its Conv2DBackpropFilter runs at ~0.01-0.02 GFLOP/s),
 * so it is timed on --stock-batch examples (default 8): on the CPU every layer's cost is linear in the batch,
 * so samples/s carries over; pass --stock-batch 256 to time it at full size.
 */
import { detectBackends, selectBackend } from "@tunelab/trainer/backends";
import type { Backend, SelectOptions } from "@tunelab/trainer/backends";
import {
  appendBenchmarksDoc,
  arg,
  describeProfile,
  flag,
  fmt,
  machine,
  profileStep,
  samplesPerSec,
  table,
  trainReferenceCnn,
  writeResult,
} from "./common";
import type { Measurement } from "./common";

interface Config {
  label: string;
  backend: Backend;
  fastKernels: SelectOptions["fastKernels"];
  batch: number;
  steps: number;
  baseline?: boolean;
}

const steps = Number(arg("steps") ?? 3);
const stockBatch = Number(arg("stock-batch") ?? 8);
const only = arg("only");

const CONFIGS: Config[] = [
  { label: "CPU, stock kernels", backend: "CPU", fastKernels: false, batch: stockBatch, steps: 1, baseline: true },
  { label: "CPU + matmul filter gradient (issue 8)", backend: "CPU", fastKernels: { conv2DBackpropFilter: "matmul" }, batch: 256, steps },
  { label: "CPU + direct filter gradient (default)", backend: "CPU", fastKernels: { conv2DBackpropFilter: "direct" }, batch: 256, steps },
  { label: "WASM + added kernels (matmul filter gradient, default)", backend: "WASM", fastKernels: {}, batch: 256, steps },
  { label: "WASM + filter-gradient kernels only (no input-gradient/matmul kernels)", backend: "WASM", fastKernels: { wasmExtras: false }, batch: 256, steps },
  { label: "WASM + added kernels (direct filter gradient)", backend: "WASM", fastKernels: { conv2DBackpropFilter: "direct" }, batch: 256, steps },
  { label: "WEBGPU, stock kernels", backend: "WEBGPU", fastKernels: false, batch: 256, steps: Math.max(steps, 10) },
  { label: "WEBGPU + matmul filter gradient (issue 8)", backend: "WEBGPU", fastKernels: {}, batch: 256, steps: Math.max(steps, 10) },
];

async function main(): Promise<void> {
  const m = machine();
  console.log(`reference CNN, 28x28x1 random data, batch 256 | ${m.cpuModel} x${m.cores}, ${m.memoryGiB} GiB | load average ${m.loadAverage.join(" ")}`);
  const detected = await detectBackends();
  for (const d of detected) console.log(`  ${d.backend.padEnd(14)} ${d.available ? `available: ${d.device}` : `unavailable: ${d.reason}`}`);

  const results: Measurement[] = [];
  const skipped: { label: string; reason: string }[] = [];
  const profiles: Record<string, { kernel: string; ms: number }[]> = {};
  for (const c of CONFIGS) {
    if (only && !c.label.toLowerCase().includes(only.toLowerCase())) continue;
    const status = detected.find((d) => d.backend === c.backend)!;
    if (!status.available) {
      skipped.push({ label: c.label, reason: status.reason ?? "unavailable" });
      continue;
    }
    const sel = await selectBackend([c.backend], { fastKernels: c.fastKernels });
    process.stdout.write(`${c.label}: batch ${c.batch}, 1 warm-up + ${c.steps} timed steps ... `);
    // Stock CPU warms up on a small batch: a full warm-up step would take minutes and warms nothing more.
    const run = await trainReferenceCnn({ batch: c.batch, steps: c.steps, warmupBatch: c.baseline ? 2 : c.batch });
    const sps = samplesPerSec(c.batch, run.stepMs);
    console.log(`${fmt(sps)} samples/s (steps ${run.stepMs.map((s) => s.toFixed(0)).join(", ")} ms)`);
    results.push({
      label: c.label,
      backend: c.backend,
      device: sel.device,
      kernels: sel.kernels,
      batch: c.batch,
      steps: c.steps,
      stepMs: run.stepMs,
      samplesPerSec: sps,
      bestSamplesPerSec: c.batch / (Math.min(...run.stepMs) / 1000),
      loss: run.loss,
      note: c.baseline && c.batch !== 256 ? `timed at batch ${c.batch} (cost linear in batch on CPU)` : undefined,
    });
    if (flag("profile") && !c.baseline) {
      profiles[c.label] = await profileStep(c.batch);
      console.log(`  profile of one step: ${describeProfile(profiles[c.label]!)}`);
    }
  }

  const base = results.find((r) => r.label === CONFIGS[0]!.label);
  const rows = [["configuration", "device", "batch", "samples/s (mean)", "samples/s (best step)", base ? "x stock CPU (mean)" : ""]];
  for (const r of results) {
    rows.push([
      r.label,
      r.device,
      String(r.batch),
      fmt(r.samplesPerSec),
      fmt(r.bestSamplesPerSec),
      base ? `${fmt(r.samplesPerSec / base.samplesPerSec)}x` : "",
    ]);
  }
  for (const s of skipped) rows.push([s.label, "unavailable (below)", "", "", "", ""]);
  const reasons = [...new Set(skipped.map((s) => s.label.split(/[ ,]/)[0]!))].map(
    (b) => `${b} unavailable: ${skipped.find((s) => s.label.startsWith(b))!.reason}`,
  );
  const out = [table(rows), ...reasons.map((r) => `\n${r}`)].join("\n");
  console.log(`\n${out}`);

  const file = writeResult("trainer-throughput", { machine: m, detected, results, skipped, profiles, at: new Date().toISOString() });
  console.log(`\nJSON: ${file}`);
  if (!flag("no-doc")) {
    const doc = appendBenchmarksDoc(
      `## trainer-throughput, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC\n\n` +
        `Reference CNN (conv32-conv64-maxpool-dense128-dense10), 28x28x1 random data, batch 256, ` +
        `${steps} timed steps after 1 warm-up; ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}, ` +
        `commit ${m.commit ?? "?"}, load average at start ${m.loadAverage.join(" ")}, at end ${machine().loadAverage.join(" ")}.\n` +
        `Command: \`pnpm --filter @tunelab/bench trainer-throughput ${process.argv.slice(2).join(" ")}\`\n\n${out}\n` +
        results
          .filter((r) => r.note)
          .map((r) => `\n${r.label}: ${r.note}.`)
          .join(""),
    );
    console.log(`appended to ${doc}`);
  }
}

await main();

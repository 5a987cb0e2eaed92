/**
 * Child process of worker-memory and tracking-overhead: one fine-tuning run with @tunelab/trainer's fineTune on the
 * spec's backend (default CPU), selected with the trainer's selectBackend like the worker does (same kernels), no API. Per epoch it records the time, this process's RSS
 * and heap, and tf.memory().numTensors; prints one JSON line `{"result": ...}` at the end.
 *
 *   tsx src/api/train-standalone.ts '<json: {dataset, baseModel?, freeze?, config}>'
 */
import * as tf from "@tensorflow/tfjs-core";
import { fineTune, loadBuiltinBaseModel, loadDataset } from "@tunelab/trainer";
import { selectBackend } from "@tunelab/trainer/backends";
import { threadBreakdown, threadBreakdownSince, threadSchedstats, type ThreadSchedstat } from "./schedstat";

interface Spec {
  dataset: string;
  baseModel?: string | null;
  freeze?: { upToIndex?: number; layers?: string[] } | null;
  config: Parameters<typeof fineTune>[0]["config"];
  backend?: "CPU" | "WASM";
}
const spec = JSON.parse(process.argv[2] ?? "{}") as Spec;
const now = () => performance.timeOrigin + performance.now();
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

await selectBackend([spec.backend ?? "CPU"]);
const t0 = now();
const dataset = await loadDataset({ kind: "builtin", name: spec.dataset });
const base = spec.baseModel ? await loadBuiltinBaseModel(spec.baseModel) : null;
const tLoaded = now();
const epochs: { epoch: number; t: number; rssMiB: number; heapMiB: number; tensors: number; metrics: unknown }[] = [];
// The training phase starts where a worker reports RUNNING: when the layers are frozen (the trainer's "freeze" step
// done; apps/worker/src/trainer-engine.ts), before the optimizer is configured. The system run's training phase is
// measured from that RUNNING event, so the standalone one starts at the same point in the trainer.
let readyAt = 0;
/** Every thread's schedstat where the training phase starts, for what ran beside training while it trained. */
let threadsAtReady: ThreadSchedstat[] | undefined;
let trainStart = 0;
const result = await fineTune({
  dataset,
  baseModel: base?.model ?? null,
  freeze: spec.freeze ?? undefined,
  config: spec.config,
  onEvent: (e) => {
    if (e.type === "step" && e.step === "freeze" && e.status === "done") {
      readyAt = now();
      threadsAtReady = threadSchedstats(process.pid);
    }
    if (e.type === "step" && e.step === "train" && e.status === "started") trainStart = now();
    if (e.type !== "epoch") return;
    // With --expose-gc (worker-memory's "after GC" series): collect first, so only retained memory is counted.
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    epochs.push({ epoch: e.epoch, t: now(), rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, tensors: tf.memory().numTensors, metrics: e.metrics });
  },
});
const tEnd = now();
base?.model.dispose();
// The training thread (this process's busiest) and every thread by role, from one reading of /proc.
const threadsNow = threadSchedstats(process.pid);
const threads = threadBreakdown(process.pid, threadsNow);
const threadsWhileTraining = threadBreakdownSince(process.pid, threadsAtReady, threadsNow);
process.stdout.write(
  JSON.stringify({
    result: {
      backend: tf.getBackend(),
      loadMs: tLoaded - t0,
      fineTuneMs: tEnd - tLoaded,
      trainMs: epochs.length ? epochs[epochs.length - 1]!.t - readyAt : 0,
      // Between the two: configuring the optimizer (the system run's training phase includes it too).
      configureMs: trainStart - readyAt,
      // The system run's "RUNNING to first epoch", measured here from the same point.
      readyToFirstEpochMs: epochs.length ? epochs[0]!.t - readyAt : 0,
      totalMs: tEnd - t0,
      durationMs: result.durationMs,
      epochsRun: result.epochsRun,
      frozenLayers: result.frozenLayers,
      evaluation: { accuracy: result.evaluation.accuracy, loss: result.evaluation.loss },
      tensorsAfter: tf.memory().numTensors,
      threads,
      threadsWhileTraining,
      // Every thread of this process (user + system), to set against the training thread's own time.
      processCpuSeconds: cpuSeconds(process.cpuUsage()),
      epochs,
    },
  }) + "\n",
);

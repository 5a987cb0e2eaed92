/**
 * worker-memory: a worker's RSS and live tfjs tensor count over a 50-epoch run of a tiny model (iris, from-scratch
 * MLP, tfjs CPU backend).
 *  A. @tunelab/trainer's fineTune in its own process: RSS, JS heap and tf.memory().numTensors after every epoch.
 *  B. The real worker (apps/worker) against a real API on Postgres: the worker process's RSS when each epoch arrives
 *     at a subscriber (the tensor count is inside the worker's training thread, so only A reports it).
 *
 *   pnpm --filter @tunelab/bench worker-memory [--epochs 50] [--skip-system]
 *
 * Target: flat, i.e. no growth after epoch 5 beyond 5% (RSS and tensors).
 */
import { arg, flag, machineInfo, publish, round, table, warnIfBusy } from "./common";
import { standaloneRun, systemRun } from "./system-run";

const EPOCHS = Number(arg("epochs", "50"));
const spec = {
  dataset: "iris",
  config: { learningRate: 0.01, epochs: EPOCHS, batchSize: 8, optimizer: "ADAM", validationSplit: 0.2, seed: 1 },
};

function growth(series: { epoch: number; v: number }[]) {
  const at5 = series.find((s) => s.epoch === 5)?.v ?? NaN;
  const after = series.filter((s) => s.epoch > 5).map((s) => s.v);
  const max = Math.max(...after);
  const last = series[series.length - 1]?.v ?? NaN;
  return { at5, max, last, maxGrowthPct: round(((max - at5) / at5) * 100, 1), lastGrowthPct: round(((last - at5) / at5) * 100, 1) };
}

async function main() {
  const machine = await machineInfo();
  warnIfBusy(machine);
  const direct = await standaloneRun(spec as never);
  const epochs = direct.epochs as { epoch: number; rssMiB: number; heapMiB: number; tensors: number }[];
  const rss = growth(epochs.map((e) => ({ epoch: e.epoch, v: e.rssMiB })));
  const heap = growth(epochs.map((e) => ({ epoch: e.epoch, v: e.heapMiB })));
  const tensors = growth(epochs.map((e) => ({ epoch: e.epoch, v: e.tensors })));
  const verdict = (g: { maxGrowthPct: number }) => (g.maxGrowthPct <= 5 ? "met" : "MISSED");
  // The same run with a full GC before each sample: what is retained, without garbage waiting for V8's next major GC.
  const gcRun = await standaloneRun(spec as never, { gcEachEpoch: true });
  const gcEpochs = gcRun.epochs as typeof epochs;
  const gcRss = growth(gcEpochs.map((e) => ({ epoch: e.epoch, v: e.rssMiB })));
  const gcHeap = growth(gcEpochs.map((e) => ({ epoch: e.epoch, v: e.heapMiB })));
  const rows: (string | number)[][] = [
    ["A fineTune: RSS MiB", round(epochs[0]!.rssMiB, 1), round(rss.at5, 1), round(rss.max, 1), round(rss.last, 1), `${rss.maxGrowthPct}%`, verdict(rss)],
    ["A fineTune: JS heap used MiB", round(epochs[0]!.heapMiB, 1), round(heap.at5, 1), round(heap.max, 1), round(heap.last, 1), `${heap.maxGrowthPct}%`, "(info)"],
    ["A fineTune: tf.memory().numTensors", epochs[0]!.tensors, tensors.at5, tensors.max, tensors.last, `${tensors.maxGrowthPct}%`, verdict(tensors)],
    ["A' fineTune, GC before each sample: RSS MiB", round(gcEpochs[0]!.rssMiB, 1), round(gcRss.at5, 1), round(gcRss.max, 1), round(gcRss.last, 1), `${gcRss.maxGrowthPct}%`, verdict(gcRss)],
    ["A' fineTune, GC before each sample: JS heap MiB", round(gcEpochs[0]!.heapMiB, 1), round(gcHeap.at5, 1), round(gcHeap.max, 1), round(gcHeap.last, 1), `${gcHeap.maxGrowthPct}%`, verdict(gcHeap)],
  ];
  let system: unknown = null;
  if (!flag("skip-system")) {
    const r = await systemRun({ ...spec, subscribers: 0, warmApi: false } as never);
    if (r.status !== "SUCCEEDED") throw new Error(`system run ended ${r.status}: ${r.error}`);
    const w = growth(r.epochs.map((e) => ({ epoch: e.epoch, v: e.workerRssMiB })));
    rows.push(["B real worker process: RSS MiB", round(r.epochs[0]!.workerRssMiB, 1), round(w.at5, 1), round(w.max, 1), round(w.last, 1), `${w.maxGrowthPct}%`, verdict(w)]);
    system = { ...r, growth: w };
  }
  const perEpoch = table(
    ["epoch", "A RSS MiB", "A heap MiB", "A tensors"],
    epochs.filter((e) => [1, 2, 5, 10, 20, 30, 40, 50].includes(e.epoch) || e.epoch === epochs.length).map((e) => [e.epoch, round(e.rssMiB, 1), round(e.heapMiB, 1), e.tensors]),
  );
  const md =
    table(["series", "epoch 1", "epoch 5", "max after 5", `epoch ${EPOCHS}`, "max growth after 5", "target <= 5%"], rows) +
    "\n\n" +
    perEpoch +
    `\n\nTiny model: iris (150 examples) from scratch, ${EPOCHS} epochs, batch 8, Adam, tfjs CPU backend (the worker is started with \`--backends cpu\`). A: fineTune in its own process; A': the same run in a process started with --expose-gc, a full GC before each sample (retained memory only). B: the real worker process (training in its worker thread) against an API process on Postgres; RSS sampled from /proc when each EpochCompleted reaches a subscriber.`;
  console.log("\n" + md);
  await publish("worker-memory", "Worker memory over a 50-epoch run", machine, { direct, afterGc: gcRun, system }, md);
}

await main();

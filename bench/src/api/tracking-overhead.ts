/**
 * tracking-overhead: the same fine-tuning run standalone (trainer fineTune in its own process, no API) vs through the
 * system (API on Postgres + the real worker + live graphql-ws subscribers), alternating, same dataset, config, seed and
 * backend (tfjs CPU).
 *
 *   pnpm --filter @tunelab/bench tracking-overhead [--epochs 300] [--batch 2] [--subscribers 100] [--repeat 10]
 *     [--dataset iris] [--base-model NAME] [--freeze-up-to INDEX] [--lr 0.01] [--backend cpu|wasm]
 *     [--standalone plain|worker-flags] [--driver postgres|pglite] [--cold-api]
 *
 * The worker runs with its Node flags (apps/worker/src/node-flags.ts). The standalone run is plain `node`, as a user
 * would run fineTune; `--standalone worker-flags` gives it the worker's flags too, so the difference is the tracking
 * alone (the API, Postgres, the subscribers and the worker's main thread), not how V8 is set up.
 *
 * iris with batch 2: 60 steps per epoch, ~15 epochs/s and ~20 s of training on a quiet 2-core machine (more reports per
 * second than a real run, so the overhead measured is an upper bound).
 *
 * The system run's API has served a short run first (system-run.ts, warmApi), as on a platform in use: its code is
 * compiled and its database connections have run the report function before. The worker is a fresh process each time,
 * as the standalone one is. `--cold-api` measures the API's very first run instead.
 *
 * Wall time: standalone = dataset load + fineTune (train, evaluate, save to memory); system = claim (PREPARING) to
 * SUCCEEDED as seen by a subscriber (adds dataset/model fetch, reports, upload, completeRun). Training phase: train
 * start to last epoch (standalone) vs RUNNING to the last EpochCompleted arriving at a subscriber (system).
 * Target: overhead < 2% of wall time. Each repeat is a pair, run in ABBA order (standalone first in even pairs, the
 * system first in odd ones) so neither always runs second; the verdict comes from the median of the pairs' differences
 * and its bootstrap interval (paired-overhead.ts), not from one lucky or unlucky pair.
 */
import { arg, flag, liveQueryArg, machineInfo, publish, round, table, warnIfBusy, wholeArg } from "./common";
import { median, pairedOverhead, verdict } from "./paired-overhead";
import { type ThreadBreakdown, type ThreadSchedstat, waitPercent } from "./schedstat";
import { standaloneRun, systemRun } from "./system-run";
import { WORKER_NODE_FLAGS } from "@tunelab/worker/node-flags";

const EPOCHS = Number(arg("epochs", "300"));
const SUBSCRIBERS = Number(arg("subscribers", "100"));
const REPEAT = wholeArg("repeat", "10", 1);
const TARGET_PCT = 2;
const BATCH = Number(arg("batch", "2"));
// --dataset/--base-model run a realistic fine-tuning run instead of the iris stress case, e.g.
// `--dataset spam-assassin --base-model text-sotu-vs-moby --epochs 5 --batch 32` (epochs of seconds, not milliseconds).
const DATASET = arg("dataset", "iris");
const BASE_MODEL = arg("base-model", "");
const FREEZE_UP_TO = arg("freeze-up-to", "");
const BACKEND = arg("backend", "cpu").toUpperCase();
const STANDALONE = arg("standalone", "plain");
/** The API's database in the system runs: a fresh Postgres database, or PGlite inside the API process (`pnpm start`'s default). */
const DRIVER = arg("driver", "postgres");
if (DRIVER !== "postgres" && DRIVER !== "pglite") throw new Error(`--driver must be postgres or pglite (got ${DRIVER})`);
/** --cold-api: the measured run is its API process's first (as before the warm-up existed); by default the API has served one run. */
const WARM_API = !flag("cold-api");
if (STANDALONE !== "plain" && STANDALONE !== "worker-flags") throw new Error(`--standalone must be plain or worker-flags (got ${STANDALONE})`);
if (BACKEND !== "CPU" && BACKEND !== "WASM") throw new Error(`--backend must be cpu or wasm (got ${BACKEND.toLowerCase()})`);
const LIVE_QUERY = liveQueryArg();
const spec = {
  dataset: DATASET,
  baseModel: BASE_MODEL || null,
  freeze: FREEZE_UP_TO === "" ? null : { upToIndex: Number(FREEZE_UP_TO) },
  backend: BACKEND,
  driver: DRIVER,
  warmApi: WARM_API,
  liveQuery: LIVE_QUERY,
  config: { learningRate: Number(arg("lr", "0.01")), epochs: EPOCHS, batchSize: BATCH, optimizer: "ADAM", validationSplit: 0.2, seed: 1 },
};

/** The training thread's numbers for a table row; NaN where /proc has no schedstat. */
const trainingThreadFields = (t: ThreadSchedstat | undefined) => ({ waitPct: t ? waitPercent(t) : NaN, trainRunSeconds: t?.runSeconds ?? NaN });

/** Medians of the threads' CPU and CPU wait by role (schedstat.ts threadBreakdown): what runs beside training in its own process. */
function threadsLine(label: string, runs: { threads?: ThreadBreakdown }[]): string {
  const withThreads = runs.flatMap((r) => (r.threads ? [r.threads] : []));
  if (withThreads.length === 0) return "";
  const m = (f: (t: ThreadBreakdown) => number) => round(median(withThreads.map(f)), 2);
  return (
    `\n\nThreads of the ${label} (median over the run, s on a CPU / s waiting for one): training ${m((t) => t.training.runSeconds)} / ${m((t) => t.training.waitSeconds)}` +
    (withThreads.every((t) => t.main.runSeconds === 0) ? " (the main thread)" : `, main ${m((t) => t.main.runSeconds)} / ${m((t) => t.main.waitSeconds)}`) +
    `, the ${m((t) => t.others.count)} others (V8's helpers for garbage collection and compilation, libuv's pool) together ${m((t) => t.others.runSeconds)} / ${m((t) => t.others.waitSeconds)}.`
  );
}

async function main() {
  const machine = await machineInfo();
  warnIfBusy(machine);
  // waitPct: the training thread's share of its runnable time spent waiting for a CPU (schedstat.ts); NaN without /proc.
  const standalone: { wall: number; train: number; readyToFirstEpoch: number; waitPct: number; trainRunSeconds: number; processCpuSeconds: number; threads?: ThreadBreakdown; threadsWhileTraining?: ThreadBreakdown }[] = [];
  const system: { wall: number; train: number; waitPct: number; trainRunSeconds: number; claimToRunning: number; runningToFirstEpoch: number; apiCpuSeconds: number; workerCpuSeconds: number; subscriberCpuSeconds: number; postgresCpuSeconds: number; threads?: ThreadBreakdown; threadsWhileRunning?: ThreadBreakdown }[] = [];
  const raw: unknown[] = [];
  const runStandalone = async (i: number) => {
    const s = await standaloneRun(spec as never, { workerFlags: STANDALONE === "worker-flags" });
    standalone.push({ wall: s.totalMs, train: s.trainMs, readyToFirstEpoch: s.readyToFirstEpochMs, ...trainingThreadFields(s.threads?.training), processCpuSeconds: s.processCpuSeconds, threads: s.threads, threadsWhileTraining: s.threadsWhileTraining });
    console.log(`standalone #${i + 1}: wall ${round(s.totalMs / 1000, 2)} s, training ${round(s.trainMs / 1000, 2)} s`);
    return s;
  };
  const runSystem = async (i: number) => {
    const r = await systemRun({ ...spec, subscribers: SUBSCRIBERS } as never);
    if (r.status !== "SUCCEEDED") throw new Error(`system run ended ${r.status}: ${r.error}`);
    const last = r.epochs[r.epochs.length - 1]!.t;
    system.push({ wall: r.finishedAt - r.preparingAt, train: last - r.runningAt, ...trainingThreadFields(r.workerThreads?.training), claimToRunning: r.runningAt - r.preparingAt, runningToFirstEpoch: r.epochs[0]!.t - r.runningAt, apiCpuSeconds: r.apiCpuSeconds, workerCpuSeconds: r.workerCpuSeconds, subscriberCpuSeconds: r.subscriberCpuSeconds, postgresCpuSeconds: r.postgresCpuSeconds, threads: r.workerThreads, threadsWhileRunning: r.workerThreadsWhileRunning });
    console.log(`system #${i + 1}: wall ${round((r.finishedAt - r.preparingAt) / 1000, 2)} s, training ${round((last - r.runningAt) / 1000, 2)} s (${r.epochs.length} epochs seen); CPU: API ${round(r.apiCpuSeconds, 2)} s, worker ${round(r.workerCpuSeconds, 2)} s, subscribers ${round(r.subscriberCpuSeconds, 2)} s, Postgres ${round(r.postgresCpuSeconds, 2)} s`);
    return r;
  };
  for (let i = 0; i < REPEAT; i++) {
    // ABBA: whichever runs second in a pair may find a warmer (or more tired) machine; alternate who that is.
    const standaloneFirst = i % 2 === 0;
    const s = standaloneFirst ? await runStandalone(i) : undefined;
    const r = await runSystem(i);
    const s2 = s ?? (await runStandalone(i));
    raw.push({ standaloneFirst, standalone: { ...s2, epochs: undefined }, system: { ...r, epochs: r.epochs.length } });
  }
  const sw = median(standalone.map((s) => s.wall));
  const st = median(standalone.map((s) => s.train));
  const yw = median(system.map((s) => s.wall));
  const yt = median(system.map((s) => s.train));
  const wallPairs = pairedOverhead(standalone.map((s) => s.wall), system.map((s) => s.wall));
  const trainPairs = pairedOverhead(standalone.map((s) => s.train), system.map((s) => s.train));
  const waitPairs = pairedOverhead(standalone.map((s) => s.waitPct), system.map((s) => s.waitPct), { relative: false });
  // The same computation on both sides: a pair far from the others here had the machine's speed change within it.
  const cpuPairs = pairedOverhead(standalone.map((s) => s.trainRunSeconds), system.map((s) => s.trainRunSeconds));
  const pct = (v: number) => `${v >= 0 ? "+" : ""}${round(v, 1)}%`;
  const pp = (v: number) => `${v >= 0 ? "+" : ""}${round(v, 1)} pt`;
  const md =
    table(
      ["measure", `standalone s (median of ${REPEAT})`, `through API + worker s (median of ${REPEAT})`, "overhead: median of the pairs", "95% interval", "pairs, in run order", `target < ${TARGET_PCT}%`],
      [
        ["wall time (claim to SUCCEEDED vs load + fineTune)", round(sw / 1000, 2), round(yw / 1000, 2), pct(wallPairs.medianPct), `${pct(wallPairs.ciLowPct)} to ${pct(wallPairs.ciHighPct)}`, wallPairs.pairsPct.map(pct).join(" "), verdict(wallPairs.ciLowPct, wallPairs.ciHighPct, TARGET_PCT, "below")],
        ["training phase (layers frozen, where the worker reports RUNNING, to last epoch)", round(st / 1000, 2), round(yt / 1000, 2), pct(trainPairs.medianPct), `${pct(trainPairs.ciLowPct)} to ${pct(trainPairs.ciHighPct)}`, trainPairs.pairsPct.map(pct).join(" "), verdict(trainPairs.ciLowPct, trainPairs.ciHighPct, TARGET_PCT, "below")],
        [
          "training thread waiting for a CPU (% of its runnable time)",
          `${round(median(standalone.map((s) => s.waitPct)), 2)}%`,
          `${round(median(system.map((s) => s.waitPct)), 2)}%`,
          pp(waitPairs.medianPct),
          `${pp(waitPairs.ciLowPct)} to ${pp(waitPairs.ciHighPct)}`,
          waitPairs.pairsPct.map(pp).join(" "),
          verdict(waitPairs.ciLowPct, waitPairs.ciHighPct, TARGET_PCT, "below"),
        ],
        [
          "training thread's CPU time over its life (the same work on both sides: a diagnostic)",
          round(median(standalone.map((s) => s.trainRunSeconds)), 2),
          round(median(system.map((s) => s.trainRunSeconds)), 2),
          pct(cpuPairs.medianPct),
          `${pct(cpuPairs.ciLowPct)} to ${pct(cpuPairs.ciHighPct)}`,
          cpuPairs.pairsPct.map(pct).join(" "),
          "no target: a pair far from the others had the machine's speed change within it",
        ],
      ],
    ) +
    `\n\nSystem run breakdown (median): claim to RUNNING ${round(median(system.map((s) => s.claimToRunning)), 0)} ms, RUNNING to first epoch ${round(median(system.map((s) => s.runningToFirstEpoch)), 0)} ms (standalone, from the same point in the trainer: ${round(median(standalone.map((s) => s.readyToFirstEpoch)), 0)} ms); CPU over the run: API process ${round(median(system.map((s) => s.apiCpuSeconds)), 2)} s, worker process (every thread: main, trainer, V8's GC and compiler helpers; incl. startup) ${round(median(system.map((s) => s.workerCpuSeconds)), 2)} s, of which the trainer thread ${round(median(system.map((s) => s.trainRunSeconds)), 2)} s (standalone: process ${round(median(standalone.map((s) => s.processCpuSeconds)), 2)} s, its training thread ${round(median(standalone.map((s) => s.trainRunSeconds)), 2)} s), Postgres ${round(median(system.map((s) => s.postgresCpuSeconds)), 2)} s, the ${SUBSCRIBERS} subscribers' process ${round(median(system.map((s) => s.subscriberCpuSeconds)), 2)} s (on this machine only because the benchmark is: real viewers are browsers elsewhere); all of it shares the 2 cores with training.` +
    threadsLine("standalone process", standalone) +
    threadsLine("worker process", system) +
    threadsLine("standalone process from its training phase's start to the end (the same point as RUNNING)", standalone.map((s) => ({ threads: s.threadsWhileTraining }))) +
    threadsLine("worker process from RUNNING to the end of the run (what ran beside training while it trained)", system.map((s) => ({ threads: s.threadsWhileRunning }))) +
    `\n\nRun: ${DATASET} ${BASE_MODEL ? `fine-tuned from ${BASE_MODEL}` : "from scratch"}, ${spec.freeze ? `layers 0-${FREEZE_UP_TO} frozen, ` : ""}${EPOCHS} epochs, batch ${BATCH}, Adam, tfjs ${BACKEND} backend; standalone = ${STANDALONE === "plain" ? "plain node" : "node with the worker's flags"} (${STANDALONE === "plain" ? "as a user would run fineTune" : "so the difference is the tracking alone"}); system = one API process on ${DRIVER === "postgres" ? "a fresh Postgres database" : "embedded PGlite in a fresh data directory (the database inside the API process, as `pnpm start` runs it)"}${WARM_API ? " that has served one 2-epoch run of the same spec first (a throwaway worker; not measured)" : ", the measured run its first (--cold-api)"}, the real worker (apps/worker, training in its worker thread, with its Node flags: ${WORKER_NODE_FLAGS.join(" ")}) and ${SUBSCRIBERS} live subscribers in a separate process (${LIVE_QUERY === "batches" ? "runEventBatches, the dashboard run page's subscription: one message per report" : "the contract's runEvents: one message per event (--live-query events)"}). Each pair runs standalone and system back to back, in ABBA order; the interval is a percentile bootstrap of the pairs' median (10,000 resamples). The third row is Linux's schedstat for the training thread (the standalone process's main thread; the worker's trainer thread): a ratio within each run, so the machine's speed from one run to the next cancels out; its difference is the time the API, Postgres, the subscribers and the worker's main thread took from training, in points of the training thread's time. The fourth row is that thread's CPU time from the same schedstat, over its life (the standalone one's includes loading the process, the worker's its thread start): the same work on both sides, so a pair far from the others had the machine's speed change within it, which wall time and the training phase then show too.`;
  console.log("\n" + md);
  // The iris stress case and a realistic run (--dataset ...) keep a block each in docs/benchmarks.md.
  const realistic = DATASET !== "iris";
  await publish(
    "tracking-overhead",
    `Tracking overhead${realistic ? ` (${DATASET}${BASE_MODEL ? ` from ${BASE_MODEL}` : ""}, ${BACKEND})` : " (iris stress case)"}: standalone fineTune${STANDALONE === "plain" ? "" : " (with the worker's Node flags)"} vs API${DRIVER === "pglite" ? " on embedded PGlite" : ""}${WARM_API ? "" : " (its first run)"} + worker + live subscribers`,
    machine,
    { spec, epochs: EPOCHS, subscribers: SUBSCRIBERS, standaloneNode: STANDALONE, workerNodeFlags: WORKER_NODE_FLAGS, standalone, system, overhead: { wall: wallPairs, train: trainPairs, trainingThreadWaitPoints: waitPairs, trainingThreadCpu: cpuPairs }, raw },
    md,
    (realistic ? `tracking-overhead-${DATASET}` : "tracking-overhead") + (STANDALONE === "plain" ? "" : "-worker-flags") + (DRIVER === "postgres" ? "" : `-${DRIVER}`) + (WARM_API ? "" : "-cold-api"),
  );
}

await main();

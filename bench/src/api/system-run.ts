/* eslint-disable @typescript-eslint/no-explicit-any -- untyped GraphQL response bodies in benchmark scripts */
/**
 * One fine-tuning run through the whole system: an API process on a fresh Postgres database (or on PGlite in a fresh
 * data directory, the embedded default), the real worker
 * (apps/worker/src/main.ts, its own process, with the worker's Node flags) and live graphql-ws subscribers (their own process), plus one observer
 * subscription here that timestamps every event and samples the worker's RSS at each epoch. By default a throwaway
 * worker first carries a 2-epoch run through the same API (warmApi), so the measured run meets an API in use.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WORKER_NODE_FLAGS } from "@tunelab/worker/node-flags";
import WebSocket from "ws";
import pg from "pg";
import { threadBreakdown, threadBreakdownSince, threadSchedstats, type ThreadBreakdown, type ThreadSchedstat } from "./schedstat";
import { BENCH_DIR, childExecArgv, cpuSince, datasetIdByName, freshDatabase, Gql, LAUNCH, type LiveQuery, nowMs, postgresBackendCpu, procCpuSeconds, procMemory, REPO_ROOT, sleep, startApiProcess, WORKER_TOKEN } from "./common";

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface SystemRunSpec {
  dataset: string;
  baseModel?: string | null;
  freeze?: { upToIndex?: number; layers?: string[] } | null;
  config: { learningRate: number; epochs: number; batchSize: number; optimizer: string; validationSplit: number; seed: number };
  subscribers: number;
  /** What the live subscribers subscribe to (default batches: runEventBatches, the dashboard's). */
  liveQuery?: LiveQuery;
  /** Training backend for both the standalone run and the worker (default CPU). */
  backend?: "CPU" | "WASM";
  /** The API's database: a fresh Postgres database (default) or PGlite inside the API process, as `pnpm start` runs. */
  driver?: "postgres" | "pglite";
  /**
   * Before the measured run, a 2-epoch run of the same spec through the same API by a throwaway worker process, so the
   * API and its database have served a run before, as on a platform in use (default true). The measured run's worker is
   * still a fresh process with an empty cache, like the standalone process. false: the measured run is the API's first.
   */
  warmApi?: boolean;
}

export interface SystemRunResult {
  status: string;
  /** Times (ms, this machine's clock) at which the observer saw each event. */
  queuedAt: number;
  preparingAt: number;
  runningAt: number;
  finishedAt: number;
  epochs: { epoch: number; t: number; workerRssMiB: number }[];
  workerPeakRssMiB: number;
  apiPeakRssMiB: number;
  /** CPU seconds (user + system) from /proc over the whole run: the API process and the worker process. */
  apiCpuSeconds: number;
  workerCpuSeconds: number;
  /** The live subscribers' process (on this machine only because the benchmark runs on one machine). */
  subscriberCpuSeconds: number;
  /** Every Postgres backend of the run's database (0 on PGlite: the database runs inside the API process). */
  postgresCpuSeconds: number;
  /** The worker's threads by role over its life: the training thread (the trainer's, the busiest), main, V8's helpers and the rest. */
  workerThreads?: ThreadBreakdown;
  /** The same from RUNNING (seen by the observer) to the end of the run: what ran beside training while it trained. */
  workerThreadsWhileRunning?: ThreadBreakdown;
  /** Seconds the warm-up run took (spec.warmApi), before anything here was measured; NaN without one. */
  warmupSeconds: number;
  frozenLayers: string[];
  error?: string;
}

function observe(url: string, runId: string, onEvent: (e: { __typename: string; status?: string; epoch?: number }, t: number) => void): WebSocket {
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws");
  ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: {} })));
  ws.on("message", (data) => {
    const t = nowMs();
    const msg = JSON.parse(String(data)) as { type: string; payload?: { data?: { runEvents?: { __typename: string } } } };
    if (msg.type === "connection_ack")
      ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: `subscription($id: ID!) { runEvents(runId: $id) { __typename ... on StatusChanged { status error } ... on EpochCompleted { epoch } } }`, variables: { id: runId } } }));
    else if (msg.type === "ping") ws.send(JSON.stringify({ type: "pong" }));
    else if (msg.type === "next" && msg.payload?.data?.runEvents) onEvent(msg.payload.data.runEvents, t);
  });
  return ws;
}

/** The real worker (apps/worker/src/main.ts) in its own process with its Node flags, caching under `dataDir`. */
function startWorker(apiUrl: string, spec: SystemRunSpec, dataDir: string, name: string): ChildProcess {
  return fork(path.join(REPO_ROOT, "apps/worker/src/main.ts"), ["--api", apiUrl, "--token", WORKER_TOKEN, "--backends", (spec.backend ?? "CPU").toLowerCase(), "--name", name, "--data-dir", dataDir, "--poll", "0.2", "--log-level", process.env.BENCH_WORKER_LOG ?? "warn"], {
    execArgv: [...childExecArgv(), ...WORKER_NODE_FLAGS],
    cwd: BENCH_DIR,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

/** SIGTERM (the worker hands back or finishes what it holds and unregisters), SIGKILL after 10 s. */
async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  worker.kill("SIGTERM");
  await new Promise((r) => {
    const t = setTimeout(() => {
      worker.kill("SIGKILL");
      r(undefined);
    }, 10_000);
    worker.once("exit", () => {
      clearTimeout(t);
      r(undefined);
    });
  });
}

/** Launches a 2-epoch run of the spec and has a throwaway worker carry it through; returns its seconds. */
async function warmUp(gql: Gql, apiUrl: string, spec: SystemRunSpec, launchInput: Record<string, unknown>, dataDir: string): Promise<number> {
  const started = nowMs();
  const { launchRun } = await gql.q<any>(LAUNCH, { i: { ...launchInput, config: { ...spec.config, epochs: 2 }, name: "bench-warm-up" } });
  const worker = startWorker(apiUrl, spec, path.join(dataDir, "warm-up-worker"), "bench-warm-up-worker");
  try {
    for (;;) {
      if (worker.exitCode !== null || worker.signalCode !== null) throw new Error(`the warm-up worker exited (${worker.exitCode ?? worker.signalCode})`);
      const { run } = await gql.q<any>(`query($id: ID!) { run(id: $id) { status error } }`, { id: launchRun.id });
      if (run.status === "SUCCEEDED") break;
      if (run.status === "FAILED" || run.status === "CANCELLED") throw new Error(`the warm-up run ${run.status}: ${run.error ?? ""}`);
      if (nowMs() - started > 300_000) throw new Error("the warm-up run did not finish within 5 minutes");
      await sleep(100);
    }
  } finally {
    await stopWorker(worker);
  }
  return (nowMs() - started) / 1000;
}

export async function systemRun(spec: SystemRunSpec): Promise<SystemRunResult> {
  const db = spec.driver === "pglite" ? null : await freshDatabase("tunelab_bench_system");
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tunelab-bench-"));
  const api = await startApiProcess({ databaseUrl: db?.url, dataDir, name: "api-system" });
  let subs: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let ws: WebSocket | undefined;
  try {
    const gql = new Gql(api.url);
    const datasetId = await datasetIdByName(gql, spec.dataset);
    let baseModelId: string | null = null;
    if (spec.baseModel) {
      const { models } = await gql.q<{ models: { id: string; name: string }[] }>(`{ models { id name } }`);
      baseModelId = models.find((m) => m.name === spec.baseModel)?.id ?? null;
      if (!baseModelId) throw new Error(`no base model ${spec.baseModel} (have ${models.map((m) => m.name).join(", ")})`);
    }
    const launchInput = { datasetId, baseModelId, freeze: spec.freeze ?? null, config: spec.config, backends: [spec.backend ?? "CPU"], name: "bench-system-run" };
    const warmupSeconds = spec.warmApi === false ? NaN : await warmUp(gql, api.url, spec, launchInput, dataDir);
    const launched = await gql.q<any>(LAUNCH.replace("{ id }", "{ id frozenLayers }"), { i: launchInput });
    const runId: string = launched.launchRun.id;
    // BENCH_CPU_PROF: the API's profile covers the measured run only, not its start or the warm-up run.
    api.restartProfile();
    const apiCpu0 = api.cpuSeconds();
    const stats_ = db ? new pg.Client({ connectionString: db.url }) : null;
    await stats_?.connect();
    const backendCpu = async () => (db && stats_ ? postgresBackendCpu(stats_, db.name) : new Map<number, number>());
    const pg0 = await backendCpu();

    const result: SystemRunResult = { status: "", queuedAt: NaN, preparingAt: NaN, runningAt: NaN, finishedAt: NaN, epochs: [], workerPeakRssMiB: NaN, apiPeakRssMiB: NaN, apiCpuSeconds: NaN, workerCpuSeconds: NaN, subscriberCpuSeconds: 0, postgresCpuSeconds: NaN, warmupSeconds, frozenLayers: launched.launchRun.frozenLayers };
    let workerPid = 0;
    let threadsAtRunning: ThreadSchedstat[] | undefined;
    const finished = new Promise<void>((resolve) => {
      ws = observe(api.url, runId, (e, t) => {
        if (e.__typename === "EpochCompleted") result.epochs.push({ epoch: e.epoch!, t, workerRssMiB: workerPid ? procMemory(workerPid).rssMiB : NaN });
        if (e.__typename !== "StatusChanged") return;
        if (e.status === "QUEUED") result.queuedAt = t;
        if (e.status === "PREPARING") result.preparingAt = t;
        if (e.status === "RUNNING") {
          result.runningAt = t;
          if (workerPid) threadsAtRunning = threadSchedstats(workerPid);
        }
        if (e.status === "SUCCEEDED" || e.status === "FAILED" || e.status === "CANCELLED") {
          result.status = e.status;
          result.finishedAt = t;
          if (e.status !== "SUCCEEDED") result.error = (e as { error?: string }).error;
          resolve();
        }
      });
    });
    if (spec.subscribers > 0) {
      subs = fork(path.join(HERE, "live-subscribers.ts"), [], { execArgv: childExecArgv(), cwd: BENCH_DIR, stdio: ["ignore", "inherit", "inherit", "ipc"] });
      await new Promise<void>((resolve, reject) => {
        subs!.on("message", (m: { type: string }) => (m.type === "ready" ? resolve() : undefined));
        subs!.once("exit", (c) => reject(new Error(`subscriber process exited ${c}`)));
        subs!.send({ type: "connect", urls: [api.url], runId, n: spec.subscribers, query: spec.liveQuery ?? "batches" });
      });
    }
    worker = startWorker(api.url, spec, dataDir, "bench-worker");
    workerPid = worker.pid!;
    const workerExit = new Promise<never>((_, reject) => worker!.once("exit", (c) => reject(new Error(`worker exited with ${c} before the run finished`))));
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("run did not finish within 10 minutes")), 600_000).unref());
    await Promise.race([finished, workerExit, timeout]);
    result.workerPeakRssMiB = procMemory(workerPid).peakMiB;
    result.workerCpuSeconds = procCpuSeconds(workerPid);
    const threadsAtEnd = threadSchedstats(workerPid);
    result.workerThreads = threadBreakdown(workerPid, threadsAtEnd);
    result.workerThreadsWhileRunning = threadBreakdownSince(workerPid, threadsAtRunning, threadsAtEnd);
    result.apiCpuSeconds = api.cpuSeconds() - apiCpu0;
    if (subs?.pid) result.subscriberCpuSeconds = procCpuSeconds(subs.pid);
    result.postgresCpuSeconds = cpuSince(pg0, await backendCpu());
    await stats_?.end();
    result.apiPeakRssMiB = api.memory().peakMiB;
    // BENCH_CPU_PROF: the API's CPU profile over the run (bench/README.md, profile-summary).
    const profile = await api.saveProfile("api-system-run");
    if (profile) console.log(`CPU profile of the API: ${profile}`);
    return result;
  } finally {
    ws?.close();
    subs?.kill();
    if (worker) await stopWorker(worker);
    await api.stop();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Runs train-standalone.ts in a fresh process (same backend and config, no API) and returns its result. Plain `node`
 * by default, as a user would run fineTune; `workerFlags` gives it the worker's Node flags (WORKER_NODE_FLAGS), so the
 * difference to a system run is the tracking alone.
 */
export function standaloneRun(spec: Omit<SystemRunSpec, "subscribers">, options: { gcEachEpoch?: boolean; workerFlags?: boolean } = {}): Promise<any> {
  return new Promise((resolve, reject) => {
    const execArgv = [...childExecArgv(), ...(options.gcEachEpoch ? ["--expose-gc"] : []), ...(options.workerFlags ? WORKER_NODE_FLAGS : [])];
    const child = fork(path.join(HERE, "train-standalone.ts"), [JSON.stringify(spec)], { execArgv, cwd: BENCH_DIR, stdio: ["ignore", "pipe", "inherit", "ipc"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += String(d)));
    child.once("exit", (code) => {
      const line = out.trim().split("\n").reverse().find((l) => l.startsWith('{"result"'));
      if (code !== 0 || !line) return reject(new Error(`train-standalone exited ${code}: ${out.slice(-2000)}`));
      resolve((JSON.parse(line) as { result: unknown }).result);
    });
  });
}

/**
 * live-latency: time from a worker's epoch report (just before the reportEpochs request leaves) to the event's arrival
 * at 1, 100 and 1,000 graphql-ws subscribers (p50/p99/max) on loopback, with one API process and with two API processes
 * on one Postgres (subscribers split across both, reports sent to the first; the second hears it through
 * LISTEN/NOTIFY). Subscribers run in their own process, away from the API's CPU. Records the API's peak RSS.
 *
 *   pnpm --filter @tunelab/bench live-latency [--epochs 30] [--interval-ms 200] [--subscribers 1,100,1000] [--procs 1,2]
 *                                             [--drivers postgres,pglite] [--live-query batches|events]
 *
 * Targets: p99 < 50 ms at 1,000 subscribers; API peak RSS < 400 MB.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ApiProcess,
  arg,
  BENCH_DIR,
  childExecArgv,
  datasetIdByName,
  freshDatabase,
  Gql,
  liveQueryArg,
  machineInfo,
  nowMs,
  publish,
  REPORT_EPOCHS,
  round,
  sleep,
  startApiProcess,
  stats,
  table,
  warnIfBusy,
  workerWithRunningRun,
  driversArg,
} from "./common";

const EPOCHS = Number(arg("epochs", "30"));
const INTERVAL_MS = Number(arg("interval-ms", "200"));
const COUNTS = arg("subscribers", "1,100,1000").split(",").map(Number);
const LIVE_QUERY = liveQueryArg();
const PROCS = arg("procs", "1,2").split(",").map(Number);
/** postgres: 1 and 2 API processes on one server; pglite: the embedded default (one process, PGlite in DATA_DIR). */
const DRIVERS = driversArg();
const HERE = path.dirname(fileURLToPath(import.meta.url));

function request<T>(child: ChildProcess, msg: Record<string, unknown>, reply: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscriber process: no ${reply} within ${timeoutMs} ms`)), timeoutMs);
    const on = (m: { type: string }) => {
      if (m.type !== reply) return;
      clearTimeout(timer);
      child.off("message", on);
      resolve(m as T);
    };
    child.on("message", on);
    child.send(msg);
  });
}

async function main() {
  const machine = await machineInfo();
  warnIfBusy(machine);
  const rows: (string | number)[][] = [];
  const memRows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];

  const setups = DRIVERS.flatMap((driver): { driver: string; procs: number }[] => (driver === "pglite" ? [{ driver, procs: 1 }] : PROCS.map((procs) => ({ driver, procs }))));
  for (const { driver, procs } of setups) {
    const db = driver === "pglite" ? null : await freshDatabase("tunelab_bench_live");
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "tunelab-bench-"));
    const apis: ApiProcess[] = [];
    const subs = fork(path.join(HERE, "live-subscribers.ts"), [], { execArgv: childExecArgv(), cwd: BENCH_DIR, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    try {
      for (let i = 0; i < procs; i++) apis.push(await startApiProcess({ databaseUrl: db?.url, dataDir, name: `api-live-${driver}-${procs}p-${i}` }));
      const gql = new Gql(apis[0]!.url);
      const datasetId = await datasetIdByName(gql, "iris");
      console.log(`${driver}: ${procs} API process(es): ${apis.map((a) => `${a.url} pid ${a.pid}`).join(", ")}`);

      for (const n of COUNTS) {
        const { workerId, runId } = await workerWithRunningRun(gql, datasetId, `live-${procs}p-${n}`);
        const t0 = nowMs();
        await request(subs, { type: "connect", urls: apis.map((a) => a.url), runId, n, query: LIVE_QUERY }, "ready", 300_000);
        const connectMs = nowMs() - t0;
        await sleep(500);
        const rssSamples: number[][] = apis.map(() => []);
        const sampler = setInterval(() => apis.forEach((a, i) => rssSamples[i]!.push(a.memory().rssMiB)), 100);
        const reportMs: number[] = [];
        for (let e = 1; e <= EPOCHS; e++) {
          const start = nowMs();
          await gql.q(REPORT_EPOCHS, { w: workerId, r: runId, e: [{ epoch: e, metrics: { loss: 1 / e, acc: 1 - 1 / (e + 1), t_sent: start } }] });
          reportMs.push(nowMs() - start);
          const wait = INTERVAL_MS - (nowMs() - start);
          if (wait > 0) await sleep(wait);
        }
        // Wait until every subscriber has every epoch (or 15 s).
        const expected = EPOCHS * n;
        const deadline = Date.now() + 15_000;
        let count = { received: 0, errors: 0 };
        while (Date.now() < deadline) {
          count = await request<{ received: number; errors: number }>(subs, { type: "count" }, "count");
          if (count.received >= expected) break;
          await sleep(100);
        }
        clearInterval(sampler);
        const { values, epochs, errors } = await request<{ values: number[]; epochs: number[]; errors: number }>(subs, { type: "collect" }, "latencies");
        const s = stats(values);
        // When the last subscriber got each event: the fan-out's whole length, event by event.
        const lastPerEpoch = new Map<number, number>();
        values.forEach((v, i) => lastPerEpoch.set(epochs[i]!, Math.max(lastPerEpoch.get(epochs[i]!) ?? 0, v)));
        const last = stats([...lastPerEpoch.values()]);
        const mem = apis.map((a) => a.memory());
        const rssDuring = rssSamples.map((v) => Math.max(...v));
        rows.push([
          driver,
          procs,
          n,
          `${values.length}/${expected}`,
          round(s.p50, 1),
          round(s.p99, 1),
          round(s.max, 1),
          `${round(last.p50, 1)} / ${round(last.max, 1)}`,
          round(stats(reportMs).p50, 1),
          n === 1000 ? (s.p99 < 50 ? "met" : "MISSED") : "",
        ]);
        memRows.push([driver, procs, n, rssDuring.map((v) => round(v, 0)).join(" / "), mem.map((m) => round(m.peakMiB, 0)).join(" / "), n === 1000 ? (Math.max(...mem.map((m) => m.peakMiB)) * 1.048576 < 400 ? "met" : "MISSED") : ""]);
        results.push({ driver, apiProcesses: procs, subscribers: n, liveQuery: LIVE_QUERY, epochs: EPOCHS, intervalMs: INTERVAL_MS, received: values.length, expected, errors, connectMs: round(connectMs, 0), latencyMs: s, lastSubscriberPerEventMs: last, reportRequestMs: stats(reportMs), apiRssMiBDuring: rssDuring, apiPeakRssMiB: mem.map((m) => m.peakMiB) });
        console.log(`${driver} ${procs}p ${n} subscribers: p50 ${round(s.p50)} ms, p99 ${round(s.p99)} ms, max ${round(s.max)} ms (${values.length}/${expected}, ${errors} errors); API RSS ${rssDuring.join("/")} MiB, peak ${mem.map((m) => m.peakMiB).join("/")} MiB`);
        await sleep(1000);
      }
      for (const [i, a] of apis.entries()) await a.saveProfile(`api-live-${procs}p-${i}`);
    } finally {
      subs.kill();
      await Promise.all(apis.map((a) => a.stop()));
      await db?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  const md =
    table(["database", "API processes", "subscribers", "events received", "p50 ms", "p99 ms", "max ms", "last subscriber per event: median / max ms", "report request p50 ms", "target p99 < 50 ms @1000"], rows) +
    "\n\nAPI memory (MiB; one value per API process):\n\n" +
    table(["database", "API processes", "subscribers", "RSS max while streaming", "peak RSS (VmHWM) so far", "target < 400 MB @1000"], memRows) +
    `\n\n${EPOCHS} epochs per row, one reportEpochs (1 epoch) every ${INTERVAL_MS} ms from a simulated worker; latency = arrival at the subscriber minus the moment just before the report request left, so it includes the report's transaction and NOTIFY round trip. One WebSocket per subscriber (graphql-transport-ws spoken directly on \`ws\`), all in one subscriber process, subscribed to ${LIVE_QUERY === "batches" ? "runEventBatches (the dashboard run page's subscription; a 1-epoch report is a batch of one)" : "the contract's runEvents"}; with two API processes subscribers alternate between them and reports go to the first. pglite: the embedded default, one API process with PGlite in its data directory (LISTEN/NOTIFY in-process).`;
  console.log("\n" + md);
  await publish("live-latency", "Live latency: epoch report to graphql-ws subscribers (Postgres and embedded PGlite)", machine, { results }, md);
}

await main();

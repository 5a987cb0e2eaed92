/**
 * runs-page-fanout: what viewers of the runs page cost the API and Postgres while a run reports. N graphql-ws clients
 * hold the dashboard's runs-page subscription (`runUpdated`, every run of every project) while a simulated worker
 * sends single-epoch reports; prints the API process's and Postgres's CPU per report and checks that every viewer got
 * every update.
 *
 *   pnpm --filter @tunelab/bench runs-page-fanout [--viewers 100] [--reports 200] [--interval-ms 20]
 *
 * No target in issue 7; it measures the shared run read of runUpdated (EventBus.readRun, docs/benchmarks.md,
 * "Fifteenth session"). BENCH_CPU_PROF=1 writes a CPU profile of the API process.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import WebSocket from "ws";
import {
  ADMIN_URL,
  datasetIdByName,
  freshDatabase,
  Gql,
  machineInfo,
  postgresBackendCpu,
  publish,
  REPORT_EPOCHS,
  round,
  sleep,
  startApiProcess,
  table,
  warnIfBusy,
  wholeArg,
  workerWithRunningRun,
} from "./common";

const VIEWERS = wholeArg("viewers", "100", 1);
const REPORTS = wholeArg("reports", "200", 1);
const INTERVAL_MS = wholeArg("interval-ms", "20", 0);

// The dashboard's runs-page subscription with its RunRow fragment (apps/web/src/lib/documents.ts).
const RUN_UPDATED = `subscription RunUpdated { runUpdated { ...RunRow } }
fragment RunRow on Run {
  id name status createdAt startedAt finishedAt tags backend frozenLayers
  dataset { id name version } baseModel { id name version } config { learningRate epochs } summary { key last min max lastStep }
}`;

/** Opens one graphql-ws viewer; resolves once its subscription is sent. */
async function openViewer(url: string, onUpdate: () => void): Promise<WebSocket> {
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws", { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const subscribed = new Promise<void>((resolve) => {
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { type: string; payload?: { errors?: unknown } };
      if (msg.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: RUN_UPDATED } }));
        resolve();
      } else if (msg.type === "next" && !msg.payload?.errors) onUpdate();
      else if (msg.type === "error" || msg.payload?.errors) console.error(`viewer error: ${JSON.stringify(msg)}`);
    });
  });
  ws.send(JSON.stringify({ type: "connection_init", payload: {} }));
  await subscribed;
  return ws;
}

async function main() {
  const machine = await machineInfo();
  warnIfBusy(machine);
  const db = await freshDatabase("tunelab_bench_runs_page");
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tunelab-bench-"));
  const api = await startApiProcess({ databaseUrl: db.url, dataDir, name: "api-runs-page" });
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  const sockets: WebSocket[] = [];
  try {
    await admin.connect();
    const gql = new Gql(api.url);
    const { workerId, runId } = await workerWithRunningRun(gql, await datasetIdByName(gql, "iris"), "runs-page-fanout");
    let updates = 0;
    for (let i = 0; i < VIEWERS; i++) sockets.push(await openViewer(api.url, () => updates++));
    await sleep(1000);
    updates = 0;
    const pgBefore = await postgresBackendCpu(admin, db.name);
    const apiBefore = api.cpuSeconds();
    const t0 = performance.now();
    for (let e = 1; e <= REPORTS; e++) {
      await gql.q(REPORT_EPOCHS, { w: workerId, r: runId, e: [{ epoch: e, metrics: { loss: 1 / e, acc: 1 - 1 / (e + 1) } }] });
      if (INTERVAL_MS > 0) await sleep(INTERVAL_MS);
    }
    // Every viewer hears of the last report (bursts for one run collapse, so a viewer may get fewer than one per report).
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && updates < VIEWERS) await sleep(50);
    await sleep(500);
    const seconds = (performance.now() - t0) / 1000;
    const apiCpu = api.cpuSeconds() - apiBefore;
    const pgAfter = await postgresBackendCpu(admin, db.name);
    await api.saveProfile("api-runs-page-fanout");
    let pgCpu = 0;
    for (const [pid, v] of pgAfter) pgCpu += v - (pgBefore.get(pid) ?? 0);
    const row = {
      viewers: VIEWERS,
      reports: REPORTS,
      updatesReceived: updates,
      seconds: round(seconds, 2),
      apiCpuSeconds: round(apiCpu, 3),
      postgresCpuSeconds: round(pgCpu, 3),
      apiCpuMsPerReport: round((apiCpu * 1000) / REPORTS, 2),
      postgresCpuMsPerReport: round((pgCpu * 1000) / REPORTS, 2),
    };
    console.log(JSON.stringify(row));
    const md =
      table(
        ["viewers", "reports (1 epoch each)", "updates received", "API CPU s", "Postgres CPU s", "API CPU ms / report", "Postgres CPU ms / report"],
        [[VIEWERS, REPORTS, updates, row.apiCpuSeconds, row.postgresCpuSeconds, row.apiCpuMsPerReport, row.postgresCpuMsPerReport]],
      ) +
      `\n\n${VIEWERS} graphql-ws clients on the dashboard's runs-page subscription (runUpdated, all projects), one process; a simulated worker sends ${REPORTS} single-epoch reports ${INTERVAL_MS} ms apart to one API process on a fresh Postgres database; CPU from /proc over the reports and their fan-out.`;
    await publish("runs-page-fanout", "Runs-page viewers: API and Postgres CPU per report", machine, row, md);
  } finally {
    for (const ws of sockets) ws.close();
    await admin.end().catch(() => undefined);
    await api.stop();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();

/**
 * run-page-replay: what opening the page of a long training run costs. A simulated worker reports --hours of training
 * as a worker does (progress twice a second, an epoch and a log line every --epoch-seconds), then a viewer opens the
 * run's page: the dashboard's runEventBatches subscription from seq 0, timed until it has caught up with the run's last
 * event. Prints the time, the events and bytes replayed, and the rows the run keeps in run_events.
 *
 *   pnpm --filter @tunelab/bench run-page-replay [--hours 1] [--epoch-seconds 60] [--opens 5] [--drivers postgres,pglite]
 *
 * No target in issue 7: it measures "fast where users feel it" for a run that trains for hours (docs/benchmarks.md,
 * "Seventeenth session").
 */
import WebSocket from "ws";
import { RunEventsDocument } from "../../../apps/web/src/gql/graphql";
import {
  arg,
  datasetIdByName,
  type Driver,
  driversArg,
  forEachDriver,
  Gql,
  machineLine,
  nowMs,
  percentile,
  publish,
  REPORT_EPOCHS,
  REPORT_LOGS,
  REPORT_PROGRESS,
  round,
  table,
  wholeArg,
  withApiOnDriver,
  workerWithRunningRun,
} from "./common";
import { epochMetrics } from "./ingest-load";

const HOURS = Number(arg("hours", "1"));
if (!(HOURS > 0 && HOURS <= 24)) throw new Error(`--hours must be a number of hours above 0 and at most 24 (got ${HOURS})`);
const EPOCH_SECONDS = wholeArg("epoch-seconds", "60", 1);
const OPENS = wholeArg("opens", "5", 1);
const DRIVERS = driversArg();
/** The worker's rate: RunReporter sends at most one progress value per 500 ms while it trains. */
const PROGRESS_PER_SECOND = 2;

/** The run page's subscription, as the dashboard sends it (apps/web/src/lib/documents.ts, printed by its codegen). */
const RUN_PAGE_EVENTS = String(RunEventsDocument);

interface Open {
  ms: number;
  events: number;
  progressEvents: number;
  bytes: number;
  messages: number;
}

/** One viewer opening the run page: subscribe from seq 0 and wait for the batch that reaches `lastSeq`. */
async function openRunPage(apiUrl: string, runId: string, lastSeq: number): Promise<Open> {
  const socket = new WebSocket(`${apiUrl.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: {} })));
      socket.once("message", (raw) => (JSON.parse(String(raw)).type === "connection_ack" ? resolve() : reject(new Error(`expected connection_ack, got ${String(raw).slice(0, 200)}`))));
    });
    const out: Open = { ms: 0, events: 0, progressEvents: 0, bytes: 0, messages: 0 };
    const t0 = nowMs();
    await new Promise<void>((resolve, reject) => {
      socket.on("message", (raw: Buffer) => {
        const msg = JSON.parse(String(raw)) as { type: string; payload?: { errors?: unknown; data: { runEventBatches: { lastSeq: number; events: { __typename: string }[] } } } };
        if (msg.type === "error") return reject(new Error(`subscription error: ${JSON.stringify(msg.payload).slice(0, 500)}`));
        if (msg.type !== "next") return;
        if (msg.payload?.errors) return reject(new Error(`GraphQL errors: ${JSON.stringify(msg.payload.errors).slice(0, 500)}`));
        const batch = msg.payload!.data.runEventBatches;
        out.messages++;
        out.bytes += raw.byteLength;
        out.events += batch.events.length;
        out.progressEvents += batch.events.filter((e) => e.__typename === "Progress").length;
        if (batch.lastSeq >= lastSeq) resolve();
      });
      socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: RUN_PAGE_EVENTS, variables: { runId, afterSeq: 0 } } }));
    });
    out.ms = nowMs() - t0;
    return out;
  } finally {
    socket.close();
  }
}

function runDriver(driver: Driver) {
  return withApiOnDriver(driver, "run-page-replay", async (api) => {
      const gql = new Gql(api.url);
      const seconds = Math.round(HOURS * 3600);
      const epochs = Math.max(1, Math.floor(seconds / EPOCH_SECONDS));
      const { workerId, runId } = await workerWithRunningRun(gql, await datasetIdByName(gql, "iris"), `run-page-replay-${driver}`, { learningRate: 0.01, epochs, batchSize: 8 });
      // The worker's reports over the simulated hours, one request at a time as the worker's reporter sends them.
      const t0 = nowMs();
      const progressLatencies: number[] = [];
      const batchesPerEpoch = EPOCH_SECONDS * PROGRESS_PER_SECOND;
      let epoch = 0;
      for (let s = 0; s < seconds * PROGRESS_PER_SECOND; s++) {
        const t = nowMs();
        await gql.q(REPORT_PROGRESS, { w: workerId, r: runId, i: { phase: "train", done: (s % batchesPerEpoch) + 1, total: batchesPerEpoch } });
        progressLatencies.push(nowMs() - t);
        if ((s + 1) % batchesPerEpoch === 0 && epoch < epochs) {
          epoch++;
          await gql.q(REPORT_EPOCHS, { w: workerId, r: runId, e: [{ epoch, metrics: epochMetrics(epoch) }] });
          await gql.q(REPORT_LOGS, { w: workerId, r: runId, l: [{ level: "info", message: `epoch ${epoch}: loss ${epochMetrics(epoch).loss.toFixed(4)}`, seq: epoch }] });
        }
        if (s % 2000 === 1999) process.stdout.write(`\r${driver}: ${s + 1} of ${seconds * PROGRESS_PER_SECOND} progress reports`);
      }
      process.stdout.write("\n");
      const reportSeconds = (nowMs() - t0) / 1000;
      const { run } = await gql.q<{ run: { lastEventSeq: number } }>(`query($id: ID!) { run(id: $id) { lastEventSeq } }`, { id: runId });
      const opens: Open[] = [];
      for (let i = 0; i < OPENS + 1; i++) {
        const o = await openRunPage(api.url, runId, run.lastEventSeq);
        if (i > 0) opens.push(o); // the first open warms the API's subscription path up
      }
      const sorted = opens.map((o) => o.ms).sort((a, b) => a - b);
      const o = opens[0]!;
      progressLatencies.sort((a, b) => a - b);
      return {
        driver,
        simulatedHours: HOURS,
        progressReports: seconds * PROGRESS_PER_SECOND,
        epochs: epoch,
        lastSeq: run.lastEventSeq,
        reportSeconds: round(reportSeconds, 1),
        progressP50Ms: round(percentile(progressLatencies, 50), 2),
        progressP99Ms: round(percentile(progressLatencies, 99), 2),
        opens: OPENS,
        openP50Ms: round(percentile(sorted, 50), 1),
        openMaxMs: round(sorted[sorted.length - 1]!, 1),
        eventsReplayed: o.events,
        progressReplayed: o.progressEvents,
        messages: o.messages,
        kib: round(o.bytes / 1024, 0),
      };
  });
}

await forEachDriver(DRIVERS, async (driver, machine) => {
  const r = await runDriver(driver);
  console.log(JSON.stringify(r));
  const md =
    table(
      ["database", "simulated training", "events in the run (last seq)", "opening the run page: p50 ms", "max ms", "events replayed", "of them progress", "messages", "KiB received", "progress report p50 / p99 ms"],
      [[driver === "postgres" ? "Postgres" : "embedded PGlite", `${r.simulatedHours} h: ${r.progressReports} progress, ${r.epochs} epochs, ${r.epochs} log lines`, r.lastSeq, r.openP50Ms, r.openMaxMs, r.eventsReplayed, r.progressReplayed, r.messages, r.kib, `${r.progressP50Ms} / ${r.progressP99Ms}`]],
    ) +
    `\n\nOne simulated worker reports ${r.simulatedHours} h of training over HTTP to one API process, one request at a time (${PROGRESS_PER_SECOND} progress values a second, an epoch of 4 metrics and a log line every ${EPOCH_SECONDS} s; sent back to back, ${r.reportSeconds} s in all). Then a viewer opens the run page ${OPENS} times (after one unrecorded open): the dashboard's runEventBatches subscription from seq 0 over graphql-ws, timed from subscribe to the batch that reaches the run's last seq.`;
  await publish("run-page-replay", `Run page replay after ${r.simulatedHours} h of training (${driver === "postgres" ? "Postgres" : "embedded PGlite"})`, machine, r, md, `run-page-replay-${driver}`);
  console.log(machineLine(machine));
});

/**
 * Child process of the API benchmarks: the real API (`startApiServer`) on DATABASE_URL (Postgres) or PGlite in
 * DATA_DIR, configured from the environment like `pnpm start`. Tells its parent the URL over IPC; exits on SIGTERM.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { Session } from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import { createLogger, readEnv, startApiServer } from "@tunelab/api";
import { createDb } from "@tunelab/db";
import { drive, rawSender, type RawDriveReply, type RawDriveRequest } from "./ingest-load";

// BENCH_CPU_PROF=1 (or an absolute directory; default <tmp>/tunelab-bench-profiles): profile this process with the inspector (robust where --cpu-prof loses the main thread's
// profile on a signal exit); the parent asks for the file over IPC before stopping it.
let session: Session | undefined;
if (process.env.BENCH_CPU_PROF) {
  session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
}
process.on("message", async (m: { type?: string; name?: string }) => {
  if (!session) return;
  // "profile-restart": drop what was sampled so far (start-up, a warm-up run), so the profile covers what follows.
  if (m.type === "profile-restart") {
    await session.post("Profiler.stop");
    await session.post("Profiler.start");
    return;
  }
  if (m.type !== "profile") return;
  const { profile } = await session.post("Profiler.stop");
  const dir = process.env.BENCH_CPU_PROF!.startsWith("/") ? process.env.BENCH_CPU_PROF! : path.join(os.tmpdir(), "tunelab-bench-profiles");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${m.name ?? "api"}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  process.send?.({ type: "profile-written", file });
});

const env = readEnv();
const log = createLogger(env.logLevel);
const handle = await createDb({ databaseUrl: env.databaseUrl, dataDir: env.dataDir, maxConnections: Number(process.env.BENCH_API_POOL ?? 10) });
const server = await startApiServer({ env, handle, log });
process.send?.({ type: "listening", url: server.url.replace("localhost", "127.0.0.1") });

// metric-ingestion's raw path on an embedded database: only this process can open the PGlite data directory, so the raw
// INSERTs run here, on the API's own client, driven like the bench process drives the API (no transport of their own).
process.on("message", (m: RawDriveRequest) => {
  if (m?.type !== "raw-drive") return;
  const nextStep = [...m.nextStep];
  const send = rawSender(m.runIds, (_client, text, params) => handle.query(text, params));
  drive(m.runIds.length, m.seconds, send, m.batch, nextStep).then(
    (r) => process.send?.({ type: "raw-driven", id: m.id, ...r, nextStep } satisfies RawDriveReply),
    (error: unknown) =>
      process.send?.({ type: "raw-driven", id: m.id, points: 0, seconds: 0, latencies: [], nextStep, error: String(error) } satisfies RawDriveReply),
  );
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const hard = setTimeout(() => process.exit(1), 10_000);
  hard.unref();
  try {
    await server.close();
    await handle.close();
  } finally {
    // process.exit() would skip writing a --cpu-prof profile; let the event loop end instead when it can.
    clearTimeout(hard);
    setTimeout(() => process.exit(0), 2000).unref();
  }
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.on("disconnect", () => void stop());

// BENCH_MEM_LOG=1: print this process's memory composition every 2 s (what RSS is made of: V8 heap, buffers, the rest).
if (process.env.BENCH_MEM_LOG) {
  setInterval(() => {
    const m = process.memoryUsage();
    const mib = (n: number) => Math.round(n / 2 ** 20);
    console.error(`api memory MiB: rss ${mib(m.rss)}, heapTotal ${mib(m.heapTotal)}, heapUsed ${mib(m.heapUsed)}, external ${mib(m.external)}, arrayBuffers ${mib(m.arrayBuffers)}`);
  }, 2000).unref();
}

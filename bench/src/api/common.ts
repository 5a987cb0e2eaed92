/* eslint-disable @typescript-eslint/no-explicit-any -- untyped GraphQL response bodies in benchmark scripts */
/**
 * Shared plumbing of the API/system benchmarks (bench/src/api/*): machine info, percentiles, tables, fresh Postgres
 * databases, API child processes, a tiny GraphQL client, the worker protocol, and where results go.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleNodeEntry } from "@tunelab/api/bundle";
import { API_NODE_FLAGS } from "@tunelab/api/node-flags";
import pg from "pg";
import WebSocket from "ws";
import type { RawDriveReply, RawDriveRequest } from "./ingest-load";

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const REPO_ROOT = path.resolve(BENCH_DIR, "..");
export const RESULTS_DIR = path.join(BENCH_DIR, "results");
export const DOCS_FILE = path.join(REPO_ROOT, "docs", "benchmarks.md");
export const WORKER_TOKEN = "bench-worker-token-0123456789abcdef";

/** Admin URL of the Postgres server the benchmarks create their databases on. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export { nowMs } from "./ingest-load";

export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  const env = process.env[`BENCH_${name.toUpperCase().replace(/-/g, "_")}`];
  return env ?? def;
}
/**
 * What the benchmarks' live subscribers subscribe to (`--live-query`): `batches`, runEventBatches, the dashboard run
 * page's subscription (one message per report), or `events`, the contract's runEvents (one message per event).
 */
export type LiveQuery = "batches" | "events";
export function liveQueryArg(): LiveQuery {
  const v = arg("live-query", "batches");
  if (v !== "batches" && v !== "events") throw new Error(`--live-query must be batches (runEventBatches, the dashboard's) or events (the contract's runEvents); got '${v}'`);
  return v;
}
/** A whole-number option (`--name N`, or BENCH_NAME) of at least `min`; anything else stops with an error naming it. */
export function wholeArg(name: string, def: string, min: number): number {
  const raw = arg(name, def);
  const v = Number(raw);
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`--${name} must be a whole number >= ${min} (got ${raw})`);
  return v;
}
export const flag = (name: string) => process.argv.includes(`--${name}`) || (name === "no-docs" && process.argv.includes("--no-doc"));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
export function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, min: s[0] ?? NaN };
}
export const round = (v: number, digits = 1) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

/** A markdown table (also readable in a terminal). */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? "").length)));
  const line = (r: (string | number)[]) => `| ${r.map((c, i) => String(c ?? "").padEnd(widths[i]!)).join(" | ")} |`;
  return [line(cells[0]!), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...cells.slice(1).map(line)].join("\n");
}
function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) || Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  postgres?: string;
  loadAvgStart: number[];
  loadAvgEnd?: number[];
  startedAt: string;
}

export async function machineInfo(withPostgres = true): Promise<MachineInfo> {
  const cpus = os.cpus();
  let postgres: string | undefined;
  if (withPostgres) {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    try {
      await c.connect();
      postgres = String((await c.query("SHOW server_version")).rows[0].server_version);
    } catch {
      postgres = "unreachable";
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    postgres,
    loadAvgStart: os.loadavg().map((v) => round(v, 2)),
    startedAt: new Date().toISOString(),
  };
}

export function machineLine(m: MachineInfo): string {
  const end = m.loadAvgEnd ? `, at end ${m.loadAvgEnd.join(" / ")}` : "";
  return `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Node ${m.node}${m.postgres ? `, PostgreSQL ${m.postgres}` : ""}; load average (1/5/15 min) at start ${m.loadAvgStart.join(" / ")}${end}`;
}

/**
 * Writes bench/results/<name>-<time>.json and replaces the `blockKey` block (default: name) of docs/benchmarks.md
 * (between markers, so other sections are left alone) with the table, the command line as given and the machine.
 */
export async function publish(name: string, title: string, machine: MachineInfo, data: unknown, markdown: string, blockKey = name): Promise<string> {
  machine.loadAvgEnd = os.loadavg().map((v) => round(v, 2));
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = path.join(RESULTS_DIR, `${name}-${stamp}.json`);
  await writeFile(file, JSON.stringify({ name, machine, data }, null, 2) + "\n");
  if (!flag("no-docs")) {
    await mkdir(path.dirname(DOCS_FILE), { recursive: true });
    const start = `<!-- bench:${blockKey}:start -->`;
    const end = `<!-- bench:${blockKey}:end -->`;
    const args = process.argv.slice(2).map((a) => (/^[\w.,:=/-]+$/.test(a) ? a : JSON.stringify(a)));
    const block = [
      start,
      `## ${title}`,
      "",
      `Command: \`pnpm --filter @tunelab/bench ${[name, ...args].join(" ")}\` · run ${machine.startedAt} · ${machineLine(machine)}.`,
      `Raw results: \`bench/results/${path.basename(file)}\`.`,
      "",
      markdown.trim(),
      end,
    ].join("\n");
    const current = existsSync(DOCS_FILE) ? await readFile(DOCS_FILE, "utf8") : "# Benchmarks\n";
    const i = current.indexOf(start);
    const j = current.indexOf(end);
    const next = i >= 0 && j > i ? current.slice(0, i) + block + current.slice(j + end.length) : current.replace(/\n*$/, "\n\n") + block + "\n";
    await writeFile(DOCS_FILE, next);
  }
  console.log(`\nresults: ${path.relative(process.cwd(), file)}${flag("no-docs") ? "" : `; docs: ${path.relative(process.cwd(), DOCS_FILE)}`}`);
  return file;
}

/** A new, empty database on the Postgres server (the API process it is given to migrates it); drop() removes it. */
export async function freshDatabase(prefix = "tunelab_bench"): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
    // --log-slow-ms N: Postgres logs this database's statements slower than N ms (server log), for profiling.
    const slow = arg("log-slow-ms", "");
    if (slow) await admin.query(`ALTER DATABASE "${name}" SET log_min_duration_statement = ${Number(slow)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function databaseExists(name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
  } finally {
    await c.end();
  }
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------------------------------
// API child processes

export interface ApiProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Resident set now and peak (VmHWM) in MiB, from /proc. */
  memory(): { rssMiB: number; peakMiB: number };
  /** User+system CPU seconds consumed so far, from /proc. */
  cpuSeconds(): number;
  /** With BENCH_CPU_PROF set: restarts the API's CPU profiler, so its profile leaves out what ran before (no-op otherwise). */
  restartProfile(): void;
  /** With BENCH_CPU_PROF set: stops the API's CPU profiler and writes the profile; resolves with the file. */
  saveProfile(name: string): Promise<string | undefined>;
  /** metric-ingestion's raw path run inside the API process, on its own database client (for embedded PGlite). */
  rawDrive(request: Omit<RawDriveRequest, "type" | "id">): Promise<RawDriveReply>;
  stop(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Node flags for a TypeScript child process (tsx loader), plus --cpu-prof when BENCH_CPU_PROF is set. */
export function childExecArgv(profileName?: string): string[] {
  return ["--import", "tsx", ...profileExecArgv(profileName)];
}

function profileExecArgv(profileName?: string): string[] {
  if (!process.env.BENCH_CPU_PROF_FLAG || !profileName) return [];
  return ["--cpu-prof", `--cpu-prof-dir=${path.join(RESULTS_DIR, "profiles")}`, `--cpu-prof-name=${profileName}-${Date.now()}.cpuprofile`];
}

let rawDriveIds = 0;

/** api-process.ts bundled the way `pnpm start` bundles the API (apps/api/scripts/bundle.mjs), once per benchmark run. */
let apiBundle: Promise<string> | undefined;
function bundledApiProcess(): Promise<string> {
  apiBundle ??= (async () => {
    const out = path.join(BENCH_DIR, "dist", "api-process.mjs");
    await bundleNodeEntry(path.join(HERE, "api-process.ts"), out);
    return out;
  })();
  return apiBundle;
}

/**
 * Starts `startApiServer` in its own process (src/api/api-process.ts) on the given database (a Postgres URL, or a
 * PGlite data dir when databaseUrl is undefined), so load generators do not share its CPU.
 */
export async function startApiProcess(opts: { databaseUrl?: string; dataDir: string; env?: Record<string, string>; name?: string }): Promise<ApiProcess> {
  // Bundled JavaScript with the flags `pnpm start` gives the API, so the benchmark measures the process users run.
  const child = fork(await bundledApiProcess(), [], {
    execArgv: [...API_NODE_FLAGS, ...profileExecArgv(opts.name ?? "api")],
    cwd: BENCH_DIR,
    env: {
      ...process.env,
      API_PORT: "0",
      API_HOST: "127.0.0.1",
      DATA_DIR: opts.dataDir,
      DATABASE_URL: opts.databaseUrl ?? "",
      WORKER_TOKEN,
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      // Simulated workers do not heartbeat: a long lease keeps the reaper away during a benchmark.
      LEASE_SECONDS: "3600",
      ...opts.env,
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("API process did not start within 120 s")), 120_000);
    child.once("exit", (code) => reject(new Error(`API process exited with ${code} before listening`)));
    child.on("message", (m: { type?: string; url?: string }) => {
      if (m.type === "listening" && m.url) {
        clearTimeout(timer);
        resolve(m.url);
      }
    });
  });
  const pid = child.pid!;
  return {
    url,
    pid,
    child,
    memory: () => procMemory(pid),
    cpuSeconds: () => procCpuSeconds(pid),
    restartProfile: () => {
      if (process.env.BENCH_CPU_PROF) child.send({ type: "profile-restart" });
    },
    saveProfile: (name) =>
      process.env.BENCH_CPU_PROF
        ? new Promise<string | undefined>((resolve) => {
            const onMessage = (m: { type?: string; file?: string }) => {
              if (m.type !== "profile-written") return;
              child.off("message", onMessage);
              console.log(`CPU profile of the API: ${m.file}`);
              resolve(m.file);
            };
            child.on("message", onMessage);
            child.send({ type: "profile", name });
          })
        : Promise.resolve(undefined),
    rawDrive: (request) =>
      new Promise<RawDriveReply>((resolve, reject) => {
        const id = ++rawDriveIds;
        const onMessage = (m: RawDriveReply) => {
          if (m?.type !== "raw-driven" || m.id !== id) return;
          child.off("message", onMessage);
          child.off("exit", onExit);
          if (m.error) reject(new Error(`raw path in the API process: ${m.error}`));
          else resolve(m);
        };
        const onExit = (code: number | null) => reject(new Error(`API process exited with ${code} during the raw path`));
        child.on("message", onMessage);
        child.once("exit", onExit);
        child.send({ type: "raw-drive", id, ...request } satisfies RawDriveRequest);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

export function procMemory(pid: number): { rssMiB: number; peakMiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
    return { rssMiB: round(kb("VmRSS") / 1024, 1), peakMiB: round(kb("VmHWM") / 1024, 1) };
  } catch {
    return { rssMiB: NaN, peakMiB: NaN };
  }
}

/**
 * CPU seconds used so far by every client backend connected to the database, by pid (from /proc; same machine).
 * Autovacuum workers are left out: they come and go on their own schedule and would make phases incomparable.
 */
export async function postgresBackendCpu(admin: pg.Pool | pg.Client, dbName: string): Promise<Map<number, number>> {
  const pids = (
    await admin.query("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [dbName])
  ).rows.map((r) => Number(r.pid));
  return new Map(pids.map((pid) => [pid, procCpuSeconds(pid)]));
}

/** CPU seconds between two postgresBackendCpu samples; a backend that appeared in between counts whole. */
export function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, v] of after) if (Number.isFinite(v)) sum += v - (before.get(pid) ?? 0);
  return sum;
}

export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11] = utime, fields[12] = stime (after pid and comm), in clock ticks (100/s on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// GraphQL over HTTP (node:http keep-alive) and the worker protocol

// Idle sockets close after 4 s, before the API's (Node's default 5 s keep-alive timeout) would close them under a request.
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 });

/**
 * POSTs to the API over node:http with keep-alive connections. A benchmark client should cost as little as the raw
 * path's pg client: on these 2-core machines fetch (undici) spent ~0.17 ms more CPU per request, CPU the API and
 * Postgres would otherwise have had (measured in docs/benchmarks.md, "metric-ingestion").
 */
export async function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await postJsonOnce(url, body, headers);
    } catch (error) {
      // A kept-alive socket the server closed just as the request left (Node's documented pattern: retry once).
      if (attempt === 0 && (error as { reusedSocket?: boolean }).reusedSocket && (error as NodeJS.ErrnoException).code === "ECONNRESET") continue;
      throw error;
    }
  }
}

function postJsonOnce(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", agent: keepAlive, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

/** How Gql sends a POST: node:http (postJson) by default; metric-ingestion's simulated workers use light-http.ts. */
export type PostJson = (path: string, body: string, headers: Record<string, string>) => Promise<{ status: number; text: string }>;

export class Gql {
  constructor(
    readonly url: string,
    private readonly token: string | null = WORKER_TOKEN,
    private readonly post: PostJson = (p, body, headers) => postJson(`${url}${p}`, body, headers),
  ) {}

  async raw<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await this.post("/graphql", JSON.stringify({ query, variables }), headers);
    let body: { data?: T; errors?: { message: string }[] };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      throw new Error(`HTTP ${res.status} from ${this.url}/graphql: ${res.text.slice(0, 500)}`);
    }
    // GraphQL over HTTP answers a failure with errors; a failure status without them is the server's, not the API's.
    if ((res.status < 200 || res.status >= 300) && !body.errors?.length) throw new Error(`HTTP ${res.status} from ${this.url}/graphql: ${res.text.slice(0, 500)}`);
    return body;
  }

  async q<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const r = await this.raw<T>(query, variables);
    if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors).slice(0, 2000)}`);
    return r.data as T;
  }
}

export const LAUNCH = `mutation($i: LaunchRunInput!) { launchRun(input: $i) { id } }`;
export const REPORT_EPOCHS = `mutation($w: ID!, $r: ID!, $e: [EpochInput!]!) { reportEpochs(workerId: $w, runId: $r, epochs: $e) }`;
export const REPORT_PROGRESS = `mutation($w: ID!, $r: ID!, $i: ProgressInput!) { reportProgress(workerId: $w, runId: $r, input: $i) }`;
export const REPORT_LOGS = `mutation($w: ID!, $r: ID!, $l: [LogInput!]!) { reportLogs(workerId: $w, runId: $r, lines: $l) }`;

export async function datasetIdByName(api: Gql, name: string): Promise<string> {
  const d = await api.q<{ datasets: { id: string; name: string }[] }>(`{ datasets { id name } }`);
  const found = d.datasets.find((x) => x.name === name);
  if (!found) throw new Error(`no dataset ${name} (have ${d.datasets.map((x) => x.name).join(", ")})`);
  return found.id;
}

/**
 * One simulated worker holding one RUNNING run: register, launch a run only it can serve (a unique backend order is
 * not possible, so each worker claims right after its own launch, sequentially), claim, start.
 */
export async function workerWithRunningRun(api: Gql, datasetId: string, name: string, config: Record<string, unknown> = { learningRate: 0.01, epochs: 1000, batchSize: 8 }) {
  const reg = await api.q<any>(
    `mutation($i: RegisterWorkerInput!) { registerWorker(input: $i) { worker { id } } }`,
    { i: { name, backends: ["CPU"], device: "bench", info: { bench: true } } },
  );
  const workerId: string = reg.registerWorker.worker.id;
  const launched = await api.q<any>(LAUNCH, { i: { datasetId, name, config, backends: ["CPU"] } });
  const runId: string = launched.launchRun.id;
  const claimed = await api.q<any>(`mutation($w: ID!) { claimRun(workerId: $w) { run { id } } }`, { w: workerId });
  if (claimed.claimRun?.run.id !== runId) throw new Error(`worker ${name} claimed ${claimed.claimRun?.run.id} instead of ${runId}`);
  await api.q(
    `mutation($w: ID!, $r: ID!, $i: RunStartedInput!) { startRun(workerId: $w, runId: $r, input: $i) { id } }`,
    { w: workerId, r: runId, i: { backend: "CPU", device: "bench", frozenLayers: [], trainableParams: 1, frozenParams: 0 } },
  );
  return { workerId, runId };
}

/** The databases a benchmark runs on: Postgres, and the embedded default (PGlite inside the API process). */
export type Driver = "postgres" | "pglite";

/** `--drivers postgres,pglite` (the default: both, in that order), checked. */
export function driversArg(): Driver[] {
  const drivers = arg("drivers", "postgres,pglite").split(",");
  for (const d of drivers) if (d !== "postgres" && d !== "pglite") throw new Error(`--drivers: postgres and/or pglite, comma-separated (got ${d})`);
  return drivers as Driver[];
}

/**
 * One API process on a fresh database of `driver` (a new Postgres database, or PGlite in a fresh data directory) for
 * `use`; the process, the database and the directory are gone afterwards, whatever happens. `name` names the process
 * (`api-<name>-<driver>`) and the database (`tunelab_bench_<name>_...`).
 */
export async function withApiOnDriver<T>(
  driver: Driver,
  name: string,
  use: (api: ApiProcess, db: { url: string; name: string } | null) => Promise<T>,
): Promise<T> {
  const db = driver === "postgres" ? await freshDatabase(`tunelab_bench_${name.replace(/[^a-z0-9]+/gi, "_")}`) : null;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tunelab-bench-"));
  try {
    const api = await startApiProcess({ databaseUrl: db?.url, dataDir, name: `api-${name}-${driver}` });
    try {
      return await use(api, db);
    } finally {
      await api.stop();
    }
  } finally {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs each driver's variant in turn, each described with the machine's load at its own start. */
export async function forEachDriver(drivers: Driver[], run: (driver: Driver, machine: MachineInfo) => Promise<void>): Promise<void> {
  for (const driver of drivers) {
    const machine = await machineInfo();
    warnIfBusy(machine);
    await run(driver, machine);
  }
}

/** Prints a note when the machine is busy at the start: numbers taken then will be pessimistic. */
export function warnIfBusy(m: MachineInfo) {
  if (m.loadAvgStart[0]! > 1.2)
    console.warn(`note: load average ${m.loadAvgStart[0]} > 1.2 at start: other work shares the CPUs; numbers will be pessimistic.`);
}

/**
 * A worker's persistent GraphQL connection over graphql-ws (the graphql-transport-ws protocol): operations (queries and
 * mutations) sent as `subscribe` messages on one WebSocket, each answered by one `next` and a `complete`. The worker
 * token goes once, in connection_init.
 */
export class GqlSocket {
  private nextId = 1;
  private readonly pending = new Map<string, { resolve: (v: any) => void; reject: (e: Error) => void; data?: any; errors?: any }>();
  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (raw) => {
      const msg = JSON.parse(String(raw)) as { id?: string; type: string; payload?: any };
      const p = msg.id ? this.pending.get(msg.id) : undefined;
      if (!p) return;
      if (msg.type === "next") {
        p.data = msg.payload?.data;
        p.errors = msg.payload?.errors;
      } else if (msg.type === "error") {
        this.pending.delete(msg.id!);
        p.reject(new Error(`GraphQL errors: ${JSON.stringify(msg.payload).slice(0, 2000)}`));
      } else if (msg.type === "complete") {
        this.pending.delete(msg.id!);
        if (p.errors?.length) p.reject(new Error(`GraphQL errors: ${JSON.stringify(p.errors).slice(0, 2000)}`));
        else p.resolve(p.data);
      }
    });
  }

  static async open(httpUrl: string, token: string | null = WORKER_TOKEN): Promise<GqlSocket> {
    const socket = new WebSocket(`${httpUrl.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: token ? { authorization: `Bearer ${token}` } : {} })));
      socket.once("message", (raw) => {
        const msg = JSON.parse(String(raw)) as { type: string };
        if (msg.type === "connection_ack") resolve();
        else reject(new Error(`expected connection_ack, got ${String(raw).slice(0, 200)}`));
      });
    });
    return new GqlSocket(socket);
  }

  q<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

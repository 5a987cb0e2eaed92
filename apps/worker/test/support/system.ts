import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { WORKER_NODE_FLAGS } from "../../src/node-flags";

const here = path.dirname(fileURLToPath(import.meta.url));
export const workerDir = path.resolve(here, "../..");
export const repoRoot = path.resolve(workerDir, "../..");
/** tsx's loader, so child processes run TypeScript as one node process (a SIGKILL then kills the real thing). */
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A node child process running a TypeScript entry, its JSON log lines collected (and teed to a file for debugging). */
export class Proc {
  readonly lines: Record<string, unknown>[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitedAt: number | undefined;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    entry: string,
    args: string[],
    env: Record<string, string>,
    cwd: string,
    logFile: string,
    nodeFlags: readonly string[] = [],
  ) {
    const log = createWriteStream(logFile, { flags: "a" });
    this.child = spawn(process.execPath, [...nodeFlags, "--import", tsxLoader, entry, ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let buffered = "";
    this.child.stdout!.on("data", (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not JSON (e.g. tfjs' banner)
        }
      }
    });
    this.child.stderr!.on("data", (chunk: Buffer) => log.write(chunk));
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => {
        this.exitedAt = Date.now();
        log.end();
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitedAt === undefined;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  logs(msg: string, match: Record<string, unknown> = {}): Record<string, unknown>[] {
    return this.lines.filter((l) => l.msg === msg && Object.entries(match).every(([k, v]) => l[k] === v));
  }
}

export interface ApiOptions {
  env?: Record<string, string>;
  databaseUrl?: string;
  /** Create the port and data directory but do not start the process yet (start() later). */
  deferStart?: boolean;
}

/** The real API (apps/api/src/main.ts) as a child process on a fixed port (kept across restarts) and its own DATA_DIR. */
export class ApiServer {
  proc: Proc | undefined;
  readonly url: string;
  starts = 0;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(options: ApiOptions = {}): Promise<ApiServer> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "tunelab-it-"));
    const env: Record<string, string> = {
      API_HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LEASE_SECONDS: "4",
      HEARTBEAT_SECONDS: "1",
      REAPER_INTERVAL_MS: "500",
      LOG_LEVEL: "info",
      NODE_ENV: "test",
      DATABASE_URL: options.databaseUrl ?? "",
      ...options.env,
    };
    const api = new ApiServer(await freePort(), dataDir, env);
    if (!options.deferStart) await api.start();
    return api;
  }

  async start(): Promise<void> {
    this.starts++;
    this.proc = new Proc("api", path.join(repoRoot, "apps/api/src/main.ts"), [], { ...this.env, API_PORT: String(this.port) }, path.join(repoRoot, "apps/api"), path.join(this.dataDir, `api-${this.starts}.log`));
    await until(
      "the API to answer /healthz",
      async () => {
        if (!this.proc!.running) throw new Error(`the API exited: see ${this.dataDir}/api-${this.starts}.log`);
        return fetch(`${this.url}/healthz`).then((r) => r.ok).catch(() => false);
      },
      90_000,
      200,
    );
  }

  async stop(): Promise<void> {
    await this.proc?.stop(8_000);
  }

  async token(): Promise<string> {
    return (await readFile(path.join(this.dataDir, "worker-token"), "utf8")).trim();
  }

  async gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(`${this.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
    return body.data!;
  }

  /** Uploads a CSV through POST /artifacts and registers it as a dataset. */
  async registerCsv(name: string, csv: Uint8Array): Promise<string> {
    const response = await fetch(`${this.url}/artifacts`, { method: "POST", headers: { "content-type": "text/csv" }, body: csv });
    if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
    const { id } = (await response.json()) as { id: string };
    const data = await this.gql<{ registerDataset: { dataset: { id: string } } }>(
      `mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { dataset { id } } }`,
      { input: { name, task: "TABULAR_CLASSIFICATION", format: "CSV", artifactId: id, labelColumn: "label" } },
    );
    return data.registerDataset.dataset.id;
  }

  async launch(datasetId: string, config: { epochs: number; batchSize: number; learningRate?: number }, name?: string): Promise<string> {
    const data = await this.gql<{ launchRun: { id: string } }>(`mutation($input: LaunchRunInput!) { launchRun(input: $input) { id } }`, {
      input: { datasetId, name, backends: ["CPU"], config: { learningRate: config.learningRate ?? 0.05, epochs: config.epochs, batchSize: config.batchSize, seed: 42 } },
    });
    return data.launchRun.id;
  }

  async run(id: string): Promise<RunView> {
    const data = await this.gql<{ run: RunView }>(
      `query($id: ID!) { run(id: $id) { id name status attempt error errorStep backend device cancelRequested
         worker { id name } outputModel { id } evaluation { accuracy numExamples }
         metrics(keys: ["loss", "acc"]) { key points { step value } } } }`,
      { id },
    );
    return data.run;
  }
}

export interface RunView {
  id: string;
  name: string;
  status: string;
  attempt: number;
  error: string | null;
  errorStep: string | null;
  backend: string | null;
  device: string | null;
  cancelRequested: boolean;
  worker: { id: string; name: string } | null;
  outputModel: { id: string } | null;
  evaluation: { accuracy: number; numExamples: number } | null;
  metrics: { key: string; points: { step: number; value: number }[] }[];
}

export const lossSteps = (run: RunView) => run.metrics.find((m) => m.key === "loss")?.points.map((p) => p.step) ?? [];

/**
 * A worker process (`src/main.ts`, with the worker's Node flags as in production) against an API; DATA_DIR is the
 * API's, so it authenticates with the token file.
 */
export function startWorker(api: ApiServer, name: string, env: Record<string, string> = {}): Proc {
  return new Proc(
    name,
    path.join(workerDir, "src/main.ts"),
    [],
    { WORKER_API_URL: api.url, DATA_DIR: api.dataDir, WORKER_NAME: name, WORKER_BACKENDS: "cpu", WORKER_POLL_SECONDS: "0.2", LOG_LEVEL: "debug", ...env },
    workerDir,
    path.join(api.dataDir, `${name}.log`),
    WORKER_NODE_FLAGS,
  );
}

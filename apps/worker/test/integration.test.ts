// End to end: the real API (child process, PGlite in a temp DATA_DIR, or a fresh Postgres database when
// TEST_DATABASE_URL is set) and real worker processes training tiny models (iris CSV, CPU backend).
import { readFile } from "node:fs/promises";
import { createTestDb, type TestDb } from "@tunelab/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiServer, type Proc, lossSteps, sleep, startWorker, until } from "./support/system";

const iris = await readFile(new URL("./fixtures/iris.csv", import.meta.url));
const databases: TestDb[] = [];
async function databaseUrl(): Promise<string | undefined> {
  if (!process.env.TEST_DATABASE_URL) return undefined;
  const db = await createTestDb("postgres");
  databases.push(db);
  return db.url;
}

const procs: Proc[] = [];
const worker = (api: ApiServer, name: string, env?: Record<string, string>) => {
  const p = startWorker(api, name, env);
  procs.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop(5_000)));
});
afterAll(async () => {
  for (const db of databases) await db.close().catch(() => undefined);
});

const storedEpochs = async (api: ApiServer, runId: string) => lossSteps(await api.run(runId));
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe(`worker processes against the real API (${process.env.TEST_DATABASE_URL ? "postgres" : "pglite"})`, () => {
  let api: ApiServer;
  let datasetId: string;
  beforeAll(async () => {
    api = await ApiServer.create({ databaseUrl: await databaseUrl() });
    datasetId = await api.registerCsv("iris-it", iris);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("3 workers drain 20 queued runs, each trained exactly once", async () => {
    const runIds: string[] = [];
    for (let i = 0; i < 20; i++) runIds.push(await api.launch(datasetId, { epochs: 2, batchSize: 32 }, `drain-${i}`));
    const workers = [worker(api, "w1"), worker(api, "w2"), worker(api, "w3")];
    await until("20 runs to succeed", async () => (await Promise.all(runIds.map((id) => api.run(id)))).every((r) => r.status === "SUCCEEDED"), 150_000, 500);

    for (const id of runIds) {
      const run = await api.run(id);
      expect(run.attempt).toBe(1);
      expect(lossSteps(run)).toEqual([1, 2]);
      expect(run.outputModel).not.toBeNull();
      expect(run.evaluation?.numExamples).toBeGreaterThan(0);
      expect(run.backend).toBe("CPU");
    }
    const claims = workers.flatMap((w) => w.logs("claimed run").map((l) => l.runId));
    expect(claims.sort()).toEqual([...runIds].sort());
    // The API marks a run SUCCEEDED when it answers completeRun; the worker logs its line just after, through a pipe.
    const successes = () => workers.flatMap((w) => w.logs("run succeeded").map((l) => l.runId));
    await until("every worker to log its successes", () => successes().length >= runIds.length, 10_000, 50);
    expect(successes().sort()).toEqual([...runIds].sort());
    // Every line of a run carries runId, workerId and attempt.
    for (const w of workers) for (const l of w.lines.filter((l) => l.runId)) expect(l).toMatchObject({ workerId: expect.any(String), attempt: expect.any(Number) });
    // One dataset file, shared cache: downloaded at most once per worker racing for it, then served from disk.
    const downloads = workers.flatMap((w) => w.logs("artifact downloaded")).length;
    const hits = workers.flatMap((w) => w.logs("artifact cache hit")).length;
    expect(downloads).toBeGreaterThanOrEqual(1);
    expect(downloads).toBeLessThanOrEqual(3);
    expect(downloads + hits).toBe(20);
    console.log(`drain: runs per worker ${workers.map((w) => w.logs("run succeeded").length).join("/")}; downloads ${downloads}, cache hits ${hits}`);
  }, 180_000);

  it("a worker killed with SIGKILL mid-run: another retries the run, epochs neither lost nor duplicated", async () => {
    const runId = await api.launch(datasetId, { epochs: 24, batchSize: 4 }, "sigkill");
    const a = worker(api, "victim");
    await until("the victim to claim the run", () => a.logs("claimed run", { runId }).length > 0);
    await until("3 stored epochs", async () => (await storedEpochs(api, runId)).length >= 3, 60_000, 50);
    a.kill("SIGKILL");
    await a.exited;
    const killedAt = Date.now();
    const beforeKill = await storedEpochs(api, runId);
    expect(beforeKill.length).toBeLessThan(24);

    const b = worker(api, "rescuer");
    await until("the run to succeed on the rescuer", async () => (await api.run(runId)).status === "SUCCEEDED", 90_000, 250);
    const run = await api.run(runId);
    expect(run.attempt).toBe(2);
    expect(run.worker?.name ?? "rescuer").toBe("rescuer");
    expect(lossSteps(run)).toEqual(range(24));
    const claim = b.logs("claimed run", { runId })[0]!;
    expect(claim.attempt).toBe(2);
    const recorded = claim.recordedEpochs as number[];
    expect(recorded).toEqual(range(recorded.length));
    expect(recorded.length).toBeGreaterThanOrEqual(beforeKill.length);
    // Same seed, same backend: the retry recomputes the epochs it skipped reporting, to the same values.
    const stored = run.metrics.find((m) => m.key === "loss")!.points;
    for (const line of b.logs("epoch").filter((l) => (l.epoch as number) <= recorded.length)) {
      expect((line.metrics as { loss: number }).loss).toBeCloseTo(stored[(line.epoch as number) - 1]!.value, 6);
    }
    console.log(`sigkill: killed after ${beforeKill.length} stored epochs; re-claimed ${((b.logs("claimed run", { runId })[0]!.time as string) ? Date.parse(claim.time as string) - killedAt : NaN)} ms after the kill with recordedEpochs 1..${recorded.length}`);
  }, 150_000);

  it("cancel mid-epoch: CANCELLED within one batch of the worker hearing of it", async () => {
    const runId = await api.launch(datasetId, { epochs: 200, batchSize: 2 }, "cancel");
    const w = worker(api, "canceller");
    await until("2 stored epochs", async () => (await storedEpochs(api, runId)).length >= 2, 60_000, 50);
    const requestedAt = Date.now();
    await api.gql(`mutation($id: ID!) { cancelRun(id: $id) { id status } }`, { id: runId });
    await until("CANCELLED", async () => (await api.run(runId)).status === "CANCELLED", 20_000, 50);
    const cancelledAfterMs = Date.now() - requestedAt;
    const run = await api.run(runId);
    expect(lossSteps(run).length).toBeLessThan(200);
    expect(run.outputModel).toBeNull();
    const stopping = w.logs("stopping run", { runId, reason: "cancel" })[0]!;
    const aborted = w.lines.find((l) => l.trainer === true && l.msg === "cancelled" && l.runId === runId)!;
    // CANCELLED is stored when the API answers finishCancelledRun; the worker's line follows through a pipe.
    const done = await until("the worker to log the cancellation", () => w.logs("run cancelled", { runId })[0], 10_000, 50);
    expect(stopping && aborted && done).toBeTruthy();
    const stopMs = Date.parse(aborted.time as string) - Date.parse(stopping.time as string);
    // One batch of 2 iris rows takes a few ms; allow for thread hand-off and a loaded 2-core machine.
    expect(stopMs).toBeLessThan(1_000);
    console.log(`cancel: CANCELLED ${cancelledAfterMs} ms after cancelRun (heartbeat every 1 s); trainer stopped ${stopMs} ms after the worker heard of it`);
  }, 90_000);

  it("SIGTERM: the run is handed back (attempt not counted), the worker unregisters and exits 0 within 10 s", async () => {
    const runId = await api.launch(datasetId, { epochs: 200, batchSize: 2 }, "sigterm");
    const a = worker(api, "leaver");
    await until("2 stored epochs", async () => (await storedEpochs(api, runId)).length >= 2, 60_000, 50);
    const termAt = Date.now();
    a.kill("SIGTERM");
    const exit = await a.exited;
    const exitMs = a.exitedAt! - termAt;
    expect(exit.code).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    expect(a.logs("run handed back to the queue", { runId })).toHaveLength(1);
    expect(a.logs("unregistered")).toHaveLength(1);
    const released = await api.run(runId);
    expect(released.status).toBe("QUEUED");
    expect(released.attempt).toBe(0);

    const b = worker(api, "taker");
    await until("another worker to claim it as attempt 1", () => b.logs("claimed run", { runId }).find((l) => l.attempt === 1));
    await api.gql(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: runId });
    await until("CANCELLED", async () => (await api.run(runId)).status === "CANCELLED", 20_000, 100);
    console.log(`sigterm: exited 0 after ${exitMs} ms`);
  }, 90_000);
});

describe("an API restarted mid-run", () => {
  let api: ApiServer;
  afterAll(async () => {
    await api?.stop();
  });

  it("the run still succeeds: reports are retried, nothing lost or duplicated", async () => {
    // A lease longer than the restart, so the run keeps its worker.
    api = await ApiServer.create({ databaseUrl: await databaseUrl(), env: { LEASE_SECONDS: "60", HEARTBEAT_SECONDS: "1" }, deferStart: true });
    // Embedded-mode start order does not matter: the worker starts first, waits for the API and for the token file
    // the API writes into the shared DATA_DIR.
    const w = worker(api, "steady");
    await sleep(1_500);
    await api.start();
    await until("the worker to register", () => w.logs("registered").length > 0, 30_000);
    expect(w.logs("waiting for the API").length).toBeGreaterThan(0);
    const datasetId = await api.registerCsv("iris-restart", iris);
    const runId = await api.launch(datasetId, { epochs: 24, batchSize: 4 }, "restart");
    await until("3 stored epochs", async () => (await storedEpochs(api, runId)).length >= 3, 60_000, 50);
    const downAt = Date.now();
    await api.stop();
    await sleep(1_000);
    await api.start();
    const upMs = Date.now() - downAt;
    await until("SUCCEEDED", async () => (await api.run(runId)).status === "SUCCEEDED", 90_000, 250);
    const run = await api.run(runId);
    expect(run.attempt).toBe(1);
    expect(lossSteps(run)).toEqual(range(24));
    expect(w.logs("claimed run")).toHaveLength(1);
    // The outage was really hit mid-run.
    const retried = w.lines.filter((l) => l.msg === "report failed, retrying" || l.msg === "heartbeat failed").length;
    expect(retried).toBeGreaterThan(0);
    console.log(`restart: API down for ${upMs} ms; ${retried} failed reports/heartbeats retried; run SUCCEEDED with 24 epochs`);
  }, 180_000);
});

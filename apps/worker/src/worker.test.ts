import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeApi, type FakeRun } from "../test/support/fake-api";
import { FakeEngine } from "../test/support/fake-engine";
import { ApiClient } from "./api/client";
import type { WorkerConfig } from "./env";
import { Worker, chooseBackends } from "./worker";

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let api: FakeApi;
let workers: Worker[];
beforeEach(async () => {
  api = await new FakeApi().start();
  workers = [];
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop(2_000)));
  await api.stop();
});

async function startWorker(engine = new FakeEngine(), options: { reportIntervalMs?: number } = {}): Promise<{ worker: Worker; engine: FakeEngine; done: Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tl-worker-"));
  const config: WorkerConfig = { apiUrl: api.url, token: { kind: "value", value: api.token }, name: "t", dataDir: dir, cacheDir: path.join(dir, "cache"), cacheMaxBytes: Number.POSITIVE_INFINITY, pollSeconds: 0.05, logLevel: "silent" };
  const client = new ApiClient({ apiUrl: api.url, token: config.token, retry: { initialMs: 20, maxMs: 200 } });
  const worker = new Worker({ config, api: client, engine, logger: log, progressIntervalMs: 50, ...options });
  workers.push(worker);
  const done = worker.run();
  return { worker, engine, done };
}

const epochsOf = (run: FakeRun) => [...run.epochs.keys()];

describe("Worker lifecycle (fake API, fake trainer)", () => {
  it("offers the requested backends that are available, in the requested order", () => {
    const probes = [
      { backend: "WEBGPU" as const, available: false, reason: "no Vulkan driver" },
      { backend: "WASM" as const, available: true, device: "wasm" },
      { backend: "CPU" as const, available: true, device: "cpu" },
    ];
    expect(chooseBackends(probes, undefined).offered.map((p) => p.backend)).toEqual(["WASM", "CPU"]);
    const { offered, problems } = chooseBackends(probes, ["CPU", "WEBGPU"]);
    expect(offered.map((p) => p.backend)).toEqual(["CPU"]);
    expect(problems).toEqual(["WEBGPU: no Vulkan driver"]);
  });

  it("sends the last epochs as soon as training ends, while the model is evaluated, not a flush interval later", async () => {
    const run = api.addRun(3);
    const engine = new FakeEngine();
    let storedWhileEvaluating: number[] = [];
    // Epochs come every ~100 ms and reports at most every 10 s here: only the first epoch goes before training ends.
    engine.evaluate = async () => {
      await until("every epoch to be stored while evaluating", () => run.epochs.size === 3, 3_000).catch(() => undefined);
      storedWhileEvaluating = epochsOf(run);
    };
    await startWorker(engine, { reportIntervalMs: 10_000 });
    await until("the run to succeed", () => run.status === "SUCCEEDED");
    expect(storedWhileEvaluating).toEqual([1, 2, 3]);
  });

  it("trains queued runs, streams every epoch once, uploads and completes; caches the dataset by sha256", async () => {
    const runs = [api.addRun(3), api.addRun(3)];
    await startWorker();
    await until("both runs to succeed", () => runs.every((r) => r.status === "SUCCEEDED"));
    for (const run of runs) {
      expect(epochsOf(run)).toEqual([1, 2, 3]);
      expect(run.epochReports).toBe(3);
      expect(run.started).toMatchObject({ backend: "CPU", device: "cpu x2 (fake)" });
      expect(run.evaluation).toMatchObject({ accuracy: 1 });
      const artifact = api.artifacts.get(run.completed!.modelArtifactId as string)!;
      expect(new TextDecoder().decode(artifact)).toBe(`model of ${run.claim.run.id}`);
    }
    // Same dataset bytes (same sha256) under two artifact ids: downloaded once.
    expect(api.downloads).toBe(1);
  });

  it("downloads a run's dataset and base model at once", async () => {
    const run = api.withBaseModel(api.addRun(2));
    api.downloadDelayMs = 300;
    await startWorker();
    await until("the run to succeed", () => run.status === "SUCCEEDED");
    expect(api.maxDownloadsInFlight).toBe(2);
    expect(api.downloads).toBe(2);
  });

  it("fails the run with the first download's error and gives the other download up", async () => {
    const run = api.withBaseModel(api.addRun(2));
    run.claim.dataset.artifact = { ...run.claim.dataset.artifact!, downloadUrl: "/artifacts/missing" };
    api.downloadDelayMs = 1_000;
    await startWorker();
    await until("the run to fail", () => run.status === "FAILED");
    expect(run.error).toMatch(/404/);
    expect(run.errorStep).toBe("prepare");
    // The model download was abandoned, not waited for: past its delay, its bytes were never sent.
    await sleep(1_200);
    expect(api.downloads).toBe(0);
  });

  it("loads its best backend while it registers, before it claims a run", async () => {
    const engine = new FakeEngine();
    let callsWhenLoaded = -1;
    engine.onUse = async () => {
      if (engine.uses.length > 1) return;
      await sleep(300);
      callsWhenLoaded = api.calls.length;
    };
    const run = api.addRun(2);
    await startWorker(engine);
    await until("the run to succeed", () => run.status === "SUCCEEDED");
    expect(engine.uses[0]).toBe("CPU");
    // Registered meanwhile, but no claim before the backend was loaded.
    expect(api.calls.slice(0, callsWhenLoaded)).toContain("RegisterWorker");
    expect(api.calls.slice(0, callsWhenLoaded)).not.toContain("ClaimRun");
  });

  it("still takes runs when loading the backend ahead of time fails", async () => {
    const engine = new FakeEngine();
    engine.onUse = async () => {
      if (engine.uses.length === 1) throw new Error("adapter lost");
    };
    const run = api.addRun(2);
    await startWorker(engine);
    await until("the run to succeed", () => run.status === "SUCCEEDED");
    expect(engine.uses).toEqual(["CPU", "CPU"]);
  });

  it("uploads the model while the evaluation is being reported", async () => {
    api.delays.ReportEvaluation = 400;
    const run = api.addRun(2);
    await startWorker();
    await until("the run to succeed", () => run.status === "SUCCEEDED");
    const evaluationAt = api.received.find((r) => r.name === "ReportEvaluation")!.at;
    const uploadAt = api.received.find((r) => r.name === "upload")!.at;
    expect(uploadAt - evaluationAt).toBeLessThan(300);
    expect(run.evaluation).toMatchObject({ accuracy: 1 });
  });

  it("charges a failed upload to the save step, and a failed evaluation report to the evaluate step", async () => {
    api.failures.upload = { message: "artifact store full", code: "HTTP" };
    const saveRun = api.addRun(1);
    const { worker } = await startWorker();
    await until("the run to fail", () => saveRun.status === "FAILED");
    expect(saveRun.errorStep).toBe("save");
    expect(saveRun.error).toMatch(/artifact store full/);
    expect(saveRun.evaluation).toMatchObject({ accuracy: 1 });
    // Both fail: the evaluation comes first in the run's lifecycle, so it is the step the run failed at.
    api.failures.ReportEvaluation = { message: "confusionMatrix must be 2x2", code: "BAD_USER_INPUT" };
    const evaluateRun = api.addRun(1);
    await until("the second run to fail", () => evaluateRun.status === "FAILED");
    expect(evaluateRun.errorStep).toBe("evaluate");
    expect(evaluateRun.error).toMatch(/confusionMatrix must be 2x2/);
    await worker.stop(2_000);
  });

  it("reports a failure with the message and the step", async () => {
    const engine = new FakeEngine();
    engine.failAt = { epoch: 2, message: "NaN loss: lower the learning rate" };
    const run = api.addRun(3);
    await startWorker(engine);
    await until("the run to fail", () => run.status === "FAILED");
    expect(run.error).toBe("NaN loss: lower the learning rate");
    expect(run.errorStep).toBe("train");
    expect(epochsOf(run)).toEqual([1]);
  });

  it("stops a cancelled run within one batch of hearing about it", async () => {
    const run = api.addRun(50);
    const { engine } = await startWorker(new FakeEngine(50, 5));
    await until("epoch 2", () => run.epochs.has(2));
    run.cancelRequested = true;
    // The heartbeat (every heartbeatSeconds = 1 s) carries the request; count batches from when it was answered.
    const callsBefore = api.calls.length;
    await until("a heartbeat to carry the cancel", () => api.calls.slice(callsBefore).includes("Heartbeat"));
    const batchesAtHeartbeat = engine.batchesRun;
    await until("CANCELLED", () => run.status === "CANCELLED");
    expect(engine.batchesRun - batchesAtHeartbeat).toBeLessThanOrEqual(1);
    expect(run.epochs.size).toBeLessThan(50);
  });

  it("rides out an API outage mid-run: nothing lost, nothing duplicated", async () => {
    const run = api.addRun(12);
    await startWorker(new FakeEngine(30, 5));
    await until("epoch 2", () => run.epochs.has(2));
    api.down = true;
    await sleep(2_000); // < lease (5 s): the run keeps its lease
    api.down = false;
    await until("SUCCEEDED", () => run.status === "SUCCEEDED", 30_000);
    expect(epochsOf(run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(run.epochReports).toBe(12);
  });

  it("abandons a run whose lease was lost without reporting anything more", async () => {
    const run = api.addRun(50);
    await startWorker(new FakeEngine(50, 5));
    await until("epoch 1", () => run.epochs.has(1));
    run.workerId = "someone-else";
    await sleep(1_500);
    const reports = run.epochReports;
    await sleep(1_000);
    expect(run.epochReports).toBe(reports);
    expect(run.status).toBe("RUNNING"); // untouched: it belongs to the other worker now
  });

  it("on stop hands the run back (attempt not counted) and unregisters", async () => {
    const run = api.addRun(50);
    const { worker, done } = await startWorker(new FakeEngine(50, 5));
    await until("epoch 1", () => run.epochs.has(1));
    const started = Date.now();
    await worker.stop(8_000);
    await done;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(run.status).toBe("QUEUED");
    expect(run.releases).toBe(1);
    expect(run.attempt).toBe(0);
    expect([...api.workers.values()][0]!.unregistered).toBe(true);
  });
});

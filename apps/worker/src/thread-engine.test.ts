import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import type { ClaimedRun } from "./api/types";
import type { EngineEvent } from "./engine";
import { ThreadEngine } from "./thread-engine";

const claim = (epochs: number, batchSize: number): ClaimedRun => ({
  attempt: 1,
  leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
  backend: "CPU",
  recordedEpochs: [],
  run: { id: "r1", name: "iris-thread", frozenLayers: [], extraConfig: {}, config: { learningRate: 0.05, epochs, batchSize, optimizer: "ADAM", validationSplit: 0.2, seed: 7, earlyStoppingPatience: null } },
  dataset: {
    source: "upload",
    format: "csv",
    options: {},
    dataset: { id: "d1", name: "iris-csv", version: 1, task: "TABULAR_CLASSIFICATION", numExamples: 150, classNames: ["setosa", "versicolor", "virginica"], sha256: "x" },
    artifact: { id: "a1", sha256: "x", sizeBytes: 1, downloadUrl: "/artifacts/a1" },
  },
  baseModel: null,
});

const engine = new ThreadEngine(pino({ level: "silent" }));
afterAll(() => engine.close());

describe("ThreadEngine (trainer in a worker thread)", () => {
  it("keeps the main thread's event loop free while training, and returns the saved bundle", async () => {
    expect((await engine.detect()).some((p) => p.backend === "CPU" && p.available)).toBe(true);
    await engine.use("CPU");
    const bytes = await readFile(new URL("../test/fixtures/iris.csv", import.meta.url));
    let ticks = 0;
    let ticksAtFirstEpoch = -1;
    const timer = setInterval(() => ticks++, 20);
    const events: EngineEvent[] = [];
    const out = await engine.train({
      claim: claim(30, 4),
      datasetBytes: bytes,
      modelBytes: null,
      backend: "CPU",
      signal: new AbortController().signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === "epoch" && e.epoch === 1) ticksAtFirstEpoch = ticks;
      },
    });
    clearInterval(timer);
    expect(events.filter((e) => e.type === "epoch")).toHaveLength(30);
    // Timers kept firing between the first epoch and the end of training.
    expect(ticks - ticksAtFirstEpoch).toBeGreaterThan(5);
    expect(out.bundle).toBeInstanceOf(Uint8Array);
    expect(out.bundle.byteLength).toBeGreaterThan(100);
  });

  it("aborts within one batch through the shared flag", async () => {
    const bytes = await readFile(new URL("../test/fixtures/iris.csv", import.meta.url));
    const controller = new AbortController();
    let batchesAfterAbort = 0;
    const error = await engine
      .train({
        claim: claim(500, 1),
        datasetBytes: bytes,
        modelBytes: null,
        backend: "CPU",
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "epoch" && e.epoch === 2) controller.abort();
          else if (controller.signal.aborted && e.type === "progress" && e.phase === "train") batchesAfterAbort++;
        },
      })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    // Progress is throttled (500 ms) so this mostly bounds time: the run stopped well before its 500 epochs.
    expect(batchesAfterAbort).toBeLessThanOrEqual(1);
  });
});

import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ApiClient } from "./api/client";
import { ApiError, LeaseLostError } from "./api/errors";
import type { EpochInput, LogInput, ProgressInput } from "./api/types";
import { RunReporter, finiteMetrics } from "./reporter";

const log = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeApi(behaviour: { failEpochCalls?: number; leaseLostOnEpoch?: number } = {}) {
  const stored = new Map<number, Record<string, number>>();
  const batches: number[][] = [];
  const progress: { at: number; input: ProgressInput }[] = [];
  const logs: LogInput[] = [];
  let epochCalls = 0;
  const api = {
    async reportEpochs(_w: string, _r: string, epochs: EpochInput[], options?: { onRetry?: (...a: unknown[]) => void }) {
      // The real client retries inside; emulate an API that is down for the first calls.
      for (;;) {
        epochCalls++;
        await sleep(5);
        if (epochCalls <= (behaviour.failEpochCalls ?? 0)) {
          options?.onRetry?.(new ApiError("down", "NETWORK", true), epochCalls, 5);
          continue;
        }
        break;
      }
      if (behaviour.leaseLostOnEpoch && epochs.some((e) => e.epoch >= behaviour.leaseLostOnEpoch!)) throw new LeaseLostError("gone");
      batches.push(epochs.map((e) => e.epoch));
      for (const e of epochs) if (!stored.has(e.epoch)) stored.set(e.epoch, e.metrics);
    },
    async reportLogs(_w: string, _r: string, lines: LogInput[]) {
      logs.push(...lines);
    },
    async reportProgress(_w: string, _r: string, input: ProgressInput) {
      progress.push({ at: Date.now(), input });
    },
  };
  return { api: api as unknown as ApiClient, stored, batches, progress, logs };
}

describe("RunReporter", () => {
  it("batches epochs that arrive while a report is in flight, in order, once each", async () => {
    const { api, stored, batches } = fakeApi({ failEpochCalls: 2 });
    const reporter = new RunReporter(api, "w", "r", log, { onLeaseLost: () => {} });
    for (let epoch = 1; epoch <= 5; epoch++) reporter.epoch(epoch, { loss: 1 / epoch, acc: epoch / 10, val_loss: null });
    await reporter.drain();
    expect([...stored.keys()]).toEqual([1, 2, 3, 4, 5]);
    expect(stored.get(1)).toEqual({ loss: 1, acc: 0.1 });
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(batches.length).toBeLessThan(5);
    reporter.close();
  });

  it("hurry() and drain() send what is queued without waiting out the flush interval", async () => {
    for (const finish of ["hurry", "drain"] as const) {
      const { api, batches } = fakeApi();
      // A minute between flushes: waiting it out would run past the test's timeout.
      const reporter = new RunReporter(api, "w", "r", log, { onLeaseLost: () => {}, minFlushIntervalMs: 60_000 });
      reporter.epoch(1, { loss: 1 });
      await sleep(20); // epoch 1 went out at once; epoch 2 would now wait a minute
      reporter.epoch(2, { loss: 0.5 });
      reporter.logLine("info", "training done");
      if (finish === "hurry") {
        reporter.hurry();
        while (batches.flat().length < 2) await sleep(5);
      }
      await reporter.drain();
      expect(batches).toEqual([[1], [2]]);
      reporter.close();
    }
  });

  it("sends the first epoch after a quiet spell at once, and coalesces a burst into a few reports per second", async () => {
    const { api, batches } = fakeApi();
    const sent: number[] = [];
    const timed = { ...api, reportEpochs: async (...a: Parameters<ApiClient["reportEpochs"]>) => (sent.push(Date.now()), api.reportEpochs(...a)) } as ApiClient;
    const reporter = new RunReporter(timed, "w", "r", log, { onLeaseLost: () => {}, minFlushIntervalMs: 200 });
    const t0 = Date.now();
    reporter.epoch(1, { loss: 1 });
    await sleep(30);
    expect(sent[0]! - t0).toBeLessThan(30); // not held back
    // A burst: 60 epochs over ~600 ms (one every ~10 ms).
    for (let epoch = 2; epoch <= 61; epoch++) {
      reporter.epoch(epoch, { loss: 1 / epoch });
      await sleep(10);
    }
    const duringBurst = sent.length;
    await reporter.drain(); // sends the rest at once (the run is over)
    expect(batches.flat()).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    expect(batches.length).toBeLessThanOrEqual(8);
    for (let i = 1; i < duringBurst; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(195);
    // After a quiet spell longer than the interval, the next epoch goes at once again.
    await sleep(250);
    const before = sent.length;
    const t1 = Date.now();
    reporter.epoch(62, { loss: 0.01 });
    await reporter.drain();
    expect(sent.length).toBe(before + 1);
    expect(sent[before]! - t1).toBeLessThan(30);
  });

  it("spaces reports by the burst interval while epochs come in bursts, and sends a lone epoch after a quiet spell at once", async () => {
    const { api, batches, stored } = fakeApi();
    const sent: number[] = [];
    const timed = { ...api, reportEpochs: async (...a: Parameters<ApiClient["reportEpochs"]>) => (sent.push(Date.now()), api.reportEpochs(...a)) } as ApiClient;
    const reporter = new RunReporter(timed, "w", "r", log, { onLeaseLost: () => {}, minFlushIntervalMs: 50, burstFlushIntervalMs: 300 });
    reporter.epoch(1, { loss: 1 });
    // A burst: 60 epochs, one every ~10 ms.
    for (let epoch = 2; epoch <= 61; epoch++) {
      reporter.epoch(epoch, { loss: 1 / epoch });
      await sleep(10);
    }
    while (stored.size < 61) await sleep(5);
    // Epoch 1 alone, then one report 50 ms later with what came meanwhile; from then on one per 300 ms.
    expect(batches[0]).toEqual([1]);
    expect(batches[1]!.length).toBeGreaterThan(1);
    for (let i = 2; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(295);
    expect(batches.length).toBeLessThanOrEqual(6);
    // A quiet spell longer than the short interval (shorter than the burst one): the next epoch is not held back.
    await sleep(120);
    const t = Date.now();
    reporter.epoch(62, { loss: 0.01 });
    while (stored.size < 62) await sleep(2);
    expect(sent.at(-1)! - t).toBeLessThan(30);
    expect(batches.at(-1)).toEqual([62]);
    reporter.close();
  });

  it("numbers log lines from 1, so the API can skip the ones a retry sends again", async () => {
    const { api, logs } = fakeApi();
    const reporter = new RunReporter(api, "w", "r", log, { onLeaseLost: () => {}, minFlushIntervalMs: 0 });
    for (const m of ["a", "b", "c"]) reporter.logLine("info", m);
    await reporter.drain();
    expect(logs.map((l) => [l.seq, l.message])).toEqual([[1, "a"], [2, "b"], [3, "c"]]);
  });

  it("waits for the gate (startRun) before sending epochs", async () => {
    const { api, batches } = fakeApi();
    const reporter = new RunReporter(api, "w", "r", log, { onLeaseLost: () => {} });
    let open!: () => void;
    reporter.gate(new Promise<void>((r) => (open = r)));
    reporter.epoch(1, { loss: 1 });
    await sleep(30);
    expect(batches).toEqual([]);
    open();
    await reporter.drain();
    expect(batches).toEqual([[1]]);
  });

  it("throttles progress to the interval and keeps the latest value", async () => {
    const { api, progress } = fakeApi();
    const reporter = new RunReporter(api, "w", "r", log, { progressIntervalMs: 100, onLeaseLost: () => {} });
    const started = Date.now();
    while (Date.now() - started < 450) {
      reporter.progress({ phase: "train", done: Date.now() - started, total: 1000 });
      await sleep(2);
    }
    reporter.progress({ phase: "train", done: 1000, total: 1000 });
    await sleep(200);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(90);
    expect(progress.at(-1)!.input.done).toBe(1000);
    reporter.close();
  });

  it("sends the first epoch at once even when a log line went out just before it", async () => {
    const { api, batches, logs } = fakeApi();
    const reporter = new RunReporter(api, "w", "r", log, { minFlushIntervalMs: 1000, onLeaseLost: () => {} });
    reporter.logLine("info", "backend: cpu"); // what the trainer writes as training starts
    await sleep(20);
    expect(logs.map((l) => l.message)).toEqual(["backend: cpu"]);
    const started = Date.now();
    reporter.epoch(1, { loss: 1 });
    while (batches.length === 0 && Date.now() - started < 2000) await sleep(5);
    expect(batches).toEqual([[1]]);
    // Not after the log line's flush interval (1 s): the epochs' clock had not started.
    expect(Date.now() - started).toBeLessThan(500);
    // Each kind keeps its own interval: a second log line and a second epoch wait theirs out.
    reporter.logLine("info", "second");
    reporter.epoch(2, { loss: 0.5 });
    await sleep(200);
    expect(batches).toEqual([[1]]);
    expect(logs).toHaveLength(1);
    await reporter.drain();
    expect(batches).toEqual([[1], [2]]);
    expect(logs).toHaveLength(2);
    reporter.close();
  });

  it("leaves progress within an epoch out while epochs come faster than progress may be sent", async () => {
    const { api, progress } = fakeApi();
    const reporter = new RunReporter(api, "w", "r", log, { progressIntervalMs: 100, onLeaseLost: () => {} });
    // Fast epochs (every 10 ms): their batch and validation progress says nothing the epochs do not.
    for (let epoch = 1; epoch <= 30; epoch++) {
      reporter.progress({ phase: "train", done: 5, total: 5 });
      reporter.progress({ phase: "validate", done: 1, total: 1 });
      reporter.epoch(epoch, { loss: 1 });
      await sleep(10);
    }
    // Other phases still go out.
    reporter.progress({ phase: "evaluate", done: 0, total: 2 });
    await sleep(150);
    // Before the first epoch nothing says how fast epochs are: that one train progress went out.
    expect(progress.map((p) => `${p.input.phase} ${p.input.done}`)).toEqual(["train 5", "evaluate 0"]);
    // A slow epoch: past one interval after the last epoch, its progress is sent again.
    reporter.progress({ phase: "train", done: 1, total: 50 });
    await sleep(150);
    expect(progress.map((p) => `${p.input.phase} ${p.input.done}`)).toEqual(["train 5", "evaluate 0", "train 1"]);
    await reporter.drain();
    reporter.close();
  });

  it("keeps each phase's latest value: a finished download is sent even when another phase reports while it waits", async () => {
    const { api, progress } = fakeApi();
    const reporter = new RunReporter(api, "w", "r", log, { progressIntervalMs: 100, onLeaseLost: () => {} });
    reporter.progress({ phase: "download-dataset", done: 1, total: 10 }); // goes at once
    // While it is in flight: the dataset's last value (forced), then the model download's first values.
    reporter.progress({ phase: "download-dataset", done: 10, total: 10 }, { force: true });
    reporter.progress({ phase: "download-model", done: 1, total: 10 });
    reporter.progress({ phase: "download-model", done: 2, total: 10 });
    await sleep(350);
    expect(progress.map((p) => `${p.input.phase} ${p.input.done}`)).toEqual(["download-dataset 1", "download-dataset 10", "download-model 2"]);
    // Still one value per interval, whichever phase it is.
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(45);
    reporter.close();
  });

  it("drops progress an epoch superseded while it waited for its turn", async () => {
    const { api, progress } = fakeApi();
    const reporter = new RunReporter(api, "w", "r", log, { progressIntervalMs: 100, onLeaseLost: () => {} });
    reporter.progress({ phase: "train", done: 1, total: 50 });
    reporter.progress({ phase: "train", done: 2, total: 50 }); // waits out the interval
    reporter.epoch(1, { loss: 1 });
    await sleep(200);
    expect(progress.map((p) => p.input.done)).toEqual([1]);
    await reporter.drain();
    reporter.close();
  });

  it("stops and tells the run when the lease is lost", async () => {
    const { api } = fakeApi({ leaseLostOnEpoch: 2 });
    let lost = 0;
    const reporter = new RunReporter(api, "w", "r", log, { onLeaseLost: () => lost++ });
    reporter.epoch(1, { loss: 1 });
    await reporter.drain();
    reporter.epoch(2, { loss: 1 });
    await reporter.drain();
    expect(lost).toBe(1);
  });

  it("keeps only finite metrics", () => {
    expect(finiteMetrics({ loss: 0.5, acc: Number.NaN, val_loss: null, val_acc: Infinity, x: "1" })).toEqual({ loss: 0.5 });
  });
});

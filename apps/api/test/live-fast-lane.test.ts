import type { RunRow } from "@tunelab/db";
import { testDrivers } from "@tunelab/db/testing";
import { MessageType, stringifyMessage } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Context } from "../src/context";
import type { RunEventBatchModel, RunEventModel } from "../src/domain/run-event-types";
import { streamRunEventBatches, streamRunEvents, streamRunUpdates } from "../src/domain/stream-run-events";
import { createLoaders } from "../src/loaders";
import { datasetId, sleep, startTestApi, type TestApi } from "./helpers";
import { LAUNCH, TestWorker } from "./worker-client";

/** Epoch batches as a worker sends them: single epochs and bursts. */
const BATCHES = [[1], [2, 3, 4], [5], [6], [7, 8], [9], [10, 11, 12], [13], [14], [15]];
const metrics = (e: number) => ({ loss: 1 / e, acc: 1 - 1 / (e + 1) });

/** Resolves with the promise, or fails the test with `what` (worded when the time is up) after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(typeof what === "string" ? what : what())), ms);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until `done` holds, or fails the test with `what` after 15 s. */
const until = (done: () => boolean, what: string) =>
  within(
    (async () => {
      while (!done()) await sleep(10);
    })(),
    15_000,
    what,
  );

describe.each(testDrivers())("live delivery (the fast lane, shared batches and reads) on %s", (driver) => {
  let api: TestApi;
  let irisId: string;

  beforeAll(async () => {
    api = await startTestApi({ driver });
    irisId = await datasetId(api);
  });
  afterAll(async () => {
    await api?.close();
  });

  /** A subscription's context as the API builds it for a WebSocket, with the given fast-lane writer. */
  function subscriberContext(deliverNow: NonNullable<Context["deliverNow"]>): Context {
    return { ...api.server.services, loaders: createLoaders(api.handle.db, { cache: false }), workerTokenId: null, baseUrl: api.url, deliverNow };
  }
  /** The fast-lane writer of a runEvents subscription: its root values are events. */
  const ofEvents = (fn: (events: readonly RunEventModel[]) => number) => (values: readonly unknown[]) => fn(values as readonly RunEventModel[]);
  /** The fast-lane writer of a runEventBatches subscription: its root values are batches. */
  const ofBatches = (fn: (batches: readonly RunEventBatchModel[]) => number) => (values: readonly unknown[]) => fn(values as readonly RunEventBatchModel[]);

  /** n raw graphql-ws sockets, each subscribed with `query` and past the replayed RUNNING status; `completed` resolves on `complete`. */
  function subscribeOverWebSockets(runId: string, query: string, n: number) {
    return Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const id = `sub ${i}`;
        const ws = new WebSocket(`${api.url.replace("http", "ws")}/graphql`, "graphql-transport-ws");
        const messages: string[] = [];
        let onComplete = () => {};
        const completed = new Promise<void>((r) => (onComplete = r));
        ws.on("message", (m) => {
          messages.push(String(m));
          if (messages.at(-1)!.includes('"complete"')) onComplete();
        });
        await new Promise((r) => ws.once("open", r));
        ws.send(JSON.stringify({ type: "connection_init" }));
        while (!messages.length) await sleep(5);
        ws.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables: { id: runId } } }));
        // Subscribed once the replayed RUNNING status has arrived.
        while (!messages.some((m) => m.includes('"RUNNING"'))) await sleep(5);
        return { ws, messages, id, completed };
      }),
    );
  }

  /** The worker reports BATCHES one report each, then fails the run (its terminal event ends every stream). */
  async function reportBatchesThenFail(worker: TestWorker, runId: string) {
    for (const batch of BATCHES) expect((await worker.epochs(runId, batch.map((e) => ({ epoch: e, metrics: metrics(e) })))).errors).toBeUndefined();
    expect((await worker.fail(runId, "stopped by the test", "train")).errors).toBeUndefined();
  }

  async function runningRun(epochs = 20) {
    const { id } = (await api.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs, batchSize: 8 }, backends: ["CPU"] } })).launchRun;
    const worker = new TestWorker(api, ["CPU"]);
    await worker.register();
    await worker.claim();
    await worker.start(id);
    return { id: id as string, worker };
  }

  it("delivers in seq order with no gap or duplicate when some events are declined and take the iterator", async () => {
    const { id, worker } = await runningRun();
    const log: { seq: number; via: "now" | "iterator" }[] = [];
    let offered = 0;
    // Sends every event but the third, sixth, ... it is offered (and the rest of its notification), as a subscriber
    // whose backlog comes and goes would.
    const ctx = subscriberContext(ofEvents((events) => {
      let sent = 0;
      for (const e of events) {
        if (++offered % 3 === 0) break;
        log.push({ seq: e.seq, via: "now" });
        sent++;
      }
      return sent;
    }));
    const consumed = (async () => {
      for await (const e of streamRunEvents(ctx, id)) log.push({ seq: e.seq, via: "iterator" });
    })();
    // The replayed status events (QUEUED, PREPARING, RUNNING) come through the iterator; then the stream waits for news.
    while (log.length < 3) await sleep(10);
    await reportBatchesThenFail(worker, id);
    // The terminal StatusChanged ends the stream, whichever way it went.
    await within(consumed, 15_000, () => `the stream did not end after the terminal event; delivered: ${JSON.stringify(log)}`);

    const seqs = log.map((l) => l.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBe(3 + 15 + 1);
    expect(log.filter((l) => l.via === "now").length).toBeGreaterThan(5);
    // Declined events (and any behind them in their notification) went through the iterator, in their place.
    expect(log.slice(3).filter((l) => l.via === "iterator").length).toBeGreaterThan(2);
  });

  it("a report too big for its notification's payload takes the fast lane too: its events are read once for every subscriber", async () => {
    const { id, worker } = await runningRun(80);
    const subscribers = Array.from({ length: 3 }, () => {
      const log: { seq: number; via: "now" | "iterator" }[] = [];
      const seen = new Map<number, RunEventModel>();
      const ctx = subscriberContext(ofEvents((events) => {
        for (const e of events) {
          log.push({ seq: e.seq, via: "now" });
          seen.set(e.seq, e);
        }
        return events.length;
      }));
      const consumed = (async () => {
        for await (const e of streamRunEvents(ctx, id)) log.push({ seq: e.seq, via: "iterator" });
      })();
      return { log, seen, consumed };
    });
    // Replayed: QUEUED, PREPARING, RUNNING.
    for (const s of subscribers) while (s.log.length < 3) await sleep(10);
    const report = (epochs: number[]) => worker.epochs(id, epochs.map((e) => ({ epoch: e, metrics: metrics(e) })));
    // The first report after the subscribers joined holds 60 epochs: about 9 KB of events, past the 7,000 bytes a
    // notification carries (the process knows where the run's events stood from the subscribers' read of the run);
    // then a small one right behind it.
    const big = Array.from({ length: 60 }, (_, i) => i + 1);
    const [bigDone, nextDone] = await Promise.all([report(big), sleep(5).then(() => report([61]))]);
    expect(bigDone.errors).toBeUndefined();
    expect(nextDone.errors).toBeUndefined();
    expect((await worker.fail(id, "stopped by the test", "train")).errors).toBeUndefined();
    await Promise.all(subscribers.map((s) => s.consumed));

    for (const s of subscribers) {
      expect(s.log.map((l) => l.seq)).toEqual(Array.from({ length: 3 + 61 + 1 }, (_, i) => i + 1));
      // Every event of the big report went straight to the socket, none through a read of its own.
      expect(s.log.slice(3, 63).every((l) => l.via === "now")).toBe(true);
    }
    // The same event objects for every subscriber: one read, one execution and serialization for all of them.
    for (const seq of [4, 40, 63]) expect(subscribers[1]!.seen.get(seq)).toBe(subscribers[0]!.seen.get(seq));
  });

  it("over real WebSockets: every subscriber gets graphql-ws's exact messages in order, then complete", async () => {
    const { id, worker } = await runningRun();
    const query = `subscription($id: ID!) { runEvents(runId: $id) { __typename ... on EpochCompleted { epoch metrics seq } ... on StatusChanged { status seq } } }`;
    const clients = await subscribeOverWebSockets(id, query, 12);
    await reportBatchesThenFail(worker, id);
    for (const c of clients) await within(c.completed, 15_000, `no complete on ${c.id}`);

    for (const c of clients) {
      const parsed = c.messages.map((m) => JSON.parse(m));
      // Byte for byte what graphql-ws itself would send (key order, escaping of the id).
      for (const [i, m] of c.messages.entries()) expect(m).toBe(stringifyMessage(parsed[i]));
      expect(parsed[0]).toEqual({ type: MessageType.ConnectionAck });
      const next = parsed.filter((m) => m.type === "next").map((m) => m.payload.data.runEvents);
      expect(parsed.slice(1).every((m) => m.id === c.id)).toBe(true);
      expect(next.map((e) => e.seq)).toEqual(Array.from({ length: next.length }, (_, i) => i + 1));
      expect(next.filter((e) => e.__typename === "EpochCompleted").map((e) => e.epoch)).toEqual(BATCHES.flat());
      expect(next.at(-1)).toMatchObject({ __typename: "StatusChanged", status: "FAILED" });
      expect(parsed.at(-1)).toEqual({ id: c.id, type: "complete" });
      c.ws.close();
    }
  });

  it("runEventBatches: each report's events reach every subscriber as one shared batch, in order, then the stream ends", async () => {
    const { id, worker } = await runningRun();
    const subscribers = Array.from({ length: 2 }, () => {
      const got: { batch: RunEventBatchModel; via: "now" | "iterator" }[] = [];
      const ctx = subscriberContext(ofBatches((batches) => {
        for (const batch of batches) got.push({ batch, via: "now" });
        return batches.length;
      }));
      const consumed = (async () => {
        for await (const batch of streamRunEventBatches(ctx, id)) got.push({ batch, via: "iterator" });
      })();
      return { got, consumed };
    });
    // The replay (QUEUED, PREPARING, RUNNING) is one batch from the database.
    for (const s of subscribers) while (s.got.length < 1) await sleep(10);
    await reportBatchesThenFail(worker, id);
    await within(Promise.all(subscribers.map((s) => s.consumed)), 15_000, "the batch streams did not end after the terminal event");

    for (const s of subscribers) {
      expect(s.got[0]).toMatchObject({ via: "iterator", batch: { runId: id, lastSeq: 3 } });
      expect(s.got[0]!.batch.events.map((e) => e.payload.status)).toEqual(["QUEUED", "PREPARING", "RUNNING"]);
      const live = s.got.slice(1);
      // One batch per report, as the worker sent them, straight from the notification; then the terminal status.
      expect(live.map((g) => g.via)).toEqual(Array(BATCHES.length + 1).fill("now"));
      expect(live.slice(0, -1).map((g) => g.batch.events.map((e) => e.payload.epoch))).toEqual(BATCHES);
      expect(live.at(-1)!.batch.events.map((e) => e.payload.status)).toEqual(["FAILED"]);
      const seqs = s.got.flatMap((g) => g.batch.events.map((e) => e.seq));
      expect(seqs).toEqual(Array.from({ length: 3 + 15 + 1 }, (_, i) => i + 1));
      for (const { batch } of s.got) expect(batch.lastSeq).toBe(batch.events.at(-1)!.seq);
    }
    // The same batch object for both: executed and serialized once for every subscriber of the run.
    for (let i = 1; i < subscribers[0]!.got.length; i++) expect(subscribers[1]!.got[i]!.batch).toBe(subscribers[0]!.got[i]!.batch);
  });

  it("runEventBatches of a finished run: afterSeq replays the rest in one batch (nothing left: it ends), no afterSeq gives the final status", async () => {
    const { id, worker } = await runningRun();
    await reportBatchesThenFail(worker, id);
    const batchesOf = async (afterSeq?: number) => {
      const out: RunEventBatchModel[] = [];
      for await (const b of streamRunEventBatches(subscriberContext(() => 0), id, afterSeq)) out.push(b);
      return out.map((b) => ({ lastSeq: b.lastSeq, seqs: b.events.map((e) => e.seq) }));
    };
    expect(await batchesOf(5)).toEqual([{ lastSeq: 19, seqs: Array.from({ length: 14 }, (_, i) => i + 6) }]);
    expect(await batchesOf(19)).toEqual([]);
    expect(await batchesOf()).toEqual([{ lastSeq: 19, seqs: [19] }]);
    // runEventsAfter at a finished run's last seq ends as well, with nothing (it used to wait for news forever).
    const after: number[] = [];
    for await (const e of streamRunEvents(subscriberContext(() => 0), id, 19)) after.push(e.seq);
    expect(after).toEqual([]);
  });

  it("runEventBatches over real WebSockets: one graphql-ws message per report, byte for byte, then complete; a bad afterSeq or an unknown run is refused", async () => {
    const { id, worker } = await runningRun();
    const query = `subscription($id: ID!) { runEventBatches(runId: $id) { runId lastSeq events { __typename ... on EpochCompleted { epoch metrics seq } ... on StatusChanged { status seq } } } }`;
    const clients = await subscribeOverWebSockets(id, query, 4);
    await reportBatchesThenFail(worker, id);
    for (const c of clients) await within(c.completed, 15_000, `no complete on ${c.id}`);

    for (const c of clients) {
      const parsed = c.messages.map((m) => JSON.parse(m));
      for (const [i, m] of c.messages.entries()) expect(m).toBe(stringifyMessage(parsed[i]));
      const batches = parsed.filter((m) => m.type === "next").map((m) => m.payload.data.runEventBatches);
      // The replay, one message per report, the terminal status.
      expect(batches).toHaveLength(1 + BATCHES.length + 1);
      expect(batches.slice(1, -1).map((b: any) => b.events.map((e: any) => e.epoch))).toEqual(BATCHES);
      expect(batches.flatMap((b: any) => b.events.map((e: any) => e.seq))).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
      expect(batches.every((b: any) => b.runId === id && b.lastSeq === b.events.at(-1).seq)).toBe(true);
      expect(batches.at(-1).events).toEqual([{ __typename: "StatusChanged", status: "FAILED", seq: 19 }]);
      expect(parsed.at(-1)).toEqual({ id: c.id, type: "complete" });
      c.ws.close();
    }

    const client = api.ws();
    const refused = await new Promise<any>((resolve) => {
      client.subscribe({ query: `subscription { runEventBatches(runId: "${id}", afterSeq: -1) { lastSeq } }` }, { next: (v) => resolve(v.errors), error: resolve, complete: () => resolve("complete") });
    });
    expect(refused?.[0]).toMatchObject({ message: expect.stringMatching(/afterSeq must be an integer >= 0/), extensions: { code: "BAD_USER_INPUT" } });
    const unknown = await new Promise<any>((resolve) => {
      client.subscribe({ query: `subscription { runEventBatches(runId: "00000000-0000-4000-8000-000000000009") { lastSeq } }` }, { next: (v) => resolve(v.errors), error: resolve, complete: () => resolve("complete") });
    });
    expect(unknown?.[0]).toMatchObject({ message: expect.stringMatching(/No run/), extensions: { code: "NOT_FOUND" } });
    await client.dispose();
  });

  it("runUpdated: the run's row is read once per notification for every subscriber of the process, and again after the next", async () => {
    const { id, worker } = await runningRun();
    const subscribers = Array.from({ length: 3 }, () => {
      const got: RunRow[] = [];
      const stream = streamRunUpdates(subscriberContext(() => 0), null);
      const consumed = (async () => {
        for await (const run of stream) if (run.id === id) got.push(run);
      })();
      return { got, stream, consumed };
    });
    await sleep(50);
    expect((await worker.epochs(id, [{ epoch: 1, metrics: metrics(1) }])).errors).toBeUndefined();
    for (const s of subscribers) await until(() => s.got.length >= 1, "no runUpdated after the report");
    const [first, ...others] = subscribers.map((s) => s.got[0]!);
    expect(first!.lastEventSeq).toBe(4);
    for (const row of others) expect(row).toBe(first);

    expect((await worker.fail(id, "stopped by the test", "train")).errors).toBeUndefined();
    const failedRow = (s: (typeof subscribers)[number]) => s.got.find((r) => r.status === "FAILED");
    for (const s of subscribers) await until(() => failedRow(s) !== undefined, "no runUpdated after the failure");
    const failed = subscribers.map(failedRow);
    expect(failed[0]).not.toBe(first);
    for (const row of failed.slice(1)) expect(row).toBe(failed[0]);
    for (const s of subscribers) await s.stream.return?.(undefined);
    await Promise.all(subscribers.map((s) => s.consumed));
  });
});

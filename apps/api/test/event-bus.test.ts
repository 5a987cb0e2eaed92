import type { DbHandle } from "@tunelab/db";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { RunEventModel } from "../src/domain/run-event-types";
import { EventBus, type RunNotification } from "../src/pubsub";

/**
 * The bus's ordering around a read it makes for an oversized notification, with the read held open by the test (the
 * real read against PGlite and Postgres: live-fast-lane.test.ts).
 */
function heldHandle() {
  let notify: (payload: string) => void = () => {};
  const reads: { after: unknown; release: (rows: unknown[]) => void }[] = [];
  const chain = {
    from: () => chain,
    where: (condition: unknown) => Object.assign(chain, { condition }),
    orderBy: () => new Promise<unknown[]>((release) => reads.push({ after: (chain as { condition?: unknown }).condition, release })),
  };
  const handle = {
    listen: async (_channel: string, onNotification: (payload: string) => void) => {
      notify = onNotification;
      return async () => {};
    },
    db: { select: () => chain },
  } as unknown as DbHandle;
  return { handle, reads, send: (n: RunNotification) => notify(JSON.stringify(n)) };
}

/** A started bus over the held handle, with one subscriber of run "r" collecting what it is handed. */
async function subscribedBus() {
  const { handle, reads, send } = heldHandle();
  const bus = new EventBus(handle, pino({ level: "silent" }));
  await bus.start();
  const got: RunNotification[] = [];
  bus.onRun("r", (n) => got.push(n));
  return { bus, reads, send, got };
}

const event = (seq: number): RunEventModel => ({ runId: "r", seq, type: "EPOCH", payload: { epoch: seq, metrics: { loss: 1 / seq } }, at: new Date(0) });
const note = (lastSeq: number, events?: RunEventModel[]): RunNotification => ({ runId: "r", projectId: "p", lastSeq, updated: true, ...(events ? { events } : {}) });

describe("EventBus: oversized notifications", () => {
  it("fills one with a read, keeps the run's later notifications behind it in order, and bounds what waits", async () => {
    const { bus, reads, send, got } = await subscribedBus();
    const any: number[] = [];
    bus.onAny((n) => any.push(n.lastSeq));

    send(note(3, [event(3)])); // where the run's events stand
    send(note(40)); // 37 events that did not fit: read
    expect(reads).toHaveLength(1);
    for (let seq = 41; seq <= 340; seq++) send(note(seq, [event(seq)])); // 300 more while the read is open
    expect(got.map((n) => n.lastSeq)).toEqual([3]);
    // runUpdated listeners need no events: they hear of every notification at once.
    expect(any).toHaveLength(302);

    reads[0]!.release(Array.from({ length: 37 }, (_, i) => event(i + 4)));
    await new Promise((r) => setTimeout(r, 10));
    expect(got[1]!.lastSeq).toBe(40);
    expect(got[1]!.events!.map((e) => e.seq)).toEqual(Array.from({ length: 37 }, (_, i) => i + 4));
    // Of the 300 that waited, the newest are delivered in order, at most 256, the last one included.
    const after = got.slice(2).map((n) => n.lastSeq);
    expect(after.length).toBeLessThanOrEqual(256);
    expect(after.at(-1)).toBe(340);
    expect(after).toEqual([...after].sort((a, b) => a - b));
    await bus.close();
  });

  it("fills the first notification after a subscriber joined when it said where the run's events stood", async () => {
    const { bus, reads, send, got } = await subscribedBus();
    bus.noteLastSeq("r", 3);
    send(note(2, [event(2)])); // committed before the subscriber read the run: delivered as it came
    send(note(40));
    expect(reads).toHaveLength(1);
    reads[0]!.release(Array.from({ length: 37 }, (_, i) => event(i + 4)));
    await new Promise((r) => setTimeout(r, 10));
    expect(got.map((n) => [n.lastSeq, n.events?.[0]?.seq ?? null, n.events?.length ?? null])).toEqual([[2, 2, 1], [40, 4, 37]]);
    await bus.close();
  });

  it("delivers the notification as it came when the read fails", async () => {
    const { bus, reads, send, got } = await subscribedBus();
    send(note(1, [event(1)]));
    send(note(80));
    send(note(81, [event(81)]));
    (reads[0]!.release as unknown as (rows: unknown) => void)(Promise.reject(new Error("connection lost")));
    await new Promise((r) => setTimeout(r, 10));
    expect(got.map((n) => [n.lastSeq, n.events?.length ?? null])).toEqual([[1, 1], [80, null], [81, 1]]);
    await bus.close();
  });
});

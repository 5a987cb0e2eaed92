import { type RunRow, runEvents, runs } from "@tunelab/db";
import { and, desc, eq } from "drizzle-orm";
import type { Context } from "../context";
import { isUuid, notFound } from "../errors";
import type { RunNotification } from "../pubsub";
import { readRunEvents } from "./read-run-events";
import { isTerminalEvent, type RunEventBatchModel, type RunEventModel, TERMINAL, toEventModel } from "./run-event-types";

/** Pending notifications per subscriber; past this the subscriber re-reads from the database instead of queueing. */
const MAX_PENDING = 256;
const PAGE = 500;

/**
 * A wake-up signal with bounded memory: notifications carry events when they fit, but the consumer only trusts them
 * when they continue exactly after the last seq it delivered; anything else (overflow, oversized payload, a gap) makes
 * it read the log from the database. Source of truth is run_events.seq, so there is no gap and no duplicate.
 */
class Mailbox<T> {
  private items: T[] = [];
  private overflowed = false;
  private wake: (() => void) | null = null;
  private closed = false;

  push(item: T) {
    if (this.items.length >= MAX_PENDING) {
      this.items = [];
      this.overflowed = true;
    } else this.items.push(item);
    this.wake?.();
  }
  /** The consumer is parked in take() with nothing queued: nothing it was handed is still on its way out. */
  get idle(): boolean {
    return this.wake !== null && this.items.length === 0 && !this.overflowed && !this.closed;
  }
  close() {
    this.closed = true;
    this.wake?.();
  }
  /** Resolves with the queued items ([] + overflow=true means "re-read"), or null when closed. */
  async take(): Promise<{ items: T[]; overflowed: boolean } | null> {
    while (!this.closed && this.items.length === 0 && !this.overflowed) await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
    if (this.closed) return null;
    const out = { items: this.items, overflowed: this.overflowed };
    this.items = [];
    this.overflowed = false;
    return out;
  }
}

function readLog(ctx: Context, runId: string, afterSeq: number, limit = PAGE): Promise<RunEventModel[]> {
  return readRunEvents(ctx.handle.db, runId, afterSeq, { limit });
}

export async function listRunEvents(ctx: Context, runId: string, afterSeq: number, first: number): Promise<RunEventModel[]> {
  if (!isUuid(runId) || !(await ctx.loaders.run.load(runId))) throw notFound("run", runId);
  return readLog(ctx, runId, Math.max(0, afterSeq), Math.min(Math.max(first, 0), 1000));
}

/**
 * How the live fast lane hands a notification's events to the subscriber (Context.deliverNow): one message per event
 * (runEvents) or one for all of them (runEventBatches). Returns how many of the leading events went out.
 */
type SendLive = (deliverNow: NonNullable<Context["deliverNow"]>, events: readonly RunEventModel[]) => number;

/**
 * runEvents: subscribes to notifications first, then replays the log from the database, then streams; every event is
 * delivered exactly once in seq order. Completes after the terminal StatusChanged. For a run that already finished
 * (and no afterSeq), delivers one StatusChanged with the final status and completes.
 */
export function streamRunEvents(ctx: Context, runId: string, afterSeq?: number): AsyncIterableIterator<RunEventModel> {
  const mailbox = new Mailbox<RunNotification>();
  const batches = runEventsGenerator(ctx, runId, afterSeq, mailbox, (deliverNow, events) => deliverNow(events));
  return cancellable(eachEvent(batches), () => mailbox.close());
}

/**
 * runEventBatches: the same events as streamRunEvents, in the same order and with the same end, several to a batch:
 * a notification's events (one report) make one batch, a replayed page another. A fast run's viewer then gets one
 * message per report instead of one per epoch, and the API writes one (docs/benchmarks.md, "Fifteenth session").
 */
export function streamRunEventBatches(ctx: Context, runId: string, afterSeq?: number): AsyncIterableIterator<RunEventBatchModel> {
  const mailbox = new Mailbox<RunNotification>();
  const sendLive: SendLive = (deliverNow, events) => (deliverNow([sharedBatch(runId, events)]) === 1 ? events.length : 0);
  const batches = runEventsGenerator(ctx, runId, afterSeq, mailbox, sendLive);
  return cancellable(mapBatches(batches, (events) => batchOf(runId, events)), () => mailbox.close());
}

/**
 * The batch of a notification's events array, one object for every subscriber of the run in this process: EventBus
 * hands them all the same array, and createSharedSubscribe executes and serializes a root value once per object.
 */
const liveBatches = new WeakMap<readonly RunEventModel[], RunEventBatchModel>();
function sharedBatch(runId: string, events: readonly RunEventModel[]): RunEventBatchModel {
  let batch = liveBatches.get(events);
  if (!batch) liveBatches.set(events, (batch = batchOf(runId, events)));
  return batch;
}

const batchOf = (runId: string, events: readonly RunEventModel[]): RunEventBatchModel => ({ runId, events, lastSeq: events[events.length - 1]!.seq });

/** The events up to and including the run's terminal one (nothing follows it), and whether it is among them. */
function upToTerminal(events: readonly RunEventModel[]): { due: readonly RunEventModel[]; ended: boolean } {
  const end = events.findIndex(isTerminalEvent);
  if (end === -1) return { due: events, ended: false };
  // The same array when the terminal event is last, as it usually is, so the batch stays shared.
  return { due: end === events.length - 1 ? events : events.slice(0, end + 1), ended: true };
}

/** Yields the run's events in batches of consecutive seqs (never empty), and returns after the terminal one. */
async function* runEventsGenerator(
  ctx: Context,
  runId: string,
  afterSeq: number | undefined,
  mailbox: Mailbox<RunNotification>,
  sendLive: SendLive,
): AsyncGenerator<readonly RunEventModel[]> {
  if (!isUuid(runId)) throw notFound("run", runId);
  let last = Math.max(0, afterSeq ?? 0);
  const unsubscribe = ctx.bus.onRun(runId, (n) => {
    if (ctx.deliverNow && mailbox.idle) {
      try {
        if (deliverNow(n, ctx.deliverNow)) return;
      } catch (err) {
        // What was delivered moved `last`; the generator delivers the rest from the mailbox.
        ctx.log.warn({ err, runId }, "live delivery failed; the event goes through the subscription instead");
      }
    }
    mailbox.push(n);
  });
  /**
   * The live fast lane: while the generator waits for news, a notification that carries the next events in order goes
   * straight to the subscriber (Context.deliverNow), synchronously and in seq order, instead of through the mailbox,
   * this generator and graphql-ws one subscriber at a time. Anything else (a gap, events left out of an oversized
   * payload, a declined event and everything after it) takes the mailbox. Returns true when it delivered every event
   * it had to.
   */
  const deliverNow = (n: RunNotification, send: NonNullable<Context["deliverNow"]>): boolean => {
    const events = n.events;
    if (!events?.length || events[events.length - 1]!.seq !== n.lastSeq) return false;
    for (let i = 0; i < events.length; i++) if (events[i]!.seq !== last + 1 + i) return false;
    const { due, ended } = upToTerminal(events);
    const sent = sendLive(send, due);
    if (sent > 0) last = due[sent - 1]!.seq;
    // The run is over: the generator, parked in take(), returns and graphql-ws sends `complete` after these.
    if (ended && sent === due.length) mailbox.close();
    // Declined: the rest go through the generator, which skips what `last` says was delivered.
    return sent === due.length;
  };
  try {
    const [run] = await ctx.handle.db.select().from(runs).where(eq(runs.id, runId));
    if (!run) throw notFound("run", runId);
    ctx.bus.noteLastSeq(runId, run.lastEventSeq);
    if (TERMINAL.has(run.status)) {
      if (afterSeq === undefined) return void (yield [await finalStatusEvent(ctx, run)]);
      // A finished run gets no more events: with nothing left to replay, the stream ends instead of waiting forever.
      if (last >= run.lastEventSeq) return;
    }
    /** Yields up to the terminal event; returns whether it came. */
    const emit = function* (events: readonly RunEventModel[]): Generator<readonly RunEventModel[], boolean> {
      const { due, ended } = upToTerminal(events);
      for (let i = 0; i < due.length; i += PAGE) {
        const part = due.length <= PAGE ? due : due.slice(i, i + PAGE);
        last = part[part.length - 1]!.seq;
        yield part;
      }
      return ended;
    };
    const drain = async function* (): AsyncGenerator<readonly RunEventModel[], boolean> {
      for (;;) {
        const page = await readLog(ctx, runId, last);
        if (yield* emit(page)) return true;
        if (page.length < PAGE) return false;
      }
    };
    if (yield* drain()) return;
    for (;;) {
      const batch = await mailbox.take();
      if (!batch) return;
      const inline = batch.items.flatMap((n) => n.events ?? []).filter((e) => e.seq > last).sort((a, b) => a.seq - b.seq);
      const contiguous = !batch.overflowed && inline.length > 0 && inline[0]!.seq === last + 1 && inline.every((e, i) => e.seq === last + 1 + i);
      const needsRead = batch.overflowed || batch.items.some((n) => n.lastSeq > last) && !contiguous;
      if (contiguous) {
        if (yield* emit(inline)) return;
        const maxSeen = Math.max(...batch.items.map((n) => n.lastSeq));
        if (maxSeen > last && (yield* drain())) return;
      } else if (needsRead) {
        if (yield* drain()) return;
      }
    }
  } finally {
    unsubscribe();
    mailbox.close();
  }
}

/** One event at a time, for runEvents and runEventsAfter; returning early releases the batches' generator. */
async function* eachEvent(batches: AsyncGenerator<readonly RunEventModel[]>): AsyncGenerator<RunEventModel> {
  for await (const batch of batches) yield* batch;
}

async function* mapBatches<T>(batches: AsyncGenerator<readonly RunEventModel[]>, fn: (events: readonly RunEventModel[]) => T): AsyncGenerator<T> {
  for await (const batch of batches) yield fn(batch);
}

async function finalStatusEvent(ctx: Context, run: RunRow): Promise<RunEventModel> {
  const [row] = await ctx.handle.db
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.runId, run.id), eq(runEvents.type, "STATUS")))
    .orderBy(desc(runEvents.seq))
    .limit(1);
  if (row && row.payload.status === run.status) return toEventModel(row);
  return {
    runId: run.id,
    seq: run.lastEventSeq,
    type: "STATUS",
    payload: { status: run.status, error: run.error },
    at: run.finishedAt ?? run.createdAt,
  };
}

/**
 * runUpdated: a run of the project (or any project) changed status, metrics, tags or cancel state. Bursts for one run
 * collapse into one fresh read, so a slow client cannot make memory grow; the read is shared with the process's other
 * runUpdated subscribers (a runs page open in 100 browsers reads a run once per report, not 100 times).
 */
export function streamRunUpdates(ctx: Context, projectId: string | null | undefined): AsyncIterableIterator<RunRow> {
  const state = { closed: false, wake: null as (() => void) | null };
  return cancellable(runUpdatesGenerator(ctx, projectId, state), () => {
    state.closed = true;
    state.wake?.();
  });
}

async function* runUpdatesGenerator(
  ctx: Context,
  projectId: string | null | undefined,
  state: { closed: boolean; wake: (() => void) | null },
): AsyncGenerator<RunRow> {
  if (projectId != null && (!isUuid(projectId) || !(await ctx.loaders.project.load(projectId)))) throw notFound("project", projectId);
  const pending = new Set<string>();
  const unsubscribe = ctx.bus.onAny((n) => {
    if (!n.updated || (projectId != null && n.projectId !== projectId)) return;
    if (pending.size < 10_000) pending.add(n.runId);
    state.wake?.();
  });
  try {
    for (;;) {
      while (pending.size === 0 && !state.closed) await new Promise<void>((r) => (state.wake = r));
      state.wake = null;
      if (state.closed) return;
      const ids = [...pending];
      pending.clear();
      for (const id of ids) {
        // One read per notification for all of this process's runUpdated subscribers (EventBus.readRun).
        const run = await ctx.bus.readRun(id);
        if (run) yield run;
      }
    }
  } finally {
    unsubscribe();
  }
}

/**
 * Wraps a generator so that return() (the client unsubscribed) first calls onCancel, which wakes a generator parked on
 * an await; a plain async generator would only see return() at its next yield and keep its listener until then.
 */
function cancellable<T>(gen: AsyncGenerator<T>, onCancel: () => void): AsyncIterableIterator<T> {
  return {
    next: () => gen.next(),
    return: async (value?: unknown) => {
      onCancel();
      return gen.return(value as T);
    },
    throw: async (err?: unknown) => {
      onCancel();
      return gen.throw(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

import { type RunRow, runEvents, runs } from "@tunelab/db";
import { and, desc, eq } from "drizzle-orm";
import type { Context } from "../context";
import { isUuid, notFound } from "../errors";
import type { RunNotification } from "../pubsub";
import { readRunEvents } from "./read-run-events";
import { isTerminalEvent, type RunEventModel, TERMINAL, toEventModel } from "./run-event-types";

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
 * runEvents: subscribes to notifications first, then replays the log from the database, then streams; every event is
 * delivered exactly once in seq order. Completes after the terminal StatusChanged. For a run that already finished
 * (and no afterSeq), delivers one StatusChanged with the final status and completes.
 */
export function streamRunEvents(ctx: Context, runId: string, afterSeq?: number): AsyncIterableIterator<RunEventModel> {
  const mailbox = new Mailbox<RunNotification>();
  return cancellable(runEventsGenerator(ctx, runId, afterSeq, mailbox), () => mailbox.close());
}

async function* runEventsGenerator(
  ctx: Context,
  runId: string,
  afterSeq: number | undefined,
  mailbox: Mailbox<RunNotification>,
): AsyncGenerator<RunEventModel> {
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
  const deliverNow = (n: RunNotification, send: (events: readonly RunEventModel[]) => number): boolean => {
    const events = n.events;
    if (!events?.length || events[events.length - 1]!.seq !== n.lastSeq) return false;
    for (let i = 0; i < events.length; i++) if (events[i]!.seq !== last + 1 + i) return false;
    // Nothing follows a run's terminal event.
    const end = events.findIndex(isTerminalEvent);
    const due = end === -1 ? events : events.slice(0, end + 1);
    const sent = send(due);
    if (sent > 0) last = due[sent - 1]!.seq;
    // The run is over: the generator, parked in take(), returns and graphql-ws sends `complete` after these.
    if (end !== -1 && sent === due.length) mailbox.close();
    // Declined: the rest go through the generator, which skips what `last` says was delivered.
    return sent === due.length;
  };
  try {
    const [run] = await ctx.handle.db.select().from(runs).where(eq(runs.id, runId));
    if (!run) throw notFound("run", runId);
    ctx.bus.noteLastSeq(runId, run.lastEventSeq);
    if (afterSeq === undefined && TERMINAL.has(run.status)) {
      yield await finalStatusEvent(ctx, run);
      return;
    }
    const drain = async function* (): AsyncGenerator<RunEventModel, boolean> {
      for (;;) {
        const page = await readLog(ctx, runId, last);
        for (const e of page) {
          last = e.seq;
          yield e;
          if (isTerminalEvent(e)) return true;
        }
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
        for (const e of inline) {
          last = e.seq;
          yield e;
          if (isTerminalEvent(e)) return;
        }
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
 * collapse into one fresh read, so a slow client cannot make memory grow.
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
        const [run] = await ctx.handle.db.select().from(runs).where(eq(runs.id, id));
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

import { appendRunEvents, type DbHandle, type RunEventInput, type RunRow, runs, type Tx } from "@tunelab/db";
import { eq, sql } from "drizzle-orm";
import {
  type createSourceEventStream,
  type execute,
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  Kind,
  print,
} from "graphql";
import type { PromiseOrValue } from "graphql/jsutils/PromiseOrValue";
import type { Logger } from "./logger";
import { readRunEvents } from "./domain/read-run-events";
import { type RunEventModel, toEventModel } from "./domain/run-event-types";

/** One Postgres channel carries every run event; payloads name the run, its project and (when small) the events. */
export const RUN_EVENTS_CHANNEL = "tunelab_run_events";
export const MAX_NOTIFY_PAYLOAD = 7000; // NOTIFY allows 8000 bytes

export interface RunNotification {
  runId: string;
  projectId: string;
  /** Highest seq written by the transaction that sent this. */
  lastSeq: number;
  /** The events themselves when they fit in the payload; otherwise subscribers read them from run_events. */
  events?: RunEventModel[];
  /** The run's status or metrics changed (runUpdated subscribers care). */
  updated: boolean;
}

type Handler = (n: RunNotification) => void;

/** Most events one read fills into an oversized notification (a worker sends at most 100 epochs or 200 log lines). */
const MAX_FILL = 1000;
/**
 * Most notifications of one run kept waiting behind a read. Past it only the newest is kept: its lastSeq still tells the
 * subscribers how far the run's events go, and they read what they missed from the table, as after any gap.
 */
const MAX_WAITING = 256;
/** Most runs whose latest row is kept for runUpdated subscribers (the most recently read; older ones are read again). */
const MAX_RUN_READS = 1000;

/**
 * A run with subscribers in this process: the last seq a notification of it announced, and the notifications that
 * arrived while the events of an earlier one were being read (they wait, so subscribers see them in order).
 */
interface RunFeed {
  lastSeq: number;
  waiting: RunNotification[] | null;
}

/**
 * Publishes run events through Postgres LISTEN/NOTIFY, so every API process (and the embedded PGlite process) sees
 * events written by any process. The event log in run_events is the source of truth; a notification only says
 * "there is more after seq N", which lets subscribers fill any gap from the database.
 *
 * A notification whose events did not fit in its payload (a 100-epoch report, a burst of log lines, many metrics per
 * epoch) is filled here with ONE read of run_events for all of the run's subscribers in this process. Without it each
 * subscriber read the events itself and had them executed and serialized for it alone: with 100 subscribers that
 * doubled the API's CPU in a run reporting once a second (docs/benchmarks.md, "Fourteenth session").
 */
export class EventBus {
  private readonly byRun = new Map<string, Set<Handler>>();
  private readonly feeds = new Map<string, RunFeed>();
  private readonly all = new Set<Handler>();
  /** Each run's row as read after its latest notification, shared by the runUpdated subscribers (readRun). */
  private readonly runReads = new Map<string, Promise<RunRow | undefined>>();
  private stop: (() => Promise<void>) | null = null;

  constructor(
    private readonly handle: DbHandle,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.stop = await this.handle.listen(RUN_EVENTS_CHANNEL, (payload) => this.dispatch(payload));
  }

  async close(): Promise<void> {
    await this.stop?.();
    this.byRun.clear();
    this.feeds.clear();
    this.all.clear();
    this.runReads.clear();
  }

  onRun(runId: string, handler: Handler): () => void {
    let set = this.byRun.get(runId);
    if (!set) {
      this.byRun.set(runId, (set = new Set()));
      this.feeds.set(runId, { lastSeq: -1, waiting: null });
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.byRun.get(runId) === set) {
        this.byRun.delete(runId);
        this.feeds.delete(runId);
      }
    };
  }

  /**
   * Where a run's events stood when a subscriber read the run (its lastEventSeq), so that an oversized notification
   * right after the run's first subscriber joined can be filled too. Notifications of earlier transactions end at or
   * below it; later ones start above it.
   */
  noteLastSeq(runId: string, seq: number): void {
    const feed = this.feeds.get(runId);
    if (feed && seq > feed.lastSeq) feed.lastSeq = seq;
  }

  /**
   * The run's row as of its latest notification, read once for every runUpdated subscriber in this process instead of
   * once each: a notification of the run drops the read, so no subscriber gets a row older than the notification that
   * woke it. A failed read is not kept.
   */
  readRun(runId: string): Promise<RunRow | undefined> {
    const kept = this.runReads.get(runId);
    if (kept) return kept;
    const read = this.handle.db
      .select()
      .from(runs)
      .where(eq(runs.id, runId))
      .then((rows) => rows[0]);
    this.runReads.set(runId, read);
    if (this.runReads.size > MAX_RUN_READS) this.runReads.delete(this.runReads.keys().next().value!);
    read.catch(() => {
      if (this.runReads.get(runId) === read) this.runReads.delete(runId);
    });
    return read;
  }

  onAny(handler: Handler): () => void {
    this.all.add(handler);
    return () => this.all.delete(handler);
  }

  private dispatch(payload: string): void {
    let n: RunNotification;
    try {
      n = JSON.parse(payload) as RunNotification;
    } catch {
      this.log.warn({ payload: payload.slice(0, 200) }, "ignoring malformed run event notification");
      return;
    }
    this.runReads.delete(n.runId);
    const feed = this.feeds.get(n.runId);
    if (feed) this.enqueue(n, feed);
    for (const h of this.all) this.call(h, n);
  }

  /** Delivers to the run's subscribers in arrival order, first filling the events an oversized payload left out. */
  private enqueue(n: RunNotification, feed: RunFeed): void {
    if (feed.waiting) {
      if (feed.waiting.length >= MAX_WAITING) feed.waiting.length = 0;
      return void feed.waiting.push(n);
    }
    const after = feed.lastSeq;
    if (n.events || after < 0 || n.lastSeq <= after || n.lastSeq - after > MAX_FILL) return this.deliver(n, feed);
    feed.waiting = [];
    // One array of events shared by every subscriber (one execution, one serialization).
    void readRunEvents(this.handle.db, n.runId, after, { upTo: n.lastSeq }).then(
      (events) => this.deliver({ ...n, events }, feed),
      (err: unknown) => {
        // The subscribers read the events themselves, as they do for any gap.
        this.log.warn({ err, runId: n.runId }, "could not read the events of an oversized notification");
        this.deliver(n, feed);
      },
    ).finally(() => {
      const queued = feed.waiting ?? [];
      feed.waiting = null;
      for (const q of queued) this.enqueue(q, feed);
    });
  }

  private deliver(n: RunNotification, feed: RunFeed): void {
    feed.lastSeq = Math.max(feed.lastSeq, n.lastSeq);
    for (const h of this.byRun.get(n.runId) ?? []) this.call(h, n);
  }

  /** One subscriber's failure must not keep the notification from the others. */
  private call(handler: Handler, n: RunNotification): void {
    try {
      handler(n);
    } catch (err) {
      this.log.error({ err, runId: n.runId }, "run event handler failed");
    }
  }
}

/**
 * Appends events to a run's log and queues the notification in the same transaction: Postgres delivers it on commit,
 * so subscribers never hear of events that were rolled back.
 */
export async function publishRunEvents(
  tx: Tx,
  run: { id: string; projectId: string },
  events: RunEventInput[],
  options: { updated?: boolean } = {},
): Promise<RunEventModel[]> {
  const rows = (await appendRunEvents(tx, run.id, events)).map(toEventModel);
  const updated = options.updated ?? rows.some((e) => e.type === "STATUS" || e.type === "EPOCH");
  await notifyRun(tx, run, rows, updated);
  return rows;
}

/** Notifies without new events (e.g. tags changed): runUpdated subscribers reload the run. */
export async function notifyRun(tx: Tx, run: { id: string; projectId: string }, rows: RunEventModel[], updated: boolean) {
  const base: RunNotification = {
    runId: run.id,
    projectId: run.projectId,
    lastSeq: rows.length ? rows[rows.length - 1]!.seq : 0,
    updated,
  };
  let payload = JSON.stringify({ ...base, events: rows });
  if (Buffer.byteLength(payload) > MAX_NOTIFY_PAYLOAD) payload = JSON.stringify(base);
  await tx.execute(sql`SELECT pg_notify(${RUN_EVENTS_CHANNEL}, ${payload})`);
}

/**
 * Subscription root fields whose source events are the same object for every subscriber of a process (EventBus hands
 * the same events and batches to all; EventBus.readRun the same run row), so one execution can serve them all. Their
 * selections read the context only through what a WebSocket operation's context holds alike for everyone: loaders
 * without a cache (they read the database when executed), the environment, and the base URL of download links, which
 * is part of the share key. Worker tokens guard mutations only.
 */
const SHARED_ROOT_FIELDS = new Set(["runEvents", "runEventsAfter", "runEventBatches", "runUpdated", "__typename"]);

/** The subscriber's end of a graphql-ws connection, as far as writing a `next` message straight to it needs. */
export interface Subscriber {
  /** graphql-ws's id of the subscription on its connection. */
  id: string;
  /** Whether a write now is safe: the socket is open and not backed up (http/coalesce-sends.ts, TextChannel). */
  ready(): boolean;
  /** Sends text messages, each made of its parts, in one write, in order with graphql-ws's. */
  write(messages: readonly (readonly Buffer[])[]): void;
}

export interface SharedSubscribeOptions {
  /** The subscriber behind an operation's context, when the operation came over a WebSocket. */
  subscriberOf?: (contextValue: unknown) => Subscriber | undefined;
}

const CLOSE_BRACE = Buffer.from("}");

/**
 * graphql-ws `subscribe` that executes each source event once per distinct (operation text, operation name, variables,
 * base URL) and hands the same result to every subscriber with that operation. EventBus.dispatch parses a notification
 * once and passes the same event objects to every runEvents subscriber of the run (and EventBus.readRun the same run row
 * to every runUpdated subscriber), so a WeakMap keyed by the event object turns 1,000 executions of one selection into
 * one. Only SHARED_ROOT_FIELDS qualify. Events read from the database (replay, gap fill) are per-subscriber objects and
 * are executed per subscriber as before. graphql-ws never mutates a result (onNext returns a new one), so sharing is
 * safe.
 *
 * With `subscriberOf`, a shared subscription also gets `deliverNow` on its context (Context.deliverNow): the event's
 * `next` message, its payload serialized once per result for every subscriber, written straight to the socket: the same
 * bytes graphql-ws would send.
 * Why: in a CPU profile of the API streaming to 1,000 subscribers, graphql-ws's per-subscriber path (the async
 * iterator chain, onNext, stringifying the same result again, a promise per send) took more of the API's time than the
 * socket writes themselves. A notification's events go out in one socket write. deliverNow returns how many of the
 * leading events it sent: none when the socket is not ready (closing, or backed up past WS_MAX_BUFFERED_BYTES); it
 * stops before a result with errors
 * (onNext formats those). What it did not send takes graphql-ws's path.
 */
export function createSharedSubscribe(
  graphql: { createSourceEventStream: typeof createSourceEventStream; execute: typeof execute },
  options: SharedSubscribeOptions = {},
): (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const results = new WeakMap<object, Map<string, PromiseOrValue<ExecutionResult>>>();
  // Each shared result's JSON, serialized once for all its subscribers.
  const payloads = new WeakMap<ExecutionResult, Buffer>();
  return async (args) => {
    const key = shareKey(args);
    const run = (payload: unknown) => graphql.execute({ ...args, rootValue: payload });
    const map = (payload: unknown): PromiseOrValue<ExecutionResult> => {
      if (key === null || typeof payload !== "object" || payload === null) return run(payload);
      let byKey = results.get(payload);
      if (!byKey) results.set(payload, (byKey = new Map()));
      let result = byKey.get(key);
      if (result === undefined) byKey.set(key, (result = run(payload)));
      return result;
    };
    const subscriber = key === null ? undefined : options.subscriberOf?.(args.contextValue);
    if (subscriber && typeof args.contextValue === "object" && args.contextValue !== null) {
      // graphql-ws's own `next` message for this subscription (stringifyMessage's key order), around the shared payload.
      const prefix = Buffer.from(`{"id":${JSON.stringify(subscriber.id)},"type":"next","payload":`);
      (args.contextValue as { deliverNow?: (events: readonly object[]) => number }).deliverNow = (events) => {
        if (!subscriber.ready()) return 0;
        const messages: Buffer[][] = [];
        for (const event of events) {
          const result = map(event);
          if (isPromiseLike(result) || result.errors?.length) break;
          let payload = payloads.get(result);
          if (payload === undefined) payloads.set(result, (payload = Buffer.from(JSON.stringify(result))));
          messages.push([prefix, payload, CLOSE_BRACE]);
        }
        subscriber.write(messages);
        return messages.length;
      };
    }
    const source = await graphql.createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source as ExecutionResult;
    return mapAsyncIterator(source, map);
  };
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

function shareKey(args: ExecutionArgs): string | null {
  const op = getOperationAST(args.document, args.operationName);
  if (!op || op.operation !== "subscription") return null;
  for (const sel of op.selectionSet.selections) if (sel.kind !== Kind.FIELD || !SHARED_ROOT_FIELDS.has(sel.name.value)) return null;
  const text = args.document.loc?.source.body ?? print(args.document);
  const baseUrl = (args.contextValue as { baseUrl?: unknown } | null | undefined)?.baseUrl ?? null;
  return JSON.stringify([text, args.operationName ?? null, args.variableValues ?? null, baseUrl]);
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof Object(v)[Symbol.asyncIterator] === "function";
}

/** Like graphql-js's own mapAsyncIterator: return()/throw() reach the source so unsubscribing releases it. */
function mapAsyncIterator<T, U>(iterable: AsyncIterable<T>, fn: (v: T) => PromiseOrValue<U>): AsyncIterableIterator<U> {
  const it = iterable[Symbol.asyncIterator]();
  const mapResult = async (r: IteratorResult<T>): Promise<IteratorResult<U>> => {
    if (r.done) return r as IteratorResult<U>;
    try {
      return { value: await fn(r.value), done: false };
    } catch (err) {
      if (typeof it.return === "function") {
        try {
          await it.return();
        } catch {
          // rethrow the original error below
        }
      }
      throw err;
    }
  };
  return {
    next: async () => mapResult(await it.next()),
    return: async () => (typeof it.return === "function" ? mapResult(await it.return()) : { value: undefined as U, done: true }),
    throw: async (err?: unknown) => {
      if (typeof it.throw === "function") return mapResult(await it.throw(err));
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

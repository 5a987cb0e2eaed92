import { makeExecutableSchema } from "@graphql-tools/schema";
import { createSourceEventStream, execute, type ExecutionResult, parse } from "graphql";
import { MessageType, stringifyMessage } from "graphql-ws";
import { describe, expect, it } from "vitest";
import { createSharedSubscribe, type Subscriber } from "../src/pubsub";

/**
 * A tiny schema shaped like the API's: runEvents and runUpdated yield shared objects; otherUpdates, outside the shared
 * fields, does not qualify.
 */
function setup(subscriberOf?: (contextValue: unknown) => Subscriber | undefined) {
  const calls = { epoch: 0, name: 0 };
  const feeds: { runId: string; push: (e: object) => void; end: () => void; returned: boolean }[] = [];
  const feed = (runId: string) => {
    const queue: object[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    const f = { runId, push: (e: object) => (queue.push(e), wake?.()), end: () => ((done = true), wake?.()), returned: false };
    feeds.push(f);
    async function* gen() {
      try {
        for (;;) {
          while (!queue.length && !done) await new Promise<void>((r) => (wake = r));
          if (!queue.length) return;
          yield queue.shift()!;
        }
      } finally {
        f.returned = true;
      }
    }
    return gen();
  };
  const schema = makeExecutableSchema({
    typeDefs: `type Ev { epoch: Int! }  type Run { name: String!  url: String! }
      type Query { x: Int }
      type Subscription { runEvents(runId: ID!): Ev!  runUpdated: Run!  otherUpdates: Run! }`,
    resolvers: {
      Ev: {
        epoch: (e: { epoch: number }) => {
          calls.epoch++;
          if (e.epoch < 0) throw new Error("negative epoch");
          return e.epoch;
        },
      },
      Run: {
        name: (r: { name: string }, _a: unknown, ctx: { who: string }) => (calls.name++, `${r.name}@${ctx.who}`),
        url: (r: { name: string }, _a: unknown, ctx: { baseUrl?: string }) => `${ctx.baseUrl}/runs/${r.name}`,
      },
      Subscription: {
        runEvents: { subscribe: (_p: unknown, a: { runId: string }) => feed(a.runId), resolve: (e: unknown) => e },
        runUpdated: { subscribe: () => feed("any"), resolve: (r: unknown) => r },
        otherUpdates: { subscribe: () => feed("other"), resolve: (r: unknown) => r },
      },
    },
  });
  const subscribe = createSharedSubscribe({ createSourceEventStream, execute }, { subscriberOf });
  const contexts: { who: string; baseUrl: string; deliverNow?: (events: object[]) => number }[] = [];
  const open = async (query: string, variableValues?: Record<string, unknown>, who = "a", baseUrl = "http://api") => {
    const contextValue = { who, baseUrl };
    contexts.push(contextValue);
    return (await subscribe({ schema, document: parse(query), variableValues, contextValue })) as AsyncIterableIterator<ExecutionResult>;
  };
  return { calls, feeds, open, contexts };
}

const Q = "subscription($r: ID!) { runEvents(runId: $r) { epoch } }";

describe("createSharedSubscribe", () => {
  it("executes a shared event once for every subscriber with the same operation and variables", async () => {
    const { calls, feeds, open } = setup();
    const subs = await Promise.all([open(Q, { r: "1" }), open(Q, { r: "1" }), open(Q, { r: "1" })]);
    const ev = { epoch: 7 };
    for (const f of feeds) f.push(ev);
    const results = await Promise.all(subs.map((s) => s.next()));
    expect(results.map((r) => r.value)).toEqual([0, 1, 2].map(() => ({ data: { runEvents: { epoch: 7 } } })));
    expect(calls.epoch).toBe(1);
    // A different event object (e.g. read from the database by one subscriber) executes again.
    feeds[0]!.push({ epoch: 8 });
    expect((await subs[0]!.next()).value).toEqual({ data: { runEvents: { epoch: 8 } } });
    expect(calls.epoch).toBe(2);
  });

  it("keeps distinct operations and variables apart", async () => {
    const { calls, feeds, open } = setup();
    const a = await open(Q, { r: "1" });
    const b = await open(Q, { r: "2" });
    const c = await open("subscription($r: ID!) { runEvents(runId: $r) { epoch __typename } }", { r: "1" });
    const ev = { epoch: 3 };
    for (const f of feeds) f.push(ev);
    expect((await a.next()).value).toEqual({ data: { runEvents: { epoch: 3 } } });
    expect((await b.next()).value).toEqual({ data: { runEvents: { epoch: 3 } } });
    expect((await c.next()).value).toEqual({ data: { runEvents: { epoch: 3, __typename: "Ev" } } });
    expect(calls.epoch).toBe(3);
  });

  it("does not share fields outside the shared ones (their resolvers may read the context)", async () => {
    const { calls, feeds, open } = setup();
    const q = "subscription { otherUpdates { name } }";
    const a = await open(q, undefined, "a");
    const b = await open(q, undefined, "b");
    const run = { name: "r" };
    for (const f of feeds) f.push(run);
    expect((await a.next()).value).toEqual({ data: { otherUpdates: { name: "r@a" } } });
    expect((await b.next()).value).toEqual({ data: { otherUpdates: { name: "r@b" } } });
    expect(calls.name).toBe(2);
  });

  it("shares runUpdated's execution of one run row among subscribers with the same base URL, not across base URLs", async () => {
    const { calls, feeds, open } = setup();
    const q = "subscription { runUpdated { name url } }";
    const a = await open(q, undefined, "a", "http://api");
    const b = await open(q, undefined, "b", "http://api");
    const c = await open(q, undefined, "c", "http://elsewhere:4000");
    const row = { name: "r" };
    for (const f of feeds) f.push(row);
    const [ra, rb, rc] = await Promise.all([a.next(), b.next(), c.next()]);
    expect(ra.value).toEqual({ data: { runUpdated: { name: "r@a", url: "http://api/runs/r" } } });
    // b got a's result: one execution for both (its context differs only in what no shared field reads).
    expect(rb.value).toBe(ra.value);
    expect(rc.value).toEqual({ data: { runUpdated: { name: "r@c", url: "http://elsewhere:4000/runs/r" } } });
    expect(calls.name).toBe(2);
  });

  it("return() reaches the source stream, and the end of the source ends the subscription", async () => {
    const { feeds, open } = setup();
    const a = await open(Q, { r: "1" });
    const b = await open(Q, { r: "1" });
    feeds[0]!.push({ epoch: 1 });
    await a.next();
    await a.return!();
    expect(feeds[0]!.returned).toBe(true);
    feeds[1]!.end();
    expect(await b.next()).toEqual({ value: undefined, done: true });
  });

  it("returns errors of the subscribe step (here a missing variable) as a result", async () => {
    const { open } = setup();
    const r = (await open(Q)) as unknown as ExecutionResult;
    expect(r.errors?.length).toBeGreaterThan(0);
  });

  describe("deliverNow (the live fast lane's write)", () => {
    /** A subscriber whose socket records each write (a list of messages, each a list of parts). */
    const fakeSubscriber = (id: string) => {
      const writes: Buffer[][][] = [];
      const state = { ready: true };
      const sub = { id, ready: () => state.ready, write: (messages: readonly (readonly Buffer[])[]) => void writes.push(messages.map((m) => [...m])) };
      return { sub, state, writes, text: () => writes.map((w) => w.map((parts) => Buffer.concat(parts).toString())) };
    };
    const next = (id: string, epoch: number) => stringifyMessage({ id, type: MessageType.Next, payload: { data: { runEvents: { epoch } } } });

    it("writes graphql-ws's own next messages, a notification's events in one write, each payload serialized once", async () => {
      const subs = new Map<string, ReturnType<typeof fakeSubscriber>>();
      const { calls, open, contexts } = setup((ctx) => subs.get((ctx as { who: string }).who)?.sub);
      for (const [who, id] of [["a", "1"], ["b", 'sub-"7"']] as const) {
        subs.set(who, fakeSubscriber(id));
        await open(Q, { r: "1" }, who);
      }
      const events = [{ epoch: 7 }, { epoch: 8 }];
      expect(contexts.map((c) => c.deliverNow!(events))).toEqual([2, 2]);
      expect(subs.get("a")!.text()).toEqual([[next("1", 7), next("1", 8)]]);
      expect(subs.get("b")!.text()).toEqual([[next('sub-"7"', 7), next('sub-"7"', 8)]]);
      expect(calls.epoch).toBe(2);
      // The payload part is the same buffer for both subscribers: serialized once.
      expect(subs.get("a")!.writes[0]![0]![1]).toBe(subs.get("b")!.writes[0]![0]![1]);
    });

    it("sends nothing to a subscriber that is not ready (closing, backed up), and stops before a result with errors", async () => {
      const f = fakeSubscriber("1");
      const { open, contexts } = setup(() => f.sub);
      await open(Q, { r: "1" });
      const deliver = contexts[0]!.deliverNow!;
      f.state.ready = false;
      expect(deliver([{ epoch: 1 }])).toBe(0);
      expect(f.writes).toEqual([]);
      f.state.ready = true;
      // A resolver error: graphql-ws's onNext formats errors, so that event and the ones after it take its path.
      expect(deliver([{ epoch: 2 }, { epoch: -1 }, { epoch: 3 }])).toBe(1);
      expect(f.text()).toEqual([[next("1", 2)]]);
    });

    it("is only set on shared subscriptions that came with a subscriber", async () => {
      const f = fakeSubscriber("1");
      const { open, contexts } = setup((ctx) => ((ctx as { who: string }).who === "ws" ? f.sub : undefined));
      await open("subscription { otherUpdates { name } }", undefined, "ws");
      await open(Q, { r: "1" }, "http");
      await open(Q, { r: "1" }, "ws");
      expect(contexts.map((c) => typeof c.deliverNow)).toEqual(["undefined", "undefined", "function"]);
    });
  });
});

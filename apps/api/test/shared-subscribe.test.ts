import { makeExecutableSchema } from "@graphql-tools/schema";
import { createSourceEventStream, execute, type ExecutionResult, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { createSharedSubscribe } from "../src/pubsub";

/** A tiny schema shaped like the API's: runEvents yields shared event objects, runUpdated does not qualify. */
function setup() {
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
    typeDefs: `type Ev { epoch: Int! }  type Run { name: String! }
      type Query { x: Int }
      type Subscription { runEvents(runId: ID!): Ev!  runUpdated: Run! }`,
    resolvers: {
      Ev: { epoch: (e: { epoch: number }) => (calls.epoch++, e.epoch) },
      Run: { name: (r: { name: string }, _a: unknown, ctx: { who: string }) => (calls.name++, `${r.name}@${ctx.who}`) },
      Subscription: {
        runEvents: { subscribe: (_p: unknown, a: { runId: string }) => feed(a.runId), resolve: (e: unknown) => e },
        runUpdated: { subscribe: () => feed("any"), resolve: (r: unknown) => r },
      },
    },
  });
  const subscribe = createSharedSubscribe({ createSourceEventStream, execute });
  const open = async (query: string, variableValues?: Record<string, unknown>, who = "a") =>
    (await subscribe({ schema, document: parse(query), variableValues, contextValue: { who } })) as AsyncIterableIterator<ExecutionResult>;
  return { calls, feeds, open };
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

  it("does not share fields outside runEvents (their resolvers may read the context)", async () => {
    const { calls, feeds, open } = setup();
    const q = "subscription { runUpdated { name } }";
    const a = await open(q, undefined, "a");
    const b = await open(q, undefined, "b");
    const run = { name: "r" };
    for (const f of feeds) f.push(run);
    expect((await a.next()).value).toEqual({ data: { runUpdated: { name: "r@a" } } });
    expect((await b.next()).value).toEqual({ data: { runUpdated: { name: "r@b" } } });
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
});

import { createDb } from "@tunelab/db";
import { createTestDb, type TestDb } from "@tunelab/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, datasetId, startTestApi, type TestApi } from "./helpers";
import { LAUNCH, RUN_EVENTS, TestWorker } from "./worker-client";

// Concurrency semantics (SKIP LOCKED, LISTEN/NOTIFY across connections) need a real Postgres server.
describe.runIf(process.env.TEST_DATABASE_URL)("two API processes on one Postgres", () => {
  let db: TestDb;
  let a: TestApi;
  let b: TestApi;
  let irisId: string;

  beforeAll(async () => {
    db = await createTestDb("postgres");
    // Two API servers, each with its own connection pool and LISTEN connection to the same database.
    a = await startTestApi({ db, ownsDb: false });
    const second = await createDb({ databaseUrl: db.url! });
    b = await startTestApi({ db: second, ownsDb: true });
    irisId = await datasetId(a);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.close();
  });

  it("3 claimers, 30 queued runs: every run claimed exactly once", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await a.q<any>(LAUNCH, { i: { datasetId: irisId, name: `contention-${i}`, config: { learningRate: 0.01, epochs: 1, batchSize: 8 }, backends: ["WASM"] } });
      ids.add(r.launchRun.id);
    }
    const claimers = [new TestWorker(a, ["WASM"], "c1"), new TestWorker(b, ["WASM"], "c2"), new TestWorker(b, ["WASM"], "c3")];
    for (const c of claimers) await c.register();
    const claimed: string[][] = [[], [], []];
    await Promise.all(
      claimers.map(async (c, i) => {
        for (;;) {
          const got = await c.claim();
          if (!got) return;
          claimed[i]!.push(got.run.id);
        }
      }),
    );
    const all = claimed.flat();
    expect(all.length).toBe(30);
    expect(new Set(all)).toEqual(ids);
    expect(claimed.every((list) => list.length > 0)).toBe(true);
    const counts = await db.query<{ status: string; attempt: number; n: number }>(
      "SELECT status::text, attempt, count(*)::int AS n FROM runs WHERE name LIKE 'contention-%' GROUP BY 1, 2",
    );
    expect(counts).toEqual([{ status: "PREPARING", attempt: 1, n: 30 }]);
  });

  it("a subscriber on one process receives events reported through the other", async () => {
    const { id } = (await a.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs: 3, batchSize: 8 }, backends: ["WEBGPU"] } })).launchRun;
    const onA = collect(a.ws(), RUN_EVENTS, { id }, () => false);
    const updates = collect(a.ws(), `subscription { runUpdated { id status } }`, {}, (ev) => ev.some((e) => e.runUpdated.id === id && e.runUpdated.status === "SUCCEEDED"));
    await new Promise((r) => setTimeout(r, 300));
    const worker = new TestWorker(b, ["WEBGPU"]); // every worker call goes to process B
    await worker.register();
    expect((await worker.claim()).run.id).toBe(id);
    await worker.start(id);
    for (let e = 1; e <= 3; e++) await worker.epochs(id, [{ epoch: e, metrics: { loss: 1 / e, acc: e / 4 } }]);
    await worker.evaluate(id);
    expect((await worker.complete(id)).data.completeRun.status).toBe("SUCCEEDED");
    const events = (await onA.done).map((e) => e.runEvents);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(events.filter((e) => e.__typename === "EpochCompleted").map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(events.at(-1)).toMatchObject({ __typename: "StatusChanged", status: "SUCCEEDED" });
    await updates.done;
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { buildClientSchema, findBreakingChanges, getIntrospectionQuery, type IntrospectionQuery } from "graphql";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadContractSchema, printMergedSchema } from "../src/schema/load-schema";
import { datasetId, importTinyModel, startTestApi, type TestApi, tinyModelBundle } from "./helpers";
import { LAUNCH, TestWorker } from "./worker-client";

describe("queries, schema and HTTP surface", () => {
  let api: TestApi;
  let irisId: string;
  let modelId: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    irisId = await datasetId(api);
    modelId = (await importTinyModel(api)).id;
    for (let i = 0; i < 12; i++) {
      const r = await api.q<any>(LAUNCH, {
        i: {
          name: `q-run-${String(i).padStart(2, "0")}`,
          datasetId: irisId,
          baseModelId: i % 2 ? modelId : null,
          config: { learningRate: i % 3 ? 0.01 : 0.001, epochs: 100, batchSize: 8, seed: 1 },
          tags: [`t${i % 3}`],
          backends: ["CPU"],
        },
      });
      runIds.push(r.launchRun.id);
    }
  });
  afterAll(async () => {
    await api?.close();
  });

  it("serves the contract without breaking changes, and the committed schema.graphql is current", async () => {
    const intro = await api.q<IntrospectionQuery>(getIntrospectionQuery());
    const served = buildClientSchema(intro);
    expect(findBreakingChanges(await loadContractSchema(), served)).toEqual([]);
    const committed = await readFile(new URL("../schema.graphql", import.meta.url), "utf8");
    expect(committed).toContain(await printMergedSchema());
    // The contract file is a verbatim copy of the shared contract.
    const shared = await readFile(new URL("../../../../shared/contract/schema.graphql", import.meta.url), "utf8").catch(() => null);
    if (shared) expect(await readFile(new URL("../src/schema/contract.graphql", import.meta.url), "utf8")).toBe(shared);
  });

  it("resolves a page of runs with nested fields in a constant number of queries (DataLoader, no N+1)", async () => {
    const pglite = api.handle.pglite!;
    const original = pglite.query.bind(pglite);
    let count = 0;
    (pglite as any).query = (...args: Parameters<typeof original>) => {
      count++;
      return original(...args);
    };
    const page = async (first: number) => {
      count = 0;
      const d = await api.q<any>(
        `query($n: Int) { runs(first: $n, orderBy: { field: NAME, direction: ASC }) { totalCount edges { node { id
          project { name runCount } dataset { name } baseModel { name artifact { sha256 } children { id } } outputModel { id }
          worker { id } summary { key } evaluation { accuracy } metrics(maxPoints: 10) { key } config { learningRate } } } } }`,
        { n: first },
      );
      return { n: d.runs.edges.length, queries: count };
    };
    try {
      const small = await page(3);
      const large = await page(12);
      expect(small.n).toBe(3);
      expect(large.n).toBe(12);
      expect(large.queries).toBe(small.queries);
      expect(large.queries).toBeLessThanOrEqual(14);
    } finally {
      (pglite as any).query = original;
    }
  });

  it("paginates with stable cursors in every order, with totalCount", async () => {
    for (const orderBy of [
      { field: "NAME", direction: "ASC" },
      { field: "CREATED_AT", direction: "DESC" },
      { field: "STATUS", direction: "ASC" },
      { field: "METRIC", direction: "DESC", metricKey: "val_acc" },
    ]) {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const d: any = await api.q(
          `query($o: RunOrder, $a: String) { runs(filter: { nameContains: "q-run-" }, orderBy: $o, first: 5, after: $a) { totalCount pageInfo { endCursor hasNextPage } edges { node { id name } } } }`,
          { o: orderBy, a: after },
        );
        expect(d.runs.totalCount).toBe(12);
        seen.push(...d.runs.edges.map((e: any) => e.node.id));
        if (!d.runs.pageInfo.hasNextPage) break;
        after = d.runs.pageInfo.endCursor;
      }
      expect(seen.length, JSON.stringify(orderBy)).toBe(12);
      expect(new Set(seen).size).toBe(12);
    }
    const byName = await api.q<any>(`{ runs(filter: { nameContains: "q-run-" }, orderBy: { field: NAME, direction: DESC }, first: 2) { edges { node { name } } } }`);
    expect(byName.runs.edges.map((e: any) => e.node.name)).toEqual(["q-run-11", "q-run-10"]);
  });

  it("orders by a metric across runs with and without a value, page by page, with filters and totalCount", async () => {
    // 7 of the 12 runs get a "bench_score" (two share one value, so run_id breaks the tie); 5 have none and sort last.
    const scored = runIds.slice(0, 7).map((id, i) => ({ id, best: [0.5, 0.25, 0.75, 0.5, 1, 0, -2][i]! }));
    for (const s of scored)
      await api.handle.db.execute(sql`INSERT INTO metric_summaries (run_id, key, last, last_step, min, max, best, best_step, count, lower_is_better)
        VALUES (${s.id}::uuid, 'bench_score', ${s.best}, 1, ${s.best}, ${s.best}, ${s.best}, 1, 1, false)`);
    const unscored = runIds.slice(7);
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    for (const direction of ["ASC", "DESC"] as const) {
      const sign = direction === "DESC" ? -1 : 1;
      const expected = [
        ...[...scored].sort((a, b) => sign * (a.best - b.best) || sign * cmp(a.id, b.id)).map((s) => s.id),
        ...[...unscored].sort((a, b) => sign * cmp(a, b)),
      ];
      for (const first of [1, 3, 7, 12]) {
        const seen: string[] = [];
        let after: string | null = null;
        for (;;) {
          const d: any = await api.q(
            `query($o: RunOrder, $a: String, $n: Int) { runs(filter: { nameContains: "q-run-" }, orderBy: $o, first: $n, after: $a) { totalCount pageInfo { endCursor hasNextPage } edges { node { id } } } }`,
            { o: { field: "METRIC", direction, metricKey: "bench_score" }, a: after, n: first },
          );
          expect(d.runs.totalCount).toBe(12);
          seen.push(...d.runs.edges.map((e: any) => e.node.id));
          if (!d.runs.pageInfo.hasNextPage) break;
          after = d.runs.pageInfo.endCursor;
        }
        expect(seen, `${direction} first ${first}`).toEqual(expected);
      }
    }
    // Filters apply in both phases: status enum array, learning rate and a metric filter.
    const filtered = await api.q<any>(
      `{ runs(filter: { nameContains: "q-run-", status: [QUEUED, RUNNING], learningRateLte: 0.001 }, orderBy: { field: METRIC, direction: DESC, metricKey: "bench_score" }) { totalCount edges { node { id config { learningRate } } } } }`,
    );
    const lowLr = runIds.filter((_, i) => i % 3 === 0);
    expect(filtered.runs.totalCount).toBe(lowLr.length);
    expect(new Set(filtered.runs.edges.map((e: any) => e.node.id))).toEqual(new Set(lowLr));
    const withMetric = await api.q<any>(
      `{ runs(filter: { nameContains: "q-run-", metric: [{ key: "bench_score", gte: 0.5 }] }, orderBy: { field: METRIC, direction: ASC, metricKey: "bench_score" }) { totalCount edges { node { id } } } }`,
    );
    expect(withMetric.runs.totalCount).toBe(4);
    expect(withMetric.runs.edges.map((e: any) => e.node.id)).toEqual(
      scored.filter((s) => s.best >= 0.5).sort((a, b) => a.best - b.best || cmp(a.id, b.id)).map((s) => s.id),
    );
    // Metric conditions alone are counted from the summaries (find-runs.ts, metricOnlyCountSql): the same counts as with
    // a filter on the runs too, for one condition and for two on the same key.
    for (const [metric, expected] of [
      [[{ key: "bench_score", gte: 0.5 }], 4],
      [[{ key: "bench_score", gte: 0.25 }, { key: "bench_score", lt: 1 }], 4],
      [[{ key: "bench_score", gt: 5 }], 0],
    ] as const) {
      const count = async (filter: Record<string, unknown>) =>
        (await api.q<any>(`query($f: RunFilter) { runs(filter: $f, first: 1) { totalCount edges { node { id } } } }`, { f: filter })).runs.totalCount;
      expect(await count({ metric })).toBe(expected);
      expect(await count({ metric, nameContains: "q-run-" })).toBe(expected);
    }
    const none = await api.q<any>(`{ runs(filter: { nameContains: "q-run-", status: [SUCCEEDED] }, orderBy: { field: METRIC, direction: ASC, metricKey: "bench_score" }) { totalCount edges { node { id } } } }`);
    expect(none.runs).toEqual({ totalCount: 0, edges: [] });
    await api.handle.db.execute(sql`DELETE FROM metric_summaries WHERE key = 'bench_score'`);
  });

  it("downsamples metrics on the server keeping last/min/max per bucket, so a spike survives", async () => {
    const worker = new TestWorker(api, ["CPU"]);
    await worker.register();
    const claimed = await worker.claim();
    const id = claimed.run.id;
    await worker.start(id);
    const epochs = Array.from({ length: 100 }, (_, i) => ({ epoch: i + 1, metrics: { loss: i + 1 === 37 ? 99 : 1 / (i + 1), val_acc: (i + 1) / 100 } }));
    for (let i = 0; i < 100; i += 25) expect((await worker.epochs(id, epochs.slice(i, i + 25))).errors).toBeUndefined();
    const d = await api.q<any>(`query($id: ID!) { run(id: $id) { full: metrics(keys: ["loss"]) { points { step } } ds: metrics(keys: ["loss"], maxPoints: 10) { key points { step value min max } } summary { key max lastStep } } }`, { id });
    expect(d.run.full[0].points).toHaveLength(100);
    const pts = d.run.ds[0].points;
    expect(pts.length).toBeLessThanOrEqual(10);
    expect(Math.max(...pts.map((p: any) => p.max))).toBe(99);
    expect(pts.at(-1)).toMatchObject({ step: 100, value: 0.01 });
    expect(d.run.summary.find((s: any) => s.key === "loss")).toMatchObject({ max: 99, lastStep: 100 });
    await worker.fail(id, "stop", "train");
  });

  it("compareRuns lists only the config keys that differ", async () => {
    const d = await api.q<any>(`query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id } differences { key values } } }`, { ids: [runIds[1], runIds[2], runIds[3]] });
    expect(d.compareRuns.runs.map((r: any) => r.id)).toEqual([runIds[1], runIds[2], runIds[3]]);
    const keys = d.compareRuns.differences.map((x: any) => x.key);
    expect(keys).toContain("baseModel");
    expect(keys).toContain("learningRate");
    expect(keys).not.toContain("epochs");
    expect(keys).not.toContain("dataset");
    expect(d.compareRuns.differences.find((x: any) => x.key === "learningRate").values).toEqual([0.01, 0.01, 0.001]);
  });

  it("imports a model from an http URL (model.json + weights next to it), and serves GraphiQL, CORS and healthz", async () => {
    const files = new Map<string, Uint8Array>();
    // Unpack our tiny bundle into model.json + weights.bin served by a local HTTP server.
    const { unpackTar } = await import("@tunelab/trainer/models");
    for (const [name, data] of unpackTar(tinyModelBundle(3))) files.set(`/m/${name}`, data);
    const http = createServer((req, res) => {
      const f = files.get(req.url ?? "");
      res.writeHead(f ? 200 : 404);
      res.end(f ?? "");
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/m/model.json`;
      const m = await api.q<any>(`mutation($i: ImportModelInput!) { importModel(input: $i) { name version kind classNames layers { name params } totalParams metadata artifact { downloadUrl } } }`, {
        i: { name: "from-url", task: "TABULAR_CLASSIFICATION", url },
      });
      expect(m.importModel).toMatchObject({ name: "from-url", version: 1, kind: "BASE", classNames: ["class_0", "class_1", "class_2"], totalParams: 35 });
      expect(m.importModel.layers).toEqual([{ name: "hidden", params: 20 }, { name: "head", params: 15 }]);
      const again = await api.q<any>(`mutation($i: ImportModelInput!) { importModel(input: $i) { version } }`, { i: { name: "from-url", task: "TABULAR_CLASSIFICATION", url } });
      expect(again.importModel.version).toBe(2);
      const dl = await fetch(m.importModel.artifact.downloadUrl);
      expect(dl.headers.get("content-disposition")).toMatch(/attachment/);
    } finally {
      http.close();
    }

    const page = await fetch(`${api.url}/graphql`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/graphiql/assets/graphiql.js");
    expect(html).not.toMatch(/https?:\/\/(unpkg|cdn|jsdelivr)/);
    for (const asset of ["graphiql.js", "graphiql.css", "react.js", "react-dom.js"]) expect((await fetch(`${api.url}/graphiql/assets/${asset}`)).status).toBe(200);

    const pre = await fetch(`${api.url}/graphql`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const evil = await fetch(`${api.url}/graphql`, { method: "POST", headers: { origin: "https://evil.example", "content-type": "application/json" }, body: '{"query":"{ projects { id } }"}' });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect(await (await fetch(`${api.url}/healthz`)).json()).toEqual({ ok: true, database: "pglite" });
  });
});

import { REPORT_ROLLUPS_ABOVE_EPOCHS, rowsOf } from "@tunelab/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsonText } from "../src/json-text";
import { NumberList } from "../src/resolvers/scalars";
import { datasetId, startTestApi, type TestApi } from "./helpers";
import { LAUNCH, TestWorker } from "./worker-client";

/** Downsampled reads from the write-time rollups (metric_rollups), and from the points where a series has none. */
describe("metric rollups", () => {
  let api: TestApi;
  let worker: TestWorker;
  let irisId: string;
  let runId: string;
  const value = (step: number) => (step === 137 ? 99 : step === 211 ? -5 : 1 / step);
  const epochs = Array.from({ length: 300 }, (_, i) => ({ epoch: i + 1, metrics: { loss: value(i + 1), val_acc: (i + 1) / 300 } }));

  beforeAll(async () => {
    api = await startTestApi();
    irisId = await datasetId(api);
    await api.q<any>(LAUNCH, {
      i: { name: "rollup-run", datasetId: irisId, config: { learningRate: 0.01, epochs: 300, batchSize: 8, seed: 1 }, backends: ["CPU"] },
    });
    worker = new TestWorker(api, ["CPU"]);
    await worker.register();
    runId = (await worker.claim()).run.id;
    await worker.start(runId);
    // Reports keep rollups only for a run configured for more epochs than the API allows (an imported or future run).
    await api.handle.db.execute(sql`UPDATE runs SET epochs = ${REPORT_ROLLUPS_ABOVE_EPOCHS + 1} WHERE id = ${runId}::uuid`);
    // Out of order and with a retried batch: the rollups count each point once.
    for (const [a, b] of [[100, 300], [0, 100], [50, 150]] as const) expect((await worker.epochs(runId, epochs.slice(a, b))).errors).toBeUndefined();
  });
  afterAll(async () => {
    await api?.close();
  });

  const read = async (maxPoints: number | null, id = runId) =>
    (
      await api.q<any>(`query($id: ID!, $m: Int) { run(id: $id) { metrics(keys: ["loss", "val_acc"], maxPoints: $m) { key points { step value min max } } } }`, {
        id,
        m: maxPoints,
      })
    ).run.metrics as { key: string; points: { step: number; value: number; min: number; max: number }[] }[];

  const checkDownsampled = (series: Awaited<ReturnType<typeof read>>, maxPoints: number) => {
    const loss = series.find((s) => s.key === "loss")!.points;
    expect(loss.length).toBeLessThanOrEqual(maxPoints);
    expect(loss.length).toBeGreaterThan(1);
    expect(Math.max(...loss.map((p) => p.max))).toBe(99);
    expect(Math.min(...loss.map((p) => p.min))).toBe(-5);
    expect(loss.at(-1)).toMatchObject({ step: 300, value: 1 / 300 });
    const steps = loss.map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    for (const p of loss) expect(p.value).toBe(value(p.step));
    expect(series.map((s) => s.key)).toEqual(["loss", "val_acc"]);
  };

  it("returns the stored points when they fit, and downsamples from rollups (merging buckets) with spikes kept", async () => {
    const full = await read(null);
    expect(full[0]!.points).toHaveLength(300);
    expect(full[0]!.points.map((p) => p.step)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect((await read(300))[0]!.points).toHaveLength(300);
    for (const m of [10, 19, 50, 299]) checkDownsampled(await read(m), m);
    const counts = await api.handle.db.execute(sql`SELECT width, sum(count)::int AS n FROM metric_rollups WHERE run_id = ${runId}::uuid AND key = 'loss' GROUP BY width`);
    const rows = (Array.isArray(counts) ? counts : (counts as any).rows) as { n: number }[];
    expect(rows.map((r) => r.n)).toEqual([300, 300, 300, 300, 300]);
  });

  it("serves the same points as columns (MetricColumns), each column one JSON array", async () => {
    const both = async (m: number | null) =>
      (
        await api.q<any>(
          `query($id: ID!, $m: Int) { run(id: $id) { metrics(maxPoints: $m) { key points { step value min max } columns { steps values mins maxs } } } }`,
          { id: runId, m },
        )
      ).run.metrics as { key: string; points: { step: number; value: number; min: number; max: number }[]; columns: Record<"steps" | "values" | "mins" | "maxs", number[]> }[];
    for (const m of [null, 19]) {
      const series = await both(m);
      expect(series.map((s) => s.key)).toEqual(["loss", "val_acc"]);
      for (const s of series) {
        expect(s.columns).toEqual({
          steps: s.points.map((p) => p.step),
          values: s.points.map((p) => p.value),
          mins: s.points.map((p) => p.min),
          maxs: s.points.map((p) => p.max),
        });
        expect(s.columns.steps.length).toBe(m ?? 300);
      }
      // Postgres's float8 text parses back to the very numbers reported.
      const loss = series.find((s) => s.key === "loss")!.columns;
      loss.steps.forEach((step, i) => expect(loss.values[i]).toBe(value(step)));
    }
    // On the wire: four plain arrays of numbers.
    const res = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ run(id: "${runId}") { metrics(keys: ["val_acc"], maxPoints: 3) { columns { steps values } } } }` }),
    });
    const text = await res.text();
    expect(text).toMatch(/"columns":\{"steps":\[\d+,\d+,\d+\],"values":\[[\d.e-]+,[\d.e-]+,[\d.e-]+\]\}/);
  });

  it("writes plain `points` selections as JSON text, exactly as graphql-js writes them", async () => {
    const text = async (selection: string, m: number | null, extra = "") => {
      const res = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `query($id: ID!, $m: Int) { run(id: $id) { metrics(maxPoints: $m) { key points ${selection} } } } ${extra}`, variables: { id: runId, m } }),
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    for (const m of [null, 19]) {
      const plain = await text("{ step value min max }", m);
      // __typename, an alias or a fragment leave the selection to graphql-js: the reference.
      const reference = JSON.parse(await text("{ step value min max __typename }", m));
      for (const s of reference.data.run.metrics) for (const p of s.points) delete p.__typename;
      expect(JSON.parse(plain)).toEqual(reference);
      expect(JSON.parse(await text("{ ...P }", m, "fragment P on MetricPoint { step value min max }"))).toEqual(reference);
      const aliased = JSON.parse(await text("{ step v: value }", m));
      expect(JSON.parse(await text("{ step value step }", m)).data.run.metrics).toEqual(
        aliased.data.run.metrics.map((s: any) => ({ key: s.key, points: s.points.map((p: any) => ({ step: p.step, value: p.v })) })),
      );
      // Fields in the order asked for, as graphql-js writes them.
      expect(await text("{ max step }", m)).toMatch(/"points":\[\{"max":[\d.e-]+,"step":\d+\},/);
    }
  });

  it("NumberList carries finite numbers only, as Float does, and never comes in", () => {
    expect(NumberList.serialize([1, 2.5, -3e-7])).toEqual([1, 2.5, -3e-7]);
    for (const bad of [[1, Number.NaN], [Number.POSITIVE_INFINITY], ["1"], "1,2"]) expect(() => NumberList.serialize(bad)).toThrow(/NumberList cannot represent/);
    expect(() => NumberList.parseValue([1])).toThrow(/output type only/);
    const text = new JsonText("[1,2.5]");
    expect(NumberList.serialize(text)).toBe(text);
    expect(() => NumberList.serialize(new JsonText('[1,"NaN"]'))).toThrow(/NumberList cannot represent NaN/);
  });

  it("keeps no rollups for a run the API launched, and reads one whose rollups stopped halfway from its points", async () => {
    await api.q<any>(LAUNCH, {
      i: { name: "short-run", datasetId: irisId, config: { learningRate: 0.01, epochs: 300, batchSize: 8, seed: 1 }, backends: ["CPU"] },
    });
    const shortId: string = (await worker.claim()).run.id;
    await worker.start(shortId);
    // As a run reported across migration 0008: epochs 1-150 while rollups were kept, 151-300 after (spike at 211, last
    // point at 300 only in the points). Trusting those rollups would lose both.
    await api.handle.db.execute(sql`UPDATE runs SET epochs = ${REPORT_ROLLUPS_ABOVE_EPOCHS + 1} WHERE id = ${shortId}::uuid`);
    expect((await worker.epochs(shortId, epochs.slice(0, 150))).errors).toBeUndefined();
    await api.handle.db.execute(sql`UPDATE runs SET epochs = 300 WHERE id = ${shortId}::uuid`);
    const before = rowsOf(await api.handle.db.execute(sql`SELECT count(*)::int AS n FROM metric_rollups WHERE run_id = ${shortId}::uuid`));
    expect((await worker.epochs(shortId, epochs.slice(150))).errors).toBeUndefined();
    const after = rowsOf(await api.handle.db.execute(sql`SELECT count(*)::int AS n FROM metric_rollups WHERE run_id = ${shortId}::uuid`));
    expect(after).toEqual(before);
    for (const m of [10, 50]) checkDownsampled(await read(m, shortId), m);
    expect((await read(null, shortId))[0]!.points).toHaveLength(300);
  });

  it("downsamples from the points when a series has no rollups (written around recordMetricPoints)", async () => {
    await api.handle.db.execute(sql`DELETE FROM metric_rollups WHERE run_id = ${runId}::uuid`);
    for (const m of [10, 50]) checkDownsampled(await read(m), m);
    expect((await read(null))[0]!.points).toHaveLength(300);
  });

  it("refuses a non-finite stored point in columns as in points (Postgres writes it as a JSON string)", async () => {
    await api.handle.db.execute(sql`INSERT INTO metric_points (run_id, key, step, value) VALUES (${runId}::uuid, 'odd', 1, 'NaN'), (${runId}::uuid, 'odd', 2, 0.5)`);
    await api.handle.db.execute(sql`INSERT INTO metric_summaries (run_id, key, last, last_step, min, max, best, best_step, count, lower_is_better)
      VALUES (${runId}::uuid, 'odd', 0.5, 2, 0.5, 0.5, 0.5, 2, 2, true)`);
    try {
      const ask = (shape: string) => api.gql<any>(`query($id: ID!) { run(id: $id) { metrics(keys: ["odd"]) { key ${shape} } } }`, { id: runId });
      // Stored data the API cannot represent is its own fault: an internal error (logged) at the field, never a NaN sent.
      for (const [shape, path] of [["columns { values }", ["run", "metrics", 0, "columns", "values"]], ["points { value }", ["run", "metrics", 0, "points", 0, "value"]]] as const) {
        const { data, errors } = await ask(shape);
        expect(errors?.map((e: any) => [e.path, e.extensions?.code])).toEqual([[path, "INTERNAL_SERVER_ERROR"]]);
        expect(data).toEqual({ run: null });
      }
      expect((await ask("columns { steps }")).data?.run.metrics).toEqual([{ key: "odd", columns: { steps: [1, 2] } }]);
    } finally {
      await api.handle.db.execute(sql`DELETE FROM metric_points WHERE run_id = ${runId}::uuid AND key = 'odd'`);
      await api.handle.db.execute(sql`DELETE FROM metric_summaries WHERE run_id = ${runId}::uuid AND key = 'odd'`);
    }
  });
});

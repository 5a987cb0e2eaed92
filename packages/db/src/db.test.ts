import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb } from "./create-db";
import { migrationsFolder } from "./migrations";
import { DatabaseConnectionError, sqlErrorOf } from "./errors";
import { datasets, evaluations, metricPoints, metricRollups, metricSummaries, models, projects, REPORT_ROLLUPS_ABOVE_EPOCHS, runEvents, runs, workers, workerTokens } from "./schema";
import { createTestDb, testDrivers, type TestDb } from "./testing";
import { holdRun, seedRunGraph, sqlState } from "./test-fixtures";
import { appendRunEvents } from "./writes/events";
import { rebuildMetricRollups, recordMetricPoints } from "./writes/metrics";
import { EpochOutOfRangeError, reportEpochsAtomically, reportEpochsBatch } from "./writes/report-epochs";
import { type ReportedEvent, reportEventsAtomically } from "./writes/report-events";
import { ReportQueue } from "./writes/report-queue";

describe.each(testDrivers())("data layer on %s", (driver) => {
  let h: TestDb;
  beforeEach(async () => {
    h = await createTestDb(driver);
  });
  afterEach(async () => {
    await h?.close();
  });

  it("has every table after migrating from empty, and migrating again changes nothing", async () => {
    const tables = async () =>
      (
        await h.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        )
      ).map((r) => r.table_name);
    const before = await tables();
    expect(before).toEqual(
      expect.arrayContaining([
        "artifacts",
        "datasets",
        "evaluations",
        "metric_points",
        "metric_rollups",
        "metric_summaries",
        "models",
        "projects",
        "run_events",
        "runs",
        "worker_tokens",
        "workers",
      ]),
    );
    const applied = async () => (await h.query<{ n: number }>("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations"))[0]!.n;
    const appliedBefore = await applied();
    expect(appliedBefore).toBeGreaterThan(0);
    // Re-running the migrator against the already-migrated database is a no-op.
    const { migrate } =
      driver === "pglite" ? await import("drizzle-orm/pglite/migrator") : await import("drizzle-orm/node-postgres/migrator");
    const { migrationsFolder } = await import("./migrations");
    await (migrate as (db: unknown, c: { migrationsFolder: string }) => Promise<void>)(h.db, { migrationsFolder });
    expect(await tables()).toEqual(before);
    expect(await applied()).toBe(appliedBefore);
  });

  it("upserts a metric point re-sent for the same run/key/step and keeps the summary exact", async () => {
    const { run } = await seedRunGraph(h.db);
    const epoch = (step: number, loss: number, acc: number) => [
      { runId: run.id, key: "loss", step, value: loss },
      { runId: run.id, key: "val_acc", step, value: acc },
    ];
    expect((await recordMetricPoints(h.db, [...epoch(1, 0.9, 0.5), ...epoch(2, 0.4, 0.8)])).inserted).toBe(4);
    // The worker retries epoch 2 after a lost response, then sends epoch 3.
    expect((await recordMetricPoints(h.db, epoch(2, 0.4, 0.8))).inserted).toBe(0);
    await recordMetricPoints(h.db, epoch(3, 0.6, 0.7));

    const points = await h.db.select().from(metricPoints).where(eq(metricPoints.runId, run.id));
    expect(points).toHaveLength(6);
    const [loss] = await h.db
      .select()
      .from(metricSummaries)
      .where(and(eq(metricSummaries.runId, run.id), eq(metricSummaries.key, "loss")));
    expect(loss).toMatchObject({ last: 0.6, lastStep: 3, min: 0.4, max: 0.9, best: 0.4, bestStep: 2, count: 3, lowerIsBetter: true });
    const [acc] = await h.db
      .select()
      .from(metricSummaries)
      .where(and(eq(metricSummaries.runId, run.id), eq(metricSummaries.key, "val_acc")));
    expect(acc).toMatchObject({ last: 0.7, best: 0.8, bestStep: 2, count: 3, lowerIsBetter: false });
  });

  it("keeps step rollups (last/min/max/count per bucket of each width) in step with the points", async () => {
    const { run } = await seedRunGraph(h.db);
    const values = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => ({ runId: run.id, key: "loss", step: from + i, value: from + i === 37 ? 99 : 1 / (from + i + 1) }));
    // Out of order, in several batches, one batch re-sent.
    await recordMetricPoints(h.db, values(50, 100));
    await recordMetricPoints(h.db, values(0, 49));
    expect((await recordMetricPoints(h.db, values(30, 40))).inserted).toBe(0);
    const rows = await h.db.select().from(metricRollups).where(eq(metricRollups.runId, run.id));
    const points = await h.db.select().from(metricPoints).where(eq(metricPoints.runId, run.id));
    for (const width of [16, 64, 256, 1024, 4096]) {
      const level = rows.filter((r) => r.width === width).sort((a, b) => a.bucket - b.bucket);
      expect(level).toHaveLength(Math.floor(100 / width) + 1);
      for (const r of level) {
        const inBucket = points.filter((p) => Math.floor(p.step / width) === r.bucket);
        const last = inBucket.reduce((a, b) => (b.step > a.step ? b : a));
        const vals = inBucket.map((p) => p.value);
        expect(r).toMatchObject({ lastStep: last.step, last: last.value, min: Math.min(...vals), max: Math.max(...vals), count: inBucket.length });
      }
    }
    expect(rows.find((r) => r.width === 16 && r.bucket === 2)).toMatchObject({ max: 99, lastStep: 47 });
    // Rebuilt from the points (as after a bulk load), the rollups are the same.
    await rebuildMetricRollups(h.db, [run.id]);
    const rebuilt = await h.db.select().from(metricRollups).where(eq(metricRollups.runId, run.id));
    const byId = (r: (typeof rows)[number]) => `${r.width}/${r.bucket}`;
    expect([...rebuilt].sort((a, b) => byId(a).localeCompare(byId(b)))).toEqual([...rows].sort((a, b) => byId(a).localeCompare(byId(b))));
  });

  it("leaves existing points untouched with onConflict: ignore and reports only the new ones", async () => {
    const { run } = await seedRunGraph(h.db);
    await recordMetricPoints(h.db, [{ runId: run.id, key: "loss", step: 1, value: 0.5 }]);
    const res = await recordMetricPoints(
      h.db,
      [
        { runId: run.id, key: "loss", step: 1, value: 7 },
        { runId: run.id, key: "loss", step: 2, value: 0.25 },
      ],
      { onConflict: "ignore" },
    );
    expect(res).toEqual({ inserted: 1, insertedPoints: [{ runId: run.id, key: "loss", step: 2 }] });
    const [loss] = await h.db.select().from(metricSummaries).where(eq(metricSummaries.runId, run.id));
    expect(loss).toMatchObject({ last: 0.25, lastStep: 2, min: 0.25, max: 0.5, best: 0.25, bestStep: 2, count: 2 });
    expect((await h.db.select().from(metricPoints).where(eq(metricPoints.step, 1)))[0]!.value).toBe(0.5);
  });

  it("writes metric points inside the caller's transaction, so a rollback leaves nothing behind", async () => {
    const { run } = await seedRunGraph(h.db);
    const rollback = new Error("rollback");
    await expect(
      h.db.transaction(async (tx) => {
        await recordMetricPoints(tx, [{ runId: run.id, key: "loss", step: 1, value: 0.5 }]);
        expect(await tx.select().from(metricPoints)).toHaveLength(1);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await h.db.select().from(metricPoints)).toHaveLength(0);
    expect(await h.db.select().from(metricSummaries)).toHaveLength(0);
  });

  it("rejects a non-finite metric value before writing anything", async () => {
    const { run } = await seedRunGraph(h.db);
    await expect(
      recordMetricPoints(h.db, [
        { runId: run.id, key: "loss", step: 1, value: 0.5 },
        { runId: run.id, key: "loss", step: 2, value: Number.NaN },
      ]),
    ).rejects.toThrow(/not a finite number/);
    expect(await h.db.select().from(metricPoints)).toHaveLength(0);
  });

  it("refuses metric points for a run that does not exist (no foreign key since 0006: the function checks each run)", async () => {
    const { run } = await seedRunGraph(h.db);
    const missing = "00000000-0000-4000-8000-000000000001";
    const error = await recordMetricPoints(h.db, [
      { runId: run.id, key: "loss", step: 1, value: 0.5 },
      { runId: missing, key: "loss", step: 1, value: 0.5 },
    ]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(sqlState(error)).toBe("23503");
    expect(sqlErrorOf(error)?.message).toContain(missing);
    // Nothing of the call was written, not even the existing run's point.
    expect(await h.db.select().from(metricPoints)).toHaveLength(0);
    expect(await h.db.select().from(metricSummaries)).toHaveLength(0);
  });

  it("keeps dataset name + version unique", async () => {
    const { dataset } = await seedRunGraph(h.db);
    const { id: _id, createdAt: _c, ...copy } = dataset;
    const error = await h.db.insert(datasets).values(copy).then(() => null, (e: unknown) => e);
    expect(sqlState(error)).toBe("23505");
    await h.db.insert(datasets).values({ ...copy, version: 2 });
    expect(await h.db.select().from(datasets).where(eq(datasets.name, dataset.name))).toHaveLength(2);
  });

  it("restricts deletes that would lose history, and a run's own records go with the run", async () => {
    const { project, dataset, model, run } = await seedRunGraph(h.db);
    for (const attempt of [
      h.db.delete(datasets).where(eq(datasets.id, dataset.id)),
      h.db.delete(models).where(eq(models.id, model.id)),
      h.db.delete(projects).where(eq(projects.id, project.id)),
    ]) {
      // foreign_key_violation (Postgres 15) or restrict_violation (Postgres 18, PGlite).
      expect(sqlState(await attempt.then(() => null, (e: unknown) => e))).toMatch(/^23(503|001)$/);
    }
    await recordMetricPoints(h.db, [{ runId: run.id, key: "loss", step: 1, value: 1 }]);
    await appendRunEvents(h.db, run.id, [{ type: "LOG", payload: { level: "info", message: "hi" } }]);
    await h.db.insert(evaluations).values({
      runId: run.id,
      split: "test",
      numExamples: 2,
      loss: 0.1,
      accuracy: 1,
      macroF1: 1,
      classNames: ["5", "6"],
      perClass: [],
      confusionMatrix: [
        [1, 0],
        [0, 1],
      ],
    });
    // A second run's records stay (rollups and events go by trigger, not by foreign key: migration 0005).
    const { id: _id, createdAt: _c, ...copy } = run;
    const [kept] = await h.db.insert(runs).values({ ...copy, name: "kept" }).returning();
    await recordMetricPoints(h.db, [{ runId: kept!.id, key: "loss", step: 1, value: 1 }]);
    await appendRunEvents(h.db, kept!.id, [{ type: "LOG", payload: { level: "info", message: "stays" } }]);
    expect(await h.db.select().from(metricRollups).where(eq(metricRollups.runId, run.id))).toHaveLength(5);
    await h.db.delete(runs).where(eq(runs.id, run.id));
    expect(await h.db.select().from(metricPoints).where(eq(metricPoints.runId, run.id))).toHaveLength(0);
    expect(await h.db.select().from(metricRollups).where(eq(metricRollups.runId, run.id))).toHaveLength(0);
    expect(await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id))).toHaveLength(0);
    expect(await h.db.select().from(evaluations)).toHaveLength(0);
    expect(await h.db.select().from(metricRollups).where(eq(metricRollups.runId, kept!.id))).toHaveLength(5);
    expect((await h.db.select().from(runEvents).where(eq(runEvents.runId, kept!.id))).map((e) => e.payload)).toEqual([{ level: "info", message: "stays" }]);
  });

  it("rejects out-of-range run configuration at the database too", async () => {
    const { run } = await seedRunGraph(h.db);
    const { id: _id, createdAt: _c, ...copy } = run;
    for (const bad of [{ learningRate: 0 }, { epochs: 0 }, { batchSize: 0 }, { validationSplit: 1 }]) {
      const error = await h.db.insert(runs).values({ ...copy, ...bad }).then(() => null, (e: unknown) => e);
      expect(sqlState(error), JSON.stringify(bad)).toBe("23514");
    }
  });

  it("numbers a run's events densely, also when writers race", async () => {
    const { run } = await seedRunGraph(h.db);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.db.transaction((tx) =>
          appendRunEvents(tx, run.id, [
            { type: "PROGRESS", payload: { i, part: 0 } },
            { type: "PROGRESS", payload: { i, part: 1 } },
          ]),
        ),
      ),
    );
    const events = await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id)).orderBy(runEvents.seq);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each writer's two events are adjacent: the run row lock serialises writers.
    for (let k = 0; k < 20; k += 2) expect(events[k]!.payload.i).toBe(events[k + 1]!.payload.i);
    const [{ lastEventSeq }] = (await h.db.select({ lastEventSeq: runs.lastEventSeq }).from(runs).where(eq(runs.id, run.id))) as [
      { lastEventSeq: number },
    ];
    expect(lastEventSeq).toBe(20);
  });

  it("reports epochs in one statement: lock + lease, points, events, NOTIFY; a retry is a no-op; a run not held is untouched", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id);
    const [other] = await h.db.insert(workerTokens).values({ name: "u", tokenSha256: "e".repeat(64) }).returning();
    const notes: unknown[] = [];
    const stop = await h.listen("report_test", (p) => notes.push(JSON.parse(p)));
    const base = { runId: run.id, workerId: worker.id, tokenId: token.id, channel: "report_test", maxPayloadBytes: 7000 };
    const leaseUntil = new Date(Date.now() + 60_000);
    const at = new Date("2026-03-04T05:06:07.890Z");
    const epoch = (e: number) => ({ epoch: e, metrics: { loss: 1 / e, acc: e / 10 } });

    expect(await reportEpochsAtomically(h.db, { ...base, leaseUntil, epochs: [epoch(1), epoch(2)], at })).toBe(2);
    // Re-sent epoch 2 (a retry) and a new epoch 3: only epoch 3 is new, and gets seq 3.
    expect(await reportEpochsAtomically(h.db, { ...base, leaseUntil: null, epochs: [{ epoch: 2, metrics: { loss: 9, acc: 9 } }, epoch(3)], at })).toBe(3);
    // A retried epoch with an extra metric stores the new point but publishes nothing.
    expect(await reportEpochsAtomically(h.db, { ...base, leaseUntil: null, epochs: [{ epoch: 3, metrics: { loss: 1 / 3, acc: 0.3, f1: 0.5 } }], at })).toBe(3);
    // The run is configured for 3 epochs: epoch 4 is refused, and nothing of the report is written.
    await expect(reportEpochsAtomically(h.db, { ...base, leaseUntil, epochs: [epoch(4)], at })).rejects.toThrow(EpochOutOfRangeError);
    await expect(reportEpochsAtomically(h.db, { ...base, leaseUntil, epochs: [epoch(4)], at })).rejects.toThrow(/epoch 4 is above the 3 epochs/);
    // Not held under this token / not active: null, nothing written.
    expect(await reportEpochsAtomically(h.db, { ...base, tokenId: other!.id, leaseUntil, epochs: [epoch(4)], at })).toBeNull();
    await h.db.update(runs).set({ status: "CANCELLED" }).where(eq(runs.id, run.id));
    expect(await reportEpochsAtomically(h.db, { ...base, leaseUntil, epochs: [epoch(4)], at })).toBeNull();

    const events = await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id)).orderBy(runEvents.seq);
    expect(events.map((e) => [e.seq, e.type, e.payload])).toEqual([
      [1, "EPOCH", epoch(1)],
      [2, "EPOCH", epoch(2)],
      [3, "EPOCH", epoch(3)],
    ]);
    expect(events.every((e) => e.at.getTime() === at.getTime())).toBe(true);
    const points = await h.db.select().from(metricPoints).where(eq(metricPoints.runId, run.id)).orderBy(metricPoints.step, metricPoints.key);
    expect(points.map((p) => [p.step, p.key, p.value])).toEqual([
      [1, "acc", 0.1], [1, "loss", 1],
      [2, "acc", 0.2], [2, "loss", 0.5],
      [3, "acc", 0.3], [3, "f1", 0.5], [3, "loss", 1 / 3],
    ]);
    const summaries = await h.db.select().from(metricSummaries).where(eq(metricSummaries.runId, run.id)).orderBy(metricSummaries.key);
    expect(summaries.map((s) => [s.key, s.best, s.bestStep, s.count, s.lowerIsBetter])).toEqual([
      ["acc", 0.3, 3, 3, false],
      ["f1", 0.5, 3, 1, false],
      ["loss", 1 / 3, 3, 3, true],
    ]);
    const [row] = await h.db.select().from(runs).where(eq(runs.id, run.id));
    expect(row!.lastEventSeq).toBe(3);
    expect(Math.abs(row!.leaseExpiresAt!.getTime() - leaseUntil.getTime())).toBeLessThan(1000);

    for (let i = 0; i < 50 && notes.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await stop();
    // One notification per report that published something, in the API's RunNotification format.
    expect(notes).toEqual([
      { runId: run.id, projectId: run.projectId, lastSeq: 2, updated: true, events: [1, 2].map((e) => ({ runId: run.id, seq: e, type: "EPOCH", payload: epoch(e), at: at.toISOString() })) },
      { runId: run.id, projectId: run.projectId, lastSeq: 3, updated: true, events: [{ runId: run.id, seq: 3, type: "EPOCH", payload: epoch(3), at: at.toISOString() }] },
    ]);
  });

  it("reports several runs in one statement as each alone (set-wise, or one run at a time for a repeated run or one with rollups); a run not held gets null; a failing report aborts the batch, writing nothing", async () => {
    const { run: first } = await seedRunGraph(h.db);
    const [token] = await h.db.insert(workerTokens).values({ name: "t", tokenSha256: "d".repeat(64) }).returning();
    const [worker] = await h.db.insert(workers).values({ name: "w", backend: "CPU", backends: ["CPU"], device: "cpu", tokenId: token!.id }).returning();
    // Three more runs of the same project, dataset and model; all four running on the worker, 3 epochs each.
    const more = await h.db
      .insert(runs)
      .values([1, 2, 3, 4].map((i) => ({ projectId: first.projectId, name: `run-${i}`, datasetId: first.datasetId, baseModelId: first.baseModelId, learningRate: 0.001, epochs: 3, batchSize: 32, optimizer: "ADAM" as const, validationSplit: 0.2, seed: i })))
      .returning();
    const all = [first, ...more];
    for (const r of all) await h.db.update(runs).set({ status: "RUNNING", workerId: worker!.id }).where(eq(runs.id, r.id));
    await h.db.update(runs).set({ status: "CANCELLED" }).where(eq(runs.id, more[2]!.id));
    // Run 4 is configured for rollups: the one-run function writes it.
    await h.db.update(runs).set({ epochs: REPORT_ROLLUPS_ABOVE_EPOCHS + 1 }).where(eq(runs.id, more[3]!.id));
    const notes: { runId: string; lastSeq: number }[] = [];
    const stop = await h.listen("batch_test", (p) => notes.push(JSON.parse(p)));
    const at = new Date("2026-03-04T05:06:07.890Z");
    const base = { workerId: worker!.id, tokenId: token!.id, channel: "batch_test", maxPayloadBytes: 7000, leaseUntil: null, at };
    const epoch = (e: number, extra: Record<string, number> = {}) => ({ epoch: e, metrics: { loss: 1 / e, acc: e / 10, ...extra } });

    // Run 0: two epochs; run 1: one epoch with a third key; run 2: its epoch 1 twice (the second, a retry, writes nothing);
    // run 3 (cancelled): null. Keys and epochs differ per report, so every slice of the concatenated arrays is exercised.
    expect(
      await reportEpochsBatch(h.db, [
        { ...base, runId: all[0]!.id, epochs: [epoch(1), epoch(2)] },
        { ...base, runId: all[1]!.id, epochs: [epoch(1, { f1: 0.5 })] },
        { ...base, runId: all[2]!.id, epochs: [epoch(1)] },
        { ...base, runId: all[2]!.id, epochs: [epoch(1), { epoch: 2, metrics: { val_loss: 2 } }] },
        { ...base, runId: all[3]!.id, epochs: [epoch(1)] },
        { ...base, runId: all[4]!.id, epochs: [epoch(1), epoch(2)] },
      ]),
    ).toEqual([2, 1, 1, 2, null, 2]);
    const points = async (runId: string) =>
      (await h.db.select().from(metricPoints).where(eq(metricPoints.runId, runId)).orderBy(metricPoints.step, metricPoints.key)).map((p) => [p.step, p.key, p.value]);
    expect(await points(all[0]!.id)).toEqual([[1, "acc", 0.1], [1, "loss", 1], [2, "acc", 0.2], [2, "loss", 0.5]]);
    expect(await points(all[1]!.id)).toEqual([[1, "acc", 0.1], [1, "f1", 0.5], [1, "loss", 1]]);
    expect(await points(all[2]!.id)).toEqual([[1, "acc", 0.1], [1, "loss", 1], [2, "val_loss", 2]]);
    expect(await points(all[3]!.id)).toEqual([]);
    expect(await points(all[4]!.id)).toEqual([[1, "acc", 0.1], [1, "loss", 1], [2, "acc", 0.2], [2, "loss", 0.5]]);
    expect((await h.db.select().from(metricRollups).where(eq(metricRollups.runId, all[4]!.id))).length).toBeGreaterThan(0);
    const summaries = await h.db.select().from(metricSummaries).where(eq(metricSummaries.runId, all[0]!.id)).orderBy(metricSummaries.key);
    expect(summaries.map((s) => [s.key, s.last, s.lastStep, s.best, s.bestStep, s.count])).toEqual([
      ["acc", 0.2, 2, 0.2, 2, 2],
      ["loss", 0.5, 2, 0.5, 2, 2],
    ]);
    const eventsOf = async (runId: string) =>
      (await h.db.select().from(runEvents).where(eq(runEvents.runId, runId)).orderBy(runEvents.seq)).map((e) => [e.seq, e.type, e.payload, e.at.toISOString()]);
    // Run 0 and 1 were written set-wise, run 2 (twice in the batch) by the one-run function: the same rows either way.
    expect(await eventsOf(all[0]!.id)).toEqual([[1, "EPOCH", epoch(1), at.toISOString()], [2, "EPOCH", epoch(2), at.toISOString()]]);
    expect(await eventsOf(all[1]!.id)).toEqual([[1, "EPOCH", epoch(1, { f1: 0.5 }), at.toISOString()]]);
    expect(await eventsOf(all[2]!.id)).toEqual([[1, "EPOCH", epoch(1), at.toISOString()], [2, "EPOCH", { epoch: 2, metrics: { val_loss: 2 } }, at.toISOString()]]);
    const [row0] = await h.db.select().from(runs).where(eq(runs.id, all[0]!.id));
    expect(row0!.lastEventSeq).toBe(2);
    for (let i = 0; i < 50 && notes.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    // The NOTIFY of a run written set-wise is the one-run function's: the run, its project, last seq and events.
    expect(notes.find((n) => n.runId === all[0]!.id)).toEqual({
      runId: all[0]!.id,
      projectId: all[0]!.projectId,
      lastSeq: 2,
      updated: true,
      events: [1, 2].map((e) => ({ runId: all[0]!.id, seq: e, type: "EPOCH", payload: epoch(e), at: at.toISOString() })),
    });

    // Epoch 4 of a 3-epoch run: the whole statement fails and nothing of its other report is written.
    await expect(
      reportEpochsBatch(h.db, [
        { ...base, runId: all[0]!.id, epochs: [epoch(3)] },
        { ...base, runId: all[1]!.id, epochs: [epoch(4)] },
      ]),
    ).rejects.toThrow(/epoch 4 is above the 3 epochs/);
    expect(await points(all[0]!.id)).toHaveLength(4);

    // Through the queue, one statement in flight: the first report goes alone, the next three wait and go together; the
    // bad one makes that batch fail, so each of the three is sent again alone and only the bad one fails.
    const queue = new ReportQueue(h.db, { maxInFlight: 1 });
    const results = await Promise.allSettled([
      queue.report({ ...base, runId: all[0]!.id, epochs: [epoch(3)] }),
      queue.report({ ...base, runId: all[1]!.id, epochs: [epoch(2)] }),
      queue.report({ ...base, runId: all[2]!.id, epochs: [epoch(4)] }),
      queue.report({ ...base, runId: all[3]!.id, epochs: [epoch(2)] }),
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).name))).toEqual([3, 2, "EpochOutOfRangeError", null]);
    // When none fails, the waiting reports go in one statement and each gets its own answer.
    expect(
      await Promise.all([
        queue.report({ ...base, runId: all[1]!.id, epochs: [epoch(3)] }),
        queue.report({ ...base, runId: all[2]!.id, epochs: [epoch(3)] }),
        queue.report({ ...base, runId: all[3]!.id, epochs: [epoch(3)] }),
      ]),
    ).toEqual([3, 3, null]);

    for (let i = 0; i < 50 && notes.length < 9; i++) await new Promise((r) => setTimeout(r, 20));
    await stop();
    // One notification per report that published something, each with its run's last seq.
    expect(notes.map((n) => `${all.findIndex((r) => r.id === n.runId)}:${n.lastSeq}`).sort()).toEqual(["0:2", "0:3", "1:1", "1:2", "1:3", "2:1", "2:2", "2:3", "4:2"].sort());
  });

  // Summaries come from the API's own aggregation of each report (reportColumns) for a run read from its points, and
  // from tunelab_fold_metric_points with the rollups for a long run: both must agree with the points.
  it.each([
    ["with rollups (configured above REPORT_ROLLUPS_ABOVE_EPOCHS)", REPORT_ROLLUPS_ABOVE_EPOCHS + 1],
    ["without rollups", 1000],
  ])("folds in-order reports (plain INSERT) and overlapping ones (stored points kept) into summaries as the points, %s", async (_, configuredEpochs) => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id, { epochs: configuredEpochs });
    const base = { runId: run.id, workerId: worker.id, tokenId: token.id, channel: "fold_test", maxPayloadBytes: 7000, leaseUntil: null };
    const metricsOf = (e: number, shift = 0) => ({ loss: 1 / e + shift + (e === 23 ? 5 : 0), acc: (e % 7) / 7 + shift });
    const range = (from: number, to: number, shift = 0) => Array.from({ length: to - from + 1 }, (_, i) => ({ epoch: from + i, metrics: metricsOf(from + i, shift) }));
    expect(await reportEpochsAtomically(h.db, { ...base, epochs: range(1, 7) })).toBe(7);
    expect(await reportEpochsAtomically(h.db, { ...base, epochs: range(8, 20) })).toBe(20);
    // Overlaps epochs 15-20: those keep their stored values and publish nothing; 21-25 are new (seqs 21-25).
    expect(await reportEpochsAtomically(h.db, { ...base, epochs: range(15, 25, 100) })).toBe(25);
    // A key first seen late (f1 from epoch 26 on), then in odd epochs only, in a report whose epochs arrive out of order.
    expect(await reportEpochsAtomically(h.db, { ...base, epochs: range(26, 70).map((e) => ({ ...e, metrics: { ...e.metrics, f1: e.epoch / 100 } })) })).toBe(70);
    const sparse = range(71, 90).map((e) => ({ ...e, metrics: e.epoch % 2 ? { ...e.metrics, f1: 0.2 } : e.metrics })).reverse();
    expect(await reportEpochsAtomically(h.db, { ...base, epochs: sparse })).toBe(90);

    const events = await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id)).orderBy(runEvents.seq);
    // Events take the report's order: epochs 71-90 arrived from 90 down.
    const order = [...Array.from({ length: 70 }, (_, i) => i + 1), ...Array.from({ length: 20 }, (_, i) => 90 - i)];
    expect(events.map((e) => [e.seq, (e.payload as { epoch: number }).epoch])).toEqual(order.map((epoch, i) => [i + 1, epoch]));
    expect(events.find((e) => e.seq === 71)!.payload).toEqual({ epoch: 90, metrics: metricsOf(90) });
    const points = await h.db.select().from(metricPoints).where(eq(metricPoints.runId, run.id));
    expect(points).toHaveLength(90 * 2 + 45 + 10);
    expect(points.find((p) => p.key === "loss" && p.step === 16)!.value).toBe(1 / 16);
    expect(points.find((p) => p.key === "loss" && p.step === 21)!.value).toBe(1 / 21 + 100);

    const summaries = await h.db.select().from(metricSummaries).where(eq(metricSummaries.runId, run.id)).orderBy(metricSummaries.key);
    for (const s of summaries) {
      const mine = points.filter((p) => p.key === s.key).sort((a, b) => a.step - b.step);
      const values = mine.map((p) => p.value);
      const best = s.lowerIsBetter ? Math.min(...values) : Math.max(...values);
      expect(s).toMatchObject({ count: mine.length, lastStep: mine.at(-1)!.step, last: mine.at(-1)!.value, min: Math.min(...values), max: Math.max(...values), best });
      // Ties (acc repeats every 7 epochs) go to the lowest step, on the plain-INSERT path and the overlap path alike.
      expect(s.bestStep).toBe(mine.find((p) => p.value === best)!.step);
    }
    expect(summaries.map((s) => [s.key, s.lastStep])).toEqual([["acc", 90], ["f1", 89], ["loss", 90]]);
    const rollups = await h.db.select().from(metricRollups).where(eq(metricRollups.runId, run.id));
    if (configuredEpochs <= REPORT_ROLLUPS_ABOVE_EPOCHS) {
      expect(rollups).toEqual([]);
      return;
    }
    await rebuildMetricRollups(h.db, [run.id]);
    const rebuilt = await h.db.select().from(metricRollups).where(eq(metricRollups.runId, run.id));
    const byId = (r: (typeof rollups)[number]) => `${r.key}/${r.width}/${r.bucket}`;
    expect(rollups.length).toBeGreaterThan(15);
    expect([...rollups].sort((a, b) => byId(a).localeCompare(byId(b)))).toEqual([...rebuilt].sort((a, b) => byId(a).localeCompare(byId(b))));
  });

  it("keeps summaries but no rollups for a run of at most REPORT_ROLLUPS_ABOVE_EPOCHS epochs, on both report paths", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id, { epochs: REPORT_ROLLUPS_ABOVE_EPOCHS });
    const base = { runId: run.id, workerId: worker.id, tokenId: token.id, channel: "short_test", maxPayloadBytes: 7000, leaseUntil: null };
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ epoch: from + i, metrics: { loss: 1 / (from + i) } }));
    expect(await reportEpochsAtomically(h.db, { ...base, epochs: range(1, 30) })).toBe(30);
    // An overlap takes the upsert path (tunelab_record_metric_points), which must skip the rollups too.
    expect(await reportEpochsAtomically(h.db, { ...base, epochs: range(25, 40) })).toBe(40);
    // An epoch without metrics (say val_loss alone, null without a validation split) still gets its event.
    expect(await reportEpochsAtomically(h.db, { ...base, epochs: [{ epoch: 41, metrics: {} }] })).toBe(41);
    const [last] = await h.db.select().from(runEvents).where(and(eq(runEvents.runId, run.id), eq(runEvents.seq, 41)));
    expect(last!.payload).toEqual({ epoch: 41, metrics: {} });
    expect(await h.db.select().from(metricRollups).where(eq(metricRollups.runId, run.id))).toEqual([]);
    const [summary] = await h.db.select().from(metricSummaries).where(eq(metricSummaries.runId, run.id));
    expect(summary).toMatchObject({ key: "loss", count: 40, lastStep: 40, min: 1 / 40, max: 1 });
  });

  it("stores a report's values exactly (binary float8[] on node-postgres, text on PGlite), NULL cells skipped", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id, { epochs: 10 });
    const extremes = [5e-324, 1.7976931348623157e308, 0.1 + 0.2, 1 / 3, -123.456, 2 ** 53 + 2, -2.2250738585072014e-308];
    const epochs = extremes.map((v, i) => ({ epoch: i + 1, metrics: (i % 2 ? { a: v } : { a: v, b: -v }) as Record<string, number> }));
    const base = { runId: run.id, workerId: worker.id, tokenId: token.id, channel: "exact_test", maxPayloadBytes: 7000, leaseUntil: null };
    expect(await reportEpochsAtomically(h.db, { ...base, epochs })).toBe(extremes.length);
    const points = await h.db.select().from(metricPoints).where(eq(metricPoints.runId, run.id)).orderBy(metricPoints.key, metricPoints.step);
    expect(points.map((p) => [p.key, p.step, p.value])).toEqual([
      ...extremes.map((v, i) => ["a", i + 1, v]),
      ...extremes.flatMap((v, i) => (i % 2 ? [] : [["b", i + 1, -v]])),
    ]);
  });

  it("sends a report again when its plain INSERT meets a point written meanwhile (unique violation, nothing written)", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id);
    // Stands in for a concurrent writer: on the first inserted point only (a sequence is not rolled back), the same
    // point is written just before it, so the report's statement fails with 23505 and rolls back entirely.
    await h.db.execute(sql`CREATE SEQUENCE race_seq`);
    await h.db.execute(sql`CREATE FUNCTION race_point() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('race_seq') = 1 THEN
          INSERT INTO metric_points (run_id, key, step, value) VALUES (NEW.run_id, NEW.key, NEW.step, 42);
        END IF;
        RETURN NEW;
      END $$`);
    await h.db.execute(sql`CREATE TRIGGER race_point BEFORE INSERT ON metric_points FOR EACH ROW EXECUTE FUNCTION race_point()`);
    const last = await reportEpochsAtomically(h.db, {
      runId: run.id, workerId: worker.id, tokenId: token.id, channel: "race_test", maxPayloadBytes: 7000, leaseUntil: null,
      epochs: [{ epoch: 1, metrics: { loss: 0.5 } }, { epoch: 2, metrics: { loss: 0.25 } }],
    });
    expect(last).toBe(2);
    const points = await h.db.select().from(metricPoints).where(eq(metricPoints.runId, run.id)).orderBy(metricPoints.step);
    expect(points.map((p) => [p.step, p.value])).toEqual([[1, 0.5], [2, 0.25]]);
    expect((await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id))).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("moves a run's lease on a report only when that gains more than a tenth of the lease", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id);
    const report = (epoch: number, leaseUntil: Date | null) =>
      reportEpochsAtomically(h.db, { runId: run.id, workerId: worker.id, tokenId: token.id, channel: "lease_test", maxPayloadBytes: 7000, leaseUntil, epochs: [{ epoch, metrics: { loss: 1 } }] });
    const lease = async () => (await h.db.select().from(runs).where(eq(runs.id, run.id)))[0]!.leaseExpiresAt!.getTime();
    const first = new Date(Date.now() + 60_000);
    await report(1, first);
    expect(await lease()).toBe(first.getTime());
    // 2 s more of a 60 s lease: kept (the run row is then rewritten without touching its lease index).
    await report(2, new Date(first.getTime() + 2_000));
    expect(await lease()).toBe(first.getTime());
    // 30 s more: moved.
    const later = new Date(first.getTime() + 30_000);
    await report(3, later);
    expect(await lease()).toBe(later.getTime());
  });

  it("leaves the events out of a report's NOTIFY when they exceed the payload limit", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id);
    await h.db.update(runs).set({ epochs: 100 }).where(eq(runs.id, run.id));
    const notes: Record<string, unknown>[] = [];
    const stop = await h.listen("report_test_big", (p) => notes.push(JSON.parse(p)));
    const epochs = Array.from({ length: 100 }, (_, i) => ({ epoch: i + 1, metrics: { loss: 1 / (i + 1), val_loss: 2 / (i + 1) } }));
    const last = await reportEpochsAtomically(h.db, { runId: run.id, workerId: worker.id, tokenId: token.id, leaseUntil: null, epochs, channel: "report_test_big", maxPayloadBytes: 7000 });
    expect(last).toBe(100);
    for (let i = 0; i < 50 && notes.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await stop();
    expect(notes).toEqual([{ runId: run.id, projectId: run.projectId, lastSeq: 100, updated: true }]);
    expect((await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id))).length).toBe(100);
  });

  it("reports progress and log lines in one statement: lock + lease, events, NOTIFY; numbered lines already stored are skipped; a run not held is untouched", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id);
    const [other] = await h.db.insert(workerTokens).values({ name: "u", tokenSha256: "e".repeat(64) }).returning();
    const notes: Record<string, unknown>[] = [];
    const stop = await h.listen("events_test", (p) => notes.push(JSON.parse(p)));
    const leaseUntil = new Date(Date.now() + 60_000);
    const base = { runId: run.id, workerId: worker.id, tokenId: token.id, leaseUntil, channel: "events_test", maxPayloadBytes: 7000 };
    const t1 = new Date("2026-03-04T05:06:07.890Z");
    const t2 = new Date("2026-03-04T05:06:08.123Z");
    const progress = { type: "PROGRESS" as const, payload: { phase: "train", done: 5, total: null }, at: t1 };
    const line = (logSeq: number | null, message: string) => ({ type: "LOG" as const, payload: { level: "info", message }, at: t2, logSeq });

    expect(await reportEventsAtomically(h.db, { ...base, events: [progress] })).toBe(1);
    expect(await reportEventsAtomically(h.db, { ...base, events: [line(1, "one"), line(2, 'two "quoted" \\ é')] })).toBe(3);
    // A retry of lines 1-2 with line 3 and an unnumbered line: only the last two are new.
    expect(await reportEventsAtomically(h.db, { ...base, events: [line(1, "one"), line(2, "two"), line(3, "three"), line(null, "unnumbered")] })).toBe(5);
    // Everything already stored: nothing written, nothing sent; the run's last seq.
    expect(await reportEventsAtomically(h.db, { ...base, events: [line(2, "two"), line(3, "three")] })).toBe(5);
    // Not held under this token / not active: null, nothing written.
    expect(await reportEventsAtomically(h.db, { ...base, tokenId: other!.id, events: [progress] })).toBeNull();
    expect(await reportEventsAtomically(h.db, { ...base, workerId: "00000000-0000-4000-8000-000000000000", events: [progress] })).toBeNull();
    await h.db.update(runs).set({ status: "CANCELLED" }).where(eq(runs.id, run.id));
    expect(await reportEventsAtomically(h.db, { ...base, events: [progress] })).toBeNull();

    const events = await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id)).orderBy(runEvents.seq);
    const expected = [
      { seq: 1, type: "PROGRESS", payload: progress.payload, at: t1 },
      { seq: 2, type: "LOG", payload: { level: "info", message: "one" }, at: t2 },
      { seq: 3, type: "LOG", payload: { level: "info", message: 'two "quoted" \\ é' }, at: t2 },
      { seq: 4, type: "LOG", payload: { level: "info", message: "three" }, at: t2 },
      { seq: 5, type: "LOG", payload: { level: "info", message: "unnumbered" }, at: t2 },
    ];
    expect(events.map((e) => ({ seq: e.seq, type: e.type, payload: e.payload, at: e.at }))).toEqual(expected);
    const [row] = await h.db.select().from(runs).where(eq(runs.id, run.id));
    expect(row).toMatchObject({ lastEventSeq: 5, reportedLogSeq: 3 });
    expect(Math.abs(row!.leaseExpiresAt!.getTime() - leaseUntil.getTime())).toBeLessThan(1000);

    for (let i = 0; i < 50 && notes.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    await stop();
    // One notification per report that wrote something, in the API's RunNotification format (not `updated`).
    const notified = (seqs: number[]) => ({
      runId: run.id,
      projectId: run.projectId,
      lastSeq: seqs[seqs.length - 1],
      updated: false,
      events: seqs.map((seq) => ({ runId: run.id, ...expected[seq - 1]!, at: expected[seq - 1]!.at.toISOString() })),
    });
    expect(notes).toEqual([notified([1]), notified([2, 3]), notified([4, 5])]);
  });

  it("keeps a run's latest progress per phase: a progress report deletes the older ones of its phase, live subscribers are notified of each", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id);
    const notes: { lastSeq: number; events: { seq: number; payload: unknown }[] }[] = [];
    const stop = await h.listen("events_test_latest", (p) => notes.push(JSON.parse(p)));
    const base = { runId: run.id, workerId: worker.id, tokenId: token.id, leaseUntil: null, channel: "events_test_latest", maxPayloadBytes: 7000 };
    const at = new Date("2026-03-04T05:06:07.890Z");
    const progress = (phase: string, done: number) => ({ type: "PROGRESS" as const, payload: { phase, done, total: 10 }, at });
    const report = (...events: ReportedEvent[]) => reportEventsAtomically(h.db, { ...base, events });

    expect(await report(progress("download-model", 5))).toBe(1);
    expect(await report(progress("download-model", 10))).toBe(2);
    expect(await report({ type: "LOG", payload: { level: "info", message: "loaded" }, at, logSeq: 1 })).toBe(3);
    expect(await report(progress("train", 1))).toBe(4);
    expect(await report(progress("train", 2))).toBe(5);
    // Two values of one phase in one report: the newer stays.
    expect(await report(progress("train", 3), progress("train", 4))).toBe(7);

    const stored = await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id)).orderBy(runEvents.seq);
    expect(stored.map((e) => [e.seq, e.type, e.payload])).toEqual([
      [2, "PROGRESS", { phase: "download-model", done: 10, total: 10 }],
      [3, "LOG", { level: "info", message: "loaded" }],
      [7, "PROGRESS", { phase: "train", done: 4, total: 10 }],
    ]);
    // The run's seq counter still counts every event reported, so the next one is 8 and nothing is numbered twice.
    const [row] = await h.db.select().from(runs).where(eq(runs.id, run.id));
    expect(row!.lastEventSeq).toBe(7);
    expect(await report(progress("evaluate", 1))).toBe(8);

    for (let i = 0; i < 50 && notes.length < 7; i++) await new Promise((r) => setTimeout(r, 20));
    await stop();
    // Every value reached the listeners, in order, as it was reported.
    expect(notes.flatMap((n) => n.events.map((e) => e.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(notes.map((n) => n.lastSeq)).toEqual([1, 2, 3, 4, 5, 7, 8]);
  });

  it("migration 0014 deletes the progress that a later value of its phase supersedes in runs recorded before it", async () => {
    const { run } = await seedRunGraph(h.db);
    const { run: other } = await seedRunGraph(h.db, "b");
    await h.db.transaction((tx) =>
      appendRunEvents(tx, run.id, [
        { type: "PROGRESS", payload: { phase: "download-model", done: 1 } },
        { type: "PROGRESS", payload: { phase: "train", done: 1 } },
        { type: "PROGRESS", payload: { phase: "download-model", done: 2 } },
        { type: "LOG", payload: { level: "info", message: "x" } },
        { type: "PROGRESS", payload: { phase: "train", done: 2 } },
        { type: "STATUS", payload: { status: "RUNNING" } },
      ]),
    );
    await h.db.transaction((tx) => appendRunEvents(tx, other.id, [{ type: "PROGRESS", payload: { phase: "train", done: 9 } }]));
    const statements = readFileSync(path.join(migrationsFolder, "0014_progress_latest_per_phase.sql"), "utf8").split("--> statement-breakpoint");
    expect(statements[1]).toMatch(/^\s*-- 2\. The runs recorded so far/);
    await h.query(statements[1]!);
    const left = await h.db.select().from(runEvents).orderBy(runEvents.runId, runEvents.seq);
    expect(left.filter((e) => e.runId === run.id).map((e) => [e.seq, e.type])).toEqual([[3, "PROGRESS"], [4, "LOG"], [5, "PROGRESS"], [6, "STATUS"]]);
    expect(left.filter((e) => e.runId === other.id).map((e) => e.seq)).toEqual([1]);
  });

  it("leaves the events out of a progress or log report's NOTIFY when they exceed the payload limit", async () => {
    const { run } = await seedRunGraph(h.db);
    const { token, worker } = await holdRun(h.db, run.id);
    const notes: Record<string, unknown>[] = [];
    const stop = await h.listen("events_test_big", (p) => notes.push(JSON.parse(p)));
    const at = new Date();
    // 20 lines of 400 characters: about 10 kB of events, over the 7,000-byte limit, though under 7000 / 120 lines.
    const events = Array.from({ length: 20 }, (_, i) => ({ type: "LOG" as const, payload: { level: "info", message: "x".repeat(400) }, at, logSeq: i + 1 }));
    const last = await reportEventsAtomically(h.db, { runId: run.id, workerId: worker.id, tokenId: token.id, leaseUntil: null, events, channel: "events_test_big", maxPayloadBytes: 7000 });
    expect(last).toBe(20);
    for (let i = 0; i < 50 && notes.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await stop();
    expect(notes).toEqual([{ runId: run.id, projectId: run.projectId, lastSeq: 20, updated: false }]);
    expect((await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id))).length).toBe(20);
  });

  it("stores event payloads exactly (quotes, backslashes, unicode, nesting) and returns what it stored", async () => {
    const { run } = await seedRunGraph(h.db);
    const at = new Date("2026-01-02T03:04:05.678Z");
    const payload = { message: 'say "hi" \\ {a,b} \n \u00e9 \ud83d\ude00 null', nested: { list: [1, 2.5e-7, null, "x"], ok: true }, n: -3 };
    const returned = await appendRunEvents(h.db, run.id, [
      { type: "LOG", payload },
      { type: "EPOCH", payload: { epoch: 1, metrics: { loss: 0.5 } }, at },
    ]);
    const stored = await h.db.select().from(runEvents).where(eq(runEvents.runId, run.id)).orderBy(runEvents.seq);
    expect(stored).toEqual(returned);
    expect(stored[0]!.payload).toEqual(payload);
    expect(stored[1]).toMatchObject({ seq: 2, type: "EPOCH", at });
    await expect(appendRunEvents(h.db, "00000000-0000-4000-8000-000000000000", [{ type: "LOG", payload: {} }])).rejects.toThrow(/does not exist/);
  });

  it("enforces model lineage: a fine-tuned model names its source run", async () => {
    const { model, artifact } = await seedRunGraph(h.db);
    const error = await h.db
      .insert(models)
      .values({ ...model, id: undefined, createdAt: undefined, name: "ft", kind: "FINE_TUNED", parentId: model.id, artifactId: artifact.id })
      .then(() => null, (e: unknown) => e);
    expect(sqlState(error)).toBe("23514");
  });
});

describe("createDb", () => {
  it("keeps embedded data in DATA_DIR across restarts", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tunelab-db-"));
    try {
      const first = await createDb({ dataDir: dir, databaseUrl: "" });
      expect(first.driver).toBe("pglite");
      await first.db.insert(projects).values({ name: "kept" });
      await first.close();
      const second = await createDb({ dataDir: dir, databaseUrl: "" });
      expect((await second.db.select().from(projects)).map((p) => p.name)).toEqual(["kept"]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names the host and what to check when Postgres is unreachable", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const error = await createDb({ databaseUrl: "postgres://tunelab:secret@127.0.0.1:1/tunelab" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    const message = (error as Error).message;
    expect(message).toContain("127.0.0.1:1/tunelab");
    expect(message).toMatch(/connection refused/);
    expect(message).not.toContain("secret");
  });

  it("reports a malformed DATABASE_URL as such", async () => {
    await expect(createDb({ databaseUrl: "mysql://x@y/z" })).rejects.toThrow(/must start with postgres:\/\//);
    await expect(createDb({ databaseUrl: "not a url" })).rejects.toThrow(/not a valid URL/);
  });
});

import { testDrivers } from "@tunelab/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datasetId, startTestApi, type TestApi } from "./helpers";
import { LAUNCH, TestWorker } from "./worker-client";

/**
 * Many workers reporting at once: the API sends the reports that arrive while one is in flight together
 * (ReportQueue, migration 0011), and each worker must still get exactly its own answer.
 */
describe.each(testDrivers())("concurrent epoch reports of many runs on %s", (driver) => {
  let api: TestApi;
  const held: { worker: TestWorker; runId: string }[] = [];

  beforeAll(async () => {
    api = await startTestApi({ driver });
    const iris = await datasetId(api);
    for (let i = 0; i < 8; i++)
      await api.q(LAUNCH, { i: { name: `concurrent-${i}`, datasetId: iris, config: { learningRate: 0.01, epochs: 3, batchSize: 8 }, backends: ["CPU"] } });
    for (let i = 0; i < 8; i++) {
      const worker = new TestWorker(api, ["CPU"], `worker-${i}`);
      await worker.register();
      const { run } = await worker.claim();
      expect((await worker.start(run.id)).errors).toBeUndefined();
      held.push({ worker, runId: run.id });
    }
  });
  afterAll(async () => {
    await api?.close();
  });

  const metrics = (epoch: number, i: number) => ({ loss: 1 / (epoch + i), acc: epoch / 10 + i / 100, val_loss: 2 / (epoch + i), val_acc: epoch / 20 });

  it("stores every report of a burst, each once, and answers each worker for its own report", async () => {
    const reports = () => api.server.services.reports.stats;
    const before = { ...reports() };
    const first = await Promise.all(held.map(({ worker, runId }, i) => worker.epochs(runId, [{ epoch: 1, metrics: metrics(1, i) }])));
    expect(first.map((r) => r.errors ?? r.data?.reportEpochs)).toEqual(held.map(() => true));
    if (driver === "postgres") {
      // Some of the burst waited for the first statement and went in one together. (Embedded PGlite runs each statement
      // to its end on the API's own thread before the next request is even read, so nothing ever waits there.)
      expect(reports().batchedReports).toBeGreaterThan(before.batchedReports);
      expect(reports().statements - before.statements).toBeLessThan(held.length);
    }

    // A second burst with three bad reports among good ones: an epoch above the run's 3, a run another worker holds,
    // and a retry of epoch 1 with other values (a no-op). Only the bad ones fail, each with its own reason.
    const second = await Promise.all(
      held.map(({ worker, runId }, i) => {
        if (i === 2) return worker.epochs(runId, [{ epoch: 4, metrics: metrics(4, i) }]);
        if (i === 5) return worker.epochs(held[6]!.runId, [{ epoch: 2, metrics: metrics(2, i) }]);
        if (i === 7) return worker.epochs(runId, [{ epoch: 1, metrics: { loss: 99 } }]);
        return worker.epochs(runId, [{ epoch: 2, metrics: metrics(2, i) }]);
      }),
    );
    const outcome = second.map((r) => r.errors?.[0]?.extensions?.code ?? r.data?.reportEpochs);
    expect(outcome).toEqual([true, true, "BAD_USER_INPUT", true, true, "LEASE_LOST", true, true]);
    expect(second[2]!.errors![0]!.message).toMatch(/epoch 4 is above the 3 epochs/);

    // What each run holds: epoch 1 from the first burst, epoch 2 where the second burst's report was good.
    for (const [i, { runId }] of held.entries()) {
      const { run } = await api.q<any>(`query($id: ID!) { run(id: $id) { metrics(keys: ["loss"]) { key points { step value } } } }`, { id: runId });
      const loss = run.metrics.find((m: any) => m.key === "loss");
      const steps = [1, ...(i === 2 || i === 5 || i === 7 ? [] : [2])];
      expect(loss.points).toEqual(steps.map((s) => ({ step: s, value: metrics(s, i).loss })));
    }
  });
});

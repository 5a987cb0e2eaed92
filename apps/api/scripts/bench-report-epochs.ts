/**
 * Prints the latency of the worker's reportEpochs (100 epochs x 4 metrics = 400 points per request) through the real
 * server, sequentially, on Postgres (TEST_DATABASE_URL) or PGlite.
 */
import { createTestDb } from "@tunelab/db/testing";
import { datasetId, startTestApi } from "../test/helpers";
import { LAUNCH, TestWorker } from "../test/worker-client";

const db = await createTestDb(process.env.TEST_DATABASE_URL ? "postgres" : "pglite");
const api = await startTestApi({ db, ownsDb: true, env: { LOG_LEVEL: "warn" } });
const iris = await datasetId(api);
const worker = new TestWorker(api, ["CPU"]);
await worker.register();
const requests = Number(process.argv[2] ?? 20);
const times: number[] = [];
for (let r = 0; r < requests; r++) {
  const { launchRun } = await api.q<{ launchRun: { id: string } }>(LAUNCH, { i: { datasetId: iris, config: { learningRate: 0.01, epochs: 1000, batchSize: 8 }, backends: ["CPU"] } });
  await worker.claim();
  const epochs = Array.from({ length: 100 }, (_, i) => ({ epoch: i + 1, metrics: { loss: 1 / (i + 1), acc: i / 100, val_loss: 1 / (i + 2), val_acc: i / 101 } }));
  const t = performance.now();
  const res = await worker.epochs(launchRun.id, epochs);
  times.push(performance.now() - t);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  await worker.fail(launchRun.id, "bench", "train");
}
times.sort((a, b) => a - b);
console.log(`${db.driver}: reportEpochs 400 points/request: p50 ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
await api.close();

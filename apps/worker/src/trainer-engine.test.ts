import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ClaimedRun } from "./api/types";
import type { EngineEvent } from "./engine";
import { createDirectTrainerEngine, inputShapeOf } from "./trainer-engine";

const claim = (epochs: number): ClaimedRun => ({
  attempt: 1,
  leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
  backend: "CPU",
  recordedEpochs: [],
  run: { id: "r1", name: "iris-tiny", frozenLayers: [], extraConfig: {}, config: { learningRate: 0.05, epochs, batchSize: 16, optimizer: "ADAM", validationSplit: 0.2, seed: 7, earlyStoppingPatience: null } },
  dataset: {
    source: "upload",
    format: "csv",
    options: { labelColumn: "label" },
    dataset: { id: "d1", name: "iris-csv", version: 1, task: "TABULAR_CLASSIFICATION", numExamples: 150, classNames: ["setosa", "versicolor", "virginica"], sha256: "x" },
    artifact: { id: "a1", sha256: "x", sizeBytes: 1, downloadUrl: "/artifacts/a1" },
  },
  baseModel: null,
});

describe("trainer engine (real @tunelab/trainer, CPU)", () => {
  it("trains a tiny tabular model: ready before the first epoch, every epoch, evaluation and a saved bundle", async () => {
    const engine = await createDirectTrainerEngine(pino({ level: "silent" }));
    const probes = await engine.detect();
    expect(probes.find((p) => p.backend === "CPU")?.available).toBe(true);
    await engine.use("CPU");
    const bytes = await readFile(new URL("../test/fixtures/iris.csv", import.meta.url));
    const events: EngineEvent[] = [];
    const out = await engine.train({ claim: claim(3), datasetBytes: bytes, modelBytes: null, backend: "CPU", signal: new AbortController().signal, onEvent: (e) => void events.push(e) });
    const kinds = events.filter((e) => e.type === "ready" || e.type === "epoch").map((e) => (e.type === "epoch" ? `epoch${e.epoch}` : e.type));
    expect(kinds).toEqual(["ready", "epoch1", "epoch2", "epoch3"]);
    expect(out.evaluation.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(out.evaluation.confusionMatrix).toHaveLength(3);
    expect(out.inputShape).toEqual([4]);
    expect(out.bundle.byteLength).toBeGreaterThan(100);
    expect(out.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("stops within one batch when aborted", async () => {
    const engine = await createDirectTrainerEngine(pino({ level: "silent" }));
    await engine.use("CPU");
    const bytes = await readFile(new URL("../test/fixtures/iris.csv", import.meta.url));
    const controller = new AbortController();
    let batchesAfterAbort = 0;
    const error = await engine
      .train({
        claim: { ...claim(200), run: { ...claim(200).run, config: { ...claim(200).run.config, batchSize: 1 } } },
        datasetBytes: bytes,
        modelBytes: null,
        backend: "CPU",
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "epoch" && e.epoch === 1) controller.abort();
          if (controller.signal.aborted && e.type === "progress" && e.phase === "train") batchesAfterAbort++;
        },
      })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(batchesAfterAbort).toBe(0);
  });

  it("reads the input shape from model.json", () => {
    const json = { modelTopology: { config: { layers: [{ class_name: "InputLayer", config: { batch_input_shape: [null, 28, 28, 1] } }] } } };
    expect(inputShapeOf(new TextEncoder().encode(JSON.stringify(json)))).toEqual([28, 28, 1]);
  });
});

import { testDrivers } from "@tunelab/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, datasetId, importTinyModel, sleep, startTestApi, type TestApi } from "./helpers";
import { LAUNCH, RUN_EVENTS, RUN_EVENTS_AFTER, TestWorker } from "./worker-client";

describe.each(testDrivers())("run lifecycle over HTTP + graphql-ws on %s", (driver) => {
  let api: TestApi;
  let irisId: string;
  let modelId: string;

  beforeAll(async () => {
    api = await startTestApi({ driver, env: { LEASE_SECONDS: "3", HEARTBEAT_SECONDS: "1" } });
    irisId = await datasetId(api);
    modelId = (await importTinyModel(api)).id;
  });
  afterAll(async () => {
    await api?.close();
  });

  it("launch -> claim -> epochs streamed in order -> evaluation -> output model -> found by every filter", async () => {
    const launched = (
      await api.q<any>(LAUNCH, {
        i: {
          name: "iris-finetune-A",
          datasetId: irisId,
          baseModelId: modelId,
          freeze: { layers: ["hidden"] },
          config: { learningRate: 0.01, epochs: 3, batchSize: 16, optimizer: "ADAM", validationSplit: 0.2, seed: 42 },
          tags: ["lifecycle", "iris"],
          backends: ["WEBGPU", "TENSORFLOW"],
        },
      })
    ).launchRun;
    expect(launched).toMatchObject({ status: "QUEUED", attempt: 0, frozenLayers: ["hidden"], frozenParams: 20, trainableParams: 15 });

    const sub = collect(api.ws(), RUN_EVENTS, { id: launched.id }, () => false, 30_000);
    const worker = new TestWorker(api, ["TENSORFLOW", "CPU"]);
    const reg = await worker.register();
    expect(reg.leaseSeconds).toBe(3);
    const claimed = await worker.claim();
    expect(claimed).toMatchObject({ attempt: 1, backend: "TENSORFLOW", recordedEpochs: [], run: { id: launched.id, status: "PREPARING" } });
    expect(claimed.dataset).toMatchObject({ source: "builtin:iris", format: "builtin", artifact: null });
    expect(claimed.baseModel.artifact.downloadUrl).toMatch(/^http:\/\/(localhost|127\.0\.0\.1):\d+\/artifacts\//);
    const bundle = await fetch(claimed.baseModel.artifact.downloadUrl);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("etag")).toBe(`"${claimed.baseModel.artifact.sha256}"`);

    expect((await worker.progress(launched.id, "download-model", 50, 100)).data.reportProgress).toBe(true);
    expect((await worker.start(launched.id)).data.startRun).toMatchObject({ status: "RUNNING", backend: "TENSORFLOW" });
    await worker.log(launched.id, "training started");
    // Numbered lines: a retry after a lost answer (lines 1-2 again, with 3) stores each line once.
    const line = (seq: number) => ({ level: "info", message: `numbered ${seq}`, seq });
    expect((await worker.logs(launched.id, [line(1), line(2)])).errors).toBeUndefined();
    expect((await worker.logs(launched.id, [line(1), line(2), line(3)])).errors).toBeUndefined();
    expect((await worker.logs(launched.id, [line(0)])).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    for (let e = 1; e <= 3; e++) {
      const r = await worker.epochs(launched.id, [{ epoch: e, metrics: { loss: 1 / e, acc: 0.5 + e / 10, val_loss: 1.1 / e, val_acc: 0.45 + e / 10 } }]);
      expect(r.errors).toBeUndefined();
      const hb = await worker.heartbeat(launched.id);
      expect(hb.data.heartbeat).toMatchObject({ leaseLost: false, cancelRequested: false });
    }
    // Re-sending epoch 2 (a retried report) stores nothing new.
    await worker.epochs(launched.id, [{ epoch: 2, metrics: { loss: 0.5, acc: 0.7, val_loss: 0.55, val_acc: 0.65 } }]);
    expect((await worker.evaluate(launched.id)).data.reportEvaluation).toBe(true);
    // An artifact that is not a LayersModel bundle cannot become the run's model; the run stays RUNNING.
    const notAModel = await worker.complete(launched.id, new TextEncoder().encode("not a tar"));
    expect(notAModel.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(notAModel.errors?.[0]?.message).toMatch(/not a tar archive/);
    const done = await worker.complete(launched.id);
    expect(done.errors).toBeUndefined();
    expect(done.data.completeRun.status).toBe("SUCCEEDED");
    expect(done.data.completeRun.outputModel).toMatchObject({ kind: "FINE_TUNED", version: 1, parent: { id: modelId }, sourceRun: { id: launched.id } });
    // A retried completeRun after a lost response answers the same run.
    expect((await worker.complete(launched.id)).data.completeRun.status).toBe("SUCCEEDED");

    const events = await sub.done; // completes after the terminal StatusChanged
    const list = events.map((e) => e.runEvents);
    const seqs = list.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(list.filter((e) => e.__typename === "EpochCompleted").map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(list.filter((e) => e.__typename === "StatusChanged").map((e) => e.status)).toEqual(["QUEUED", "PREPARING", "RUNNING", "SUCCEEDED"]);
    expect(list.some((e) => e.__typename === "Progress" && e.phase === "download-model")).toBe(true);
    expect(list.some((e) => e.__typename === "LogLine" && e.message === "training started")).toBe(true);
    expect(list.filter((e) => e.__typename === "LogLine" && e.message.startsWith("numbered")).map((e) => e.message)).toEqual(["numbered 1", "numbered 2", "numbered 3"]);

    const run = (
      await api.q<any>(
        `query($id: ID!) { run(id: $id) { status attempt backend device worker { id } startedAt finishedAt
            config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }
            summary { key last min max lastStep }
            metrics(keys: ["loss", "acc"]) { key points { step value min max } }
            evaluation { split accuracy macroF1 perClass { className f1 support } confusionMatrix }
            outputModel { kind layers { name params } classNames metadata artifact { sizeBytes } } } }`,
        { id: launched.id },
      )
    ).run;
    expect(run).toMatchObject({ status: "SUCCEEDED", attempt: 1, backend: "TENSORFLOW", device: "cpu x2 (test)" });
    expect(run.config).toEqual({ learningRate: 0.01, epochs: 3, batchSize: 16, optimizer: "ADAM", validationSplit: 0.2, seed: 42, earlyStoppingPatience: null });
    expect(run.metrics.map((s: any) => s.key)).toEqual(["loss", "acc"]);
    expect(run.metrics[0].points.map((p: any) => p.step)).toEqual([1, 2, 3]);
    expect(run.metrics[0].points[1].value).toBeCloseTo(0.5); // first report of epoch 2 kept, the retry was a no-op
    expect(run.summary.find((s: any) => s.key === "val_acc")).toMatchObject({ lastStep: 3 });
    expect(run.evaluation).toMatchObject({ split: "test", accuracy: 0.9, confusionMatrix: [[10, 0, 0], [0, 9, 1], [0, 2, 8]] });
    expect(run.outputModel.layers.map((l: any) => l.name)).toEqual(["hidden", "head"]);
    // The model's metadata comes from the bundle's model.json; the request's training facts are added to it.
    expect(run.outputModel.metadata).toEqual({ test: true, baseModel: "tiny", preprocessing: { vocabulary: ["a", "b"] } });

    // History queries find it by every filter, alone and combined.
    const project = (await api.q<any>(`{ projects { id name } }`)).projects[0].id;
    const filters: Record<string, unknown>[] = [
      { projectId: project },
      { status: ["SUCCEEDED"] },
      { datasetId: irisId },
      { baseModelId: modelId },
      { tagsAny: ["nope", "lifecycle"] },
      { nameContains: "finetune-a" },
      { learningRateGte: 0.005, learningRateLte: 0.02 },
      { metric: [{ key: "val_acc", gte: 0.74 }, { key: "loss", lt: 0.34 }] },
      { createdAfter: new Date(Date.now() - 3600_000).toISOString(), createdBefore: new Date(Date.now() + 60_000).toISOString() },
    ];
    const all = Object.assign({}, ...filters);
    for (const filter of [...filters, all]) {
      const found = (await api.q<any>(`query($f: RunFilter) { runs(filter: $f) { totalCount edges { node { id } } } }`, { f: filter })).runs;
      expect(found.edges.map((e: any) => e.node.id), JSON.stringify(filter)).toContain(launched.id);
    }
    for (const miss of [{ status: ["FAILED"] }, { tagsAny: ["nope"] }, { metric: [{ key: "val_acc", gt: 0.76 }] }, { learningRateGte: 0.5 }, { nameContains: "%" }]) {
      const found = (await api.q<any>(`query($f: RunFilter) { runs(filter: $f) { edges { node { id } } } }`, { f: miss })).runs;
      expect(found.edges.map((e: any) => e.node.id), JSON.stringify(miss)).not.toContain(launched.id);
    }
    const ordered = await api.q<any>(`{ runs(orderBy: { field: METRIC, direction: DESC, metricKey: "val_acc" }, first: 1) { edges { node { id } } } }`);
    expect(ordered.runs.edges[0].node.id).toBe(launched.id);

    // A finished run's runEvents delivers one StatusChanged with the final status and completes.
    const late = await collect(api.ws(), RUN_EVENTS, { id: launched.id }).done;
    expect(late.map((e) => e.runEvents)).toEqual([expect.objectContaining({ __typename: "StatusChanged", status: "SUCCEEDED" })]);
  });

  it("runEvents replays the log then streams live with no gap or duplicate at the seam", async () => {
    const { id } = (
      await api.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs: 50, batchSize: 8 }, backends: ["WASM"] } })
    ).launchRun;
    const worker = new TestWorker(api, ["WASM"]);
    await worker.register();
    await worker.claim();
    await worker.start(id);
    // Writes keep going while the subscriber joins: replay and live overlap.
    const writer = (async () => {
      for (let e = 1; e <= 40; e++) expect((await worker.epochs(id, [{ epoch: e, metrics: { loss: 1 / e } }])).errors).toBeUndefined();
    })();
    await sleep(50);
    const sub = collect(api.ws(), RUN_EVENTS, { id }, (ev) => ev.filter((e) => e.runEvents.__typename === "EpochCompleted").length >= 40);
    await writer;
    const events = (await sub.done).map((e) => e.runEvents);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(events.filter((e) => e.__typename === "EpochCompleted").map((e) => e.epoch)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    // Resuming after a known seq replays only what follows it.
    const resumed = collect(api.ws(), RUN_EVENTS_AFTER, { id, after: 30 }, (ev) => ev.length >= events.length - 30);
    const tail = (await resumed.done).map((e) => e.runEventsAfter.seq);
    expect(tail[0]).toBe(31);
    await worker.fail(id, "boom", "train");
  });

  it("progress: a live subscriber gets every value; a replay gets each phase's latest, in its place in the run's order", async () => {
    const { id } = (
      await api.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs: 5, batchSize: 8 }, backends: ["WASM"] } })
    ).launchRun;
    const worker = new TestWorker(api, ["WASM"]);
    await worker.register();
    await worker.claim();
    const live = collect(api.ws(), RUN_EVENTS, { id }, (ev) => ev.some((e) => e.runEvents.__typename === "EpochCompleted" && e.runEvents.epoch === 2));
    // Subscribed (its replay of QUEUED and PREPARING arrived) before the reports below.
    for (let i = 0; i < 100 && live.events.length < 2; i++) await sleep(20);
    await worker.progress(id, "download-model", 1, 2);
    await worker.progress(id, "download-model", 2, 2);
    await worker.start(id);
    for (let epoch = 1; epoch <= 2; epoch++) {
      for (let batch = 1; batch <= 3; batch++) expect((await worker.progress(id, "train", batch, 3)).errors).toBeUndefined();
      expect((await worker.epochs(id, [{ epoch, metrics: { loss: 1 / epoch } }])).errors).toBeUndefined();
    }
    const shape = (e: any) => (e.__typename === "Progress" ? `${e.phase} ${e.done}` : e.__typename === "EpochCompleted" ? `epoch ${e.epoch}` : e.status);
    const liveEvents = (await live.done).map((e) => e.runEvents);
    expect(liveEvents.map(shape)).toEqual(["QUEUED", "PREPARING", "download-model 1", "download-model 2", "RUNNING", "train 1", "train 2", "train 3", "epoch 1", "train 1", "train 2", "train 3", "epoch 2"]);
    expect(liveEvents.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));

    // A viewer opening the page now replays what the run keeps: superseded progress values are gone, their seqs skipped.
    const replay = collect(api.ws(), RUN_EVENTS_AFTER, { id, after: 0 }, (ev) => ev.some((e) => e.runEventsAfter.seq === 13));
    const replayed = (await replay.done).map((e) => e.runEventsAfter);
    expect(replayed.map(shape)).toEqual(["QUEUED", "PREPARING", "download-model 2", "RUNNING", "epoch 1", "train 3", "epoch 2"]);
    expect(replayed.map((e) => e.seq)).toEqual([1, 2, 4, 5, 9, 12, 13]);
    // ... and the stream goes on live after the replay.
    const next = collect(api.ws(), RUN_EVENTS_AFTER, { id, after: 12 }, (ev) => ev.length >= 2);
    for (let i = 0; i < 100 && next.events.length < 1; i++) await sleep(20);
    await worker.progress(id, "train", 1, 3);
    expect((await next.done).map((e) => [e.runEventsAfter.seq, shape(e.runEventsAfter)])).toEqual([[13, "epoch 2"], [14, "train 1"]]);
    await worker.fail(id, "done with the test", "train");
  });

  it("cancel: queued at once, running on the next heartbeat, finished is a CONFLICT", async () => {
    const queued = (await api.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs: 2, batchSize: 8 }, backends: ["CPU"] } })).launchRun;
    const c1 = await api.q<any>(`mutation($id: ID!) { cancelRun(id: $id) { status cancelRequested } }`, { id: queued.id });
    expect(c1.cancelRun.status).toBe("CANCELLED");
    const again = await api.gql(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: queued.id });
    expect(again.errors?.[0]?.extensions?.code).toBe("CONFLICT");

    const running = (await api.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs: 2, batchSize: 8 }, backends: ["CPU"] } })).launchRun;
    const worker = new TestWorker(api, ["CPU"]);
    await worker.register();
    expect((await worker.claim()).run.id).toBe(running.id);
    await worker.start(running.id);
    // The run is configured for 2 epochs: a report of epoch 3 is bad input, and stores nothing.
    const tooFar = await worker.epochs(running.id, [{ epoch: 2, metrics: { loss: 1 } }, { epoch: 3, metrics: { loss: 1 } }]);
    expect(tooFar.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(tooFar.errors?.[0]?.message).toMatch(/epoch 3 is above the 2 epochs this run is configured for/);
    const c2 = await api.q<any>(`mutation($id: ID!) { cancelRun(id: $id) { status cancelRequested } }`, { id: running.id });
    expect(c2.cancelRun).toEqual({ status: "RUNNING", cancelRequested: true });
    expect((await worker.heartbeat(running.id)).data.heartbeat.cancelRequested).toBe(true);
    expect((await worker.finishCancelled(running.id)).data.finishCancelledRun.status).toBe("CANCELLED");
    expect((await worker.epochs(running.id, [{ epoch: 1, metrics: { loss: 1 } }])).errors?.[0]?.extensions?.code).toBe("LEASE_LOST");
    // Progress and log lines (one statement each) name the same errors as the step-by-step checks.
    expect((await worker.progress(running.id, "train", 1, 2)).errors?.[0]?.extensions?.code).toBe("LEASE_LOST");
    expect((await worker.log(running.id, "late")).errors?.[0]?.extensions?.code).toBe("LEASE_LOST");
    const unknownRun = "00000000-0000-4000-8000-000000000000";
    expect((await worker.progress(unknownRun, "train", 1, 2)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await worker.logs(unknownRun, [{ level: "info", message: "x", seq: 1 }])).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const events = await api.q<any>(`query($id: ID!) { run(id: $id) { lastEventSeq } }`, { id: running.id });
    const finished = (await collect(api.ws(), RUN_EVENTS_AFTER, { id: running.id, after: 0 }).done).map((e) => e.runEventsAfter);
    expect(finished.filter((e) => e.__typename === "Progress" || e.__typename === "LogLine")).toEqual([]);
    expect(finished.length).toBe(events.run.lastEventSeq);
  });

  it("an expired lease re-queues the run with attempt+1, then FAILED 'worker lost' after max attempts; releaseRun does not count", async () => {
    const { id } = (await api.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs: 2, batchSize: 8 }, backends: ["TENSORFLOW_GPU"] } })).launchRun;
    const gpu = new TestWorker(api, ["TENSORFLOW_GPU"], "gpu");
    await gpu.register();
    expect((await gpu.claim()).run.id).toBe(id);
    expect((await gpu.release(id)).data.releaseRun).toBe(true);
    const status = async () => (await api.q<any>(`query($id: ID!) { run(id: $id) { status attempt error waitingReason } }`, { id })).run;
    expect(await status()).toMatchObject({ status: "QUEUED", attempt: 0 });
    // A CPU-only worker never gets a run that asks only for a GPU backend.
    const cpu = new TestWorker(api, ["WASM"], "wasm");
    await cpu.register();
    expect(await cpu.claim()).toBeNull();

    for (let attempt = 1; attempt <= 3; attempt++) {
      const claimed = await gpu.claim();
      expect(claimed).toMatchObject({ attempt, run: { id } });
      await gpu.epochs(id, [{ epoch: attempt, metrics: { loss: 1 } }]);
      // The worker "dies": no heartbeat; the lease (3 s) expires and the reaper acts.
      const deadline = Date.now() + 15_000;
      let s = await status();
      while (s.status === "PREPARING" && Date.now() < deadline) {
        await sleep(250);
        s = await status();
      }
      expect(s.status).toBe(attempt < 3 ? "QUEUED" : "FAILED");
      expect(s.attempt).toBe(attempt);
      if (attempt === 3) expect(s.error).toMatch(/worker lost/);
      expect((await gpu.heartbeat(id)).data.heartbeat.leaseLost).toBe(true);
      expect((await gpu.epochs(id, [{ epoch: 9, metrics: { loss: 1 } }])).errors?.[0]?.extensions?.code).toBe("LEASE_LOST");
    }
  });

  it("runUpdated pushes status changes of a project's runs", async () => {
    const project = (await api.q<any>(`{ projects { id } }`)).projects[0].id;
    const sub = collect(api.ws(), `subscription($p: ID) { runUpdated(projectId: $p) { id status } }`, { p: project }, (ev) =>
      ev.some((e) => e.runUpdated.status === "PREPARING"),
    );
    await sleep(200);
    const { id } = (await api.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs: 1, batchSize: 8 }, backends: ["WEBGPU"] } })).launchRun;
    const worker = new TestWorker(api, ["WEBGPU"]);
    await worker.register();
    await worker.claim();
    const events = await sub.done;
    expect(events.map((e) => e.runUpdated.id)).toContain(id);
    await worker.fail(id, "done", "test");
  });

  it("completeRun: two runs of one name completing at once get versions 1 and 2; another worker gets LEASE_LOST, an unknown run NOT_FOUND", async () => {
    const name = `one-name-${Date.now()}`;
    const launch = async () =>
      (await api.q<any>(LAUNCH, { i: { name, datasetId: irisId, config: { learningRate: 0.01, epochs: 1, batchSize: 8 }, backends: ["WASM"] } })).launchRun.id as string;
    const ids = [await launch(), await launch()];
    const workers = [new TestWorker(api, ["WASM"], "wasm-a"), new TestWorker(api, ["WASM"], "wasm-b")];
    const held: string[] = [];
    for (const w of workers) {
      await w.register();
      held.push((await w.claim()).run.id);
    }
    expect([...held].sort()).toEqual([...ids].sort());
    const [a, b] = workers as [TestWorker, TestWorker];
    const [aRun, bRun] = held as [string, string];
    // Held by b: a may not complete it, and nothing changes.
    const notHers = await a.complete(bRun);
    expect(notHers.errors?.[0]?.extensions?.code).toBe("LEASE_LOST");
    const unknown = await a.complete("00000000-0000-4000-8000-000000000000");
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const done = await Promise.all([a.complete(aRun), b.complete(bRun)]);
    expect(done.map((d) => d.errors)).toEqual([undefined, undefined]);
    expect(done.map((d) => d.data.completeRun.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(done.map((d) => d.data.completeRun.outputModel.version).sort()).toEqual([1, 2]);
    // A retry after a lost answer gives the same model, not a third version.
    const again = await a.complete(aRun);
    expect(again.data.completeRun.outputModel.id).toBe(done[0]!.data.completeRun.outputModel.id);
  });
});

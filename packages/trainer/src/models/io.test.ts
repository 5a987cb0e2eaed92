import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useCpu } from "../testing/tf";
import { buildTabularClassifier } from "./architectures";
import { describeLayers } from "./describe";
import { ModelLoadError } from "./errors";
import {
  loadModelFromBundle,
  loadModelFromDir,
  loadModelFromMemory,
  loadModelFromUrl,
  packModelBundle,
  saveModelToFiles,
  unpackModelBundle,
  type DownloadProgress,
  type SavedModelFiles,
} from "./io";

let model: tfl.LayersModel;
let files: SavedModelFiles;
const input = () => tf.tensor2d([[0.1, -0.2, 0.3], [1, 2, -3]]);
const predict = (m: tfl.LayersModel) => tf.tidy(() => (m.predict(input()) as tf.Tensor).arraySync());

beforeAll(async () => {
  await useCpu();
  model = buildTabularClassifier({ numFeatures: 3, numClasses: 2 });
  files = await saveModelToFiles(model, { name: "tiny", classNames: ["a", "b"] });
});

describe("describeLayers", () => {
  it("reports index, name, class, output shape and params", () => {
    expect(describeLayers(model)).toEqual([
      { index: 0, name: "features", className: "InputLayer", outputShape: [null, 3], params: 0, trainableParams: 0 },
      { index: 1, name: "dense1", className: "Dense", outputShape: [null, 16], params: 64, trainableParams: 64 },
      { index: 2, name: "predictions", className: "Dense", outputShape: [null, 2], params: 34, trainableParams: 34 },
    ]);
  });
});

describe("bundle + memory + dir", () => {
  it("round-trips through the tar bundle with identical predictions and metadata", async () => {
    const back = await loadModelFromBundle(files.bundle);
    expect(predict(back)).toEqual(predict(model));
    expect(back.getUserDefinedMetadata()).toEqual({ name: "tiny", classNames: ["a", "b"] });
    expect(unpackModelBundle(packModelBundle(files))).toEqual({ modelJson: files.modelJson, weightsBin: files.weightsBin });
    back.dispose();
  });

  it("gives a tar that `tar xf` unpacks into what loadModelFromDir and stock tf.loadLayersModel read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trainer-bundle-"));
    try {
      writeFileSync(join(dir, "model.tar"), files.bundle);
      execFileSync("tar", ["xf", "model.tar"], { cwd: dir });
      const back = await loadModelFromDir(dir);
      expect(predict(back)).toEqual(predict(model));
      back.dispose();
      const stock = await tfl.loadLayersModel(tf.io.fromMemory({ ...JSON.parse(new TextDecoder().decode(files.modelJson)), weightSpecs: JSON.parse(new TextDecoder().decode(files.modelJson)).weightsManifest[0].weights, weightData: files.weightsBin.slice().buffer }));
      expect(predict(stock)).toEqual(predict(model));
      stock.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a missing directory as NOT_FOUND and bad bytes as CORRUPT", async () => {
    await expect(loadModelFromDir("/nonexistent/model")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(loadModelFromMemory({ modelJson: new TextEncoder().encode("{oops"), weightsBin: files.weightsBin })).rejects.toMatchObject({ code: "CORRUPT" });
    await expect(loadModelFromMemory({ modelJson: files.modelJson, weightsBin: files.weightsBin.slice(0, 10) })).rejects.toThrow(/hold 10 bytes but model.json describes 392/);
    await expect(loadModelFromBundle(new Uint8Array(1024).fill(7))).rejects.toBeInstanceOf(ModelLoadError);
  });
});

describe("loadModelFromUrl (local http server)", () => {
  let server: Server;
  let base: string;
  const hits = new Map<string, number>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? "";
      hits.set(url, (hits.get(url) ?? 0) + 1);
      const json = Buffer.from(files.modelJson);
      const bin = Buffer.from(files.weightsBin);
      if (url === "/ok/model.json" || url === "/flaky/model.json" || url === "/truncated/model.json") return void res.writeHead(200, { "content-length": json.length }).end(json);
      if (url === "/ok/weights.bin") return void res.writeHead(200, { "content-length": bin.length }).end(bin);
      if (url === "/flaky/weights.bin") {
        // First two requests: announce the full length, send half, then drop the connection.
        if (hits.get(url)! <= 2) {
          res.writeHead(200, { "content-length": bin.length });
          res.write(bin.subarray(0, bin.length / 2));
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        return void res.writeHead(200, { "content-length": bin.length }).end(bin);
      }
      if (url === "/truncated/weights.bin") return void res.writeHead(200).end(bin.subarray(0, 100));
      if (url === "/corrupt/model.json") return void res.writeHead(200).end("<html>not json</html>");
      if (url === "/bundle/model.tar") return void res.writeHead(200, { "content-length": files.bundle.length }).end(Buffer.from(files.bundle));
      res.writeHead(404).end("not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("downloads model.json and weights with progress", async () => {
    const progress: DownloadProgress[] = [];
    const m = await loadModelFromUrl(`${base}/ok/model.json`, { onProgress: (p) => progress.push(p) });
    expect(predict(m)).toEqual(predict(model));
    const last = progress.filter((p) => p.file === "weights.bin").at(-1)!;
    expect(last).toMatchObject({ loaded: 392, total: 392, fileIndex: 1, fileCount: 2, attempt: 1 });
    expect(progress.some((p) => p.file === "model.json" && p.loaded === p.total)).toBe(true);
    m.dispose();
  });

  it("retries a dropped connection and succeeds", async () => {
    const progress: DownloadProgress[] = [];
    const m = await loadModelFromUrl(`${base}/flaky/model.json`, { retryDelayMs: 10, onProgress: (p) => progress.push(p) });
    expect(hits.get("/flaky/weights.bin")).toBe(3);
    expect(Math.max(...progress.map((p) => p.attempt))).toBe(3);
    expect(predict(m)).toEqual(predict(model));
    m.dispose();
  });

  it("gives up after the retries with a NETWORK error", async () => {
    hits.delete("/flaky/weights.bin");
    await expect(loadModelFromUrl(`${base}/flaky/model.json`, { retries: 1, retryDelayMs: 10 })).rejects.toMatchObject({ code: "NETWORK", message: expect.stringMatching(/after 2 attempts: connection dropped/) });
  });

  it("reports 404 clearly without retrying", async () => {
    await expect(loadModelFromUrl(`${base}/missing/model.json`, { retryDelayMs: 10 })).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringMatching(/HTTP 404/) });
    expect(hits.get("/missing/model.json")).toBe(1);
    await expect(loadModelFromUrl(`${base}/bundle-missing/model.json`.replace("bundle-missing", "ok2"))).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("reports a corrupt model.json and truncated weights as CORRUPT", async () => {
    await expect(loadModelFromUrl(`${base}/corrupt/model.json`)).rejects.toMatchObject({ code: "CORRUPT", message: expect.stringMatching(/not valid JSON/) });
    await expect(loadModelFromUrl(`${base}/truncated/model.json`)).rejects.toMatchObject({ code: "CORRUPT", message: expect.stringMatching(/hold 100 bytes/) });
  });

  it("loads a .tar bundle URL", async () => {
    const m = await loadModelFromUrl(`${base}/bundle/model.tar`);
    expect(predict(m)).toEqual(predict(model));
    m.dispose();
  });

  it("honours an AbortSignal", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(loadModelFromUrl(`${base}/ok/model.json`, { signal: ac.signal })).rejects.toMatchObject({ name: "AbortError" });
  });
});

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { abortError } from "../util/abort";
import { sha256Hex } from "../util/hash";
import { ModelLoadError } from "./errors";
import { packTar, unpackTar } from "./tar";

/** A LayersModel as the two files of the tfjs format (one weights file). */
export interface ModelFiles {
  modelJson: Uint8Array;
  weightsBin: Uint8Array;
}

export const WEIGHTS_FILE = "weights.bin";
const enc = new TextEncoder();
const dec = new TextDecoder();

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

function expectedWeightBytes(specs: tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const dtype = s.quantization?.dtype ?? s.dtype;
    total += n * (DTYPE_BYTES[dtype] ?? 4);
  }
  return total;
}

/** Parses model.json bytes; throws CORRUPT/INVALID ModelLoadErrors that say what is wrong. */
export function parseModelJson(bytes: Uint8Array, where = "model.json"): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(dec.decode(bytes));
  } catch (e) {
    throw new ModelLoadError("CORRUPT", `${where} is not valid JSON (${(e as Error).message}); the file is corrupt or not a TensorFlow.js model.json.`, undefined, { cause: e });
  }
  const j = json as Partial<tf.io.ModelJSON>;
  if (typeof j !== "object" || j === null || !j.modelTopology || !Array.isArray(j.weightsManifest)) {
    throw new ModelLoadError("INVALID", `${where} has no modelTopology/weightsManifest: it is not a TensorFlow.js LayersModel (graph models from the converter cannot be fine-tuned).`);
  }
  return j as tf.io.ModelJSON;
}

/** Builds model artifacts from model.json and a reader of its weight files, checking the weights' total size against the manifest. */
export async function artifactsFromModelJson(
  modelJson: Uint8Array,
  readWeightFile: (path: string, index: number, count: number) => Promise<Uint8Array>,
  where = "model.json",
): Promise<tf.io.ModelArtifacts> {
  const json = parseModelJson(modelJson, where);
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < paths.length; i++) parts.push(await readWeightFile(paths[i]!, i, paths.length));
  const weights = concat(parts);
  const expected = expectedWeightBytes(specs);
  if (weights.length !== expected) {
    throw new ModelLoadError(
      "CORRUPT",
      `The weight files (${paths.join(", ")}) hold ${weights.length} bytes but ${where} describes ${expected}: a weight file is truncated, corrupt or from another model.`,
    );
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
  if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
  if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata;
  return artifacts;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function layersModelFromArtifacts(artifacts: tf.io.ModelArtifacts, where: string): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError("INVALID", `${where} could not be built as a LayersModel: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/** Loads model.json and its weight files from a directory. */
export async function loadModelFromDir(dir: string): Promise<tfl.LayersModel> {
  const read = async (name: string) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ModelLoadError(code === "ENOENT" ? "NOT_FOUND" : "CORRUPT", `Cannot read ${join(dir, name)}: ${(e as Error).message}`, undefined, { cause: e });
    }
  };
  const artifacts = await artifactsFromModelJson(await read("model.json"), (p) => read(p), join(dir, "model.json"));
  return layersModelFromArtifacts(artifacts, dir);
}

/** Loads from in-memory artifacts (as tf.io.ModelArtifacts) or from the two files' bytes. */
export async function loadModelFromMemory(artifacts: tf.io.ModelArtifacts | ModelFiles): Promise<tfl.LayersModel> {
  if ("modelJson" in artifacts && artifacts.modelJson instanceof Uint8Array) {
    const files = artifacts;
    const a = await artifactsFromModelJson(files.modelJson, async () => files.weightsBin);
    return layersModelFromArtifacts(a, "model");
  }
  return layersModelFromArtifacts(artifacts as tf.io.ModelArtifacts, "model");
}

/** Loads a bundle made by packModelBundle (a tar with model.json + weights). */
export async function loadModelFromBundle(bytes: Uint8Array): Promise<tfl.LayersModel> {
  return loadModelFromMemory(unpackModelBundle(bytes));
}

/** An uncompressed ustar archive holding model.json and weights.bin: `tar xf` gives what tf.loadLayersModel reads. */
export function packModelBundle(files: ModelFiles): Uint8Array {
  const json = parseModelJson(files.modelJson);
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  if (paths.length !== 1) throw new Error(`packModelBundle expects a model.json with one weights file, found ${paths.length}`);
  return packTar([
    { name: "model.json", data: files.modelJson },
    { name: paths[0]!, data: files.weightsBin },
  ]);
}

/** Reverse of packModelBundle; a model with several weight files gets them concatenated in manifest order. */
export function unpackModelBundle(bytes: Uint8Array): ModelFiles {
  let files: Map<string, Uint8Array>;
  try {
    files = unpackTar(bytes);
  } catch (e) {
    throw new ModelLoadError("CORRUPT", `The model bundle is not a readable tar archive: ${(e as Error).message}`, undefined, { cause: e });
  }
  const modelJson = files.get("model.json");
  if (!modelJson) throw new ModelLoadError("INVALID", `The bundle has no model.json (it holds: ${[...files.keys()].join(", ") || "nothing"}).`);
  const json = parseModelJson(modelJson, "bundle model.json");
  const parts = json.weightsManifest
    .flatMap((g) => g.paths)
    .map((p) => {
      const f = files.get(p.replace(/^\.\//, ""));
      if (!f) throw new ModelLoadError("CORRUPT", `The bundle lacks weight file '${p}' named in model.json.`);
      return f;
    });
  return { modelJson, weightsBin: concat(parts) };
}

export interface SavedModelFiles extends ModelFiles {
  bundle: Uint8Array;
  /** sha256 of the bundle (deterministic: same weights and metadata, same hash). */
  sha256: string;
  /** sha256 of each file, as `sha256sum model.json weights.bin` prints. */
  fileSha256: { "model.json": string; "weights.bin": string };
}

/** Serialises a model to model.json (weightsManifest -> weights.bin, userDefinedMetadata) + weights.bin + tar bundle. */
export async function saveModelToFiles(model: tfl.LayersModel, metadata?: Record<string, unknown>): Promise<SavedModelFiles> {
  if (metadata) model.setUserDefinedMetadata(metadata);
  let captured: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  const a = captured as unknown as tf.io.ModelArtifacts;
  const wd = a.weightData;
  const weightsBin = new Uint8Array(wd == null ? new ArrayBuffer(0) : Array.isArray(wd) ? tf.io.concatenateArrayBuffers(wd) : (wd as ArrayBuffer));
  const json: Record<string, unknown> = {
    format: a.format ?? "layers-model",
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: a.weightSpecs ?? [] }],
  };
  if (a.trainingConfig) json.trainingConfig = a.trainingConfig;
  if (a.userDefinedMetadata) json.userDefinedMetadata = a.userDefinedMetadata;
  const modelJson = enc.encode(JSON.stringify(json));
  const bundle = packModelBundle({ modelJson, weightsBin });
  return {
    modelJson,
    weightsBin,
    bundle,
    sha256: sha256Hex(bundle),
    fileSha256: { "model.json": sha256Hex(modelJson), "weights.bin": sha256Hex(weightsBin) },
  };
}

/** A deep copy of a model (topology + weights + metadata), so training never mutates the caller's model. */
export async function cloneModel(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const files = await saveModelToFiles(model);
  return loadModelFromMemory(files);
}

// ---------- http(s) ----------

export interface DownloadProgress {
  /** File name relative to model.json (model.json itself first). */
  file: string;
  url: string;
  loaded: number;
  /** From Content-Length; null when the server does not send it. */
  total: number | null;
  /** 1-based attempt number for this file (more than 1 after a retry). */
  attempt: number;
  fileIndex: number;
  fileCount: number;
}

export interface LoadFromUrlOptions {
  onProgress?: (p: DownloadProgress) => void;
  /** Retries per file after a dropped connection, a truncated body or a 5xx (default 3). 4xx answers are not retried. */
  retries?: number;
  /** Delay before retry k is retryDelayMs * 2^(k-1) (default 250 ms). */
  retryDelayMs?: number;
  signal?: AbortSignal;
  /** Injected fetch (default the global one). */
  fetch?: typeof fetch;
}

/** Loads a LayersModel from the URL of its model.json (weights resolved relative to it), or of a .tar bundle. */
export async function loadModelFromUrl(url: string, opts: LoadFromUrlOptions = {}): Promise<tfl.LayersModel> {
  const isBundle = /\.tar(\?|#|$)/.test(url);
  const fileCount = { n: 1 };
  const first = await fetchBytes(url, isBundle ? "model.tar" : "model.json", 0, fileCount, opts);
  if (isBundle) return loadModelFromBundle(first);
  const artifacts = await artifactsFromModelJson(
    first,
    async (path, index, count) => {
      fileCount.n = count + 1;
      return fetchBytes(new URL(path, url).toString(), path, index + 1, fileCount, opts);
    },
    url,
  );
  return layersModelFromArtifacts(artifacts, url);
}

async function fetchBytes(url: string, file: string, fileIndex: number, fileCount: { n: number }, opts: LoadFromUrlOptions): Promise<Uint8Array> {
  const retries = opts.retries ?? 3;
  const doFetch = opts.fetch ?? fetch;
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (opts.signal?.aborted) throw abortError(opts.signal.reason);
    if (attempt > 1) await sleep((opts.retryDelayMs ?? 250) * 2 ** (attempt - 2), opts.signal);
    let res: Response;
    try {
      res = await doFetch(url, opts.signal ? { signal: opts.signal } : {});
    } catch (e) {
      if (opts.signal?.aborted) throw abortError(opts.signal.reason);
      lastError = e;
      continue;
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      throw new ModelLoadError("NOT_FOUND", `HTTP ${res.status} for ${url}: no ${file} there. Check the URL; model.json and its weight files must be served side by side.`, url);
    }
    if (res.status >= 400 && res.status < 500) {
      await res.body?.cancel();
      throw new ModelLoadError("NETWORK", `HTTP ${res.status} ${res.statusText} for ${url}: the server refused the request (not retried).`, url);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      lastError = new Error(`HTTP ${res.status} ${res.statusText}`);
      continue;
    }
    const lengthHeader = res.headers.get("content-length");
    const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    const report = () => opts.onProgress?.({ file, url, loaded, total, attempt, fileIndex, fileCount: fileCount.n });
    report();
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.length;
        report();
      }
    } catch (e) {
      if (opts.signal?.aborted) throw abortError(opts.signal.reason);
      lastError = new Error(`connection dropped after ${loaded} bytes of ${file}: ${(e as Error).message}`, { cause: e });
      continue;
    }
    if (total !== null && loaded !== total) {
      lastError = new Error(`truncated ${file}: got ${loaded} of ${total} bytes`);
      continue;
    }
    return concat(chunks);
  }
  throw new ModelLoadError(
    "NETWORK",
    `Could not download ${url} after ${retries + 1} attempts: ${(lastError as Error | null)?.message ?? "unknown error"}. Check that the server is reachable.`,
    url,
    { cause: lastError },
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal?.reason));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

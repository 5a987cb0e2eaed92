import type { DatasetExamples, ParsedDataset } from "./types";

export const PAD_TOKEN = "<pad>";
export const OOV_TOKEN = "<oov>";
export const DEFAULT_MAX_VOCAB = 10_000;
export const DEFAULT_MAX_LENGTH = 200;

/** What a model needs applied to raw inputs; stored in the saved model's metadata. */
export type Preprocessing =
  | {
      kind: "image";
      /** [height, width, channels] the model takes. */
      inputShape: [number, number, number];
      /** Raw pixel value * pixelScale = model input (1/255 for 0-255 data). */
      pixelScale: number;
      /** 'rgb-to-gray' (luminance 0.299/0.587/0.114) or 'gray-to-rgb' (repeat) when the data and model differ. */
      channelConversion: "none" | "rgb-to-gray" | "gray-to-rgb";
    }
  | {
      kind: "tabular";
      featureNames: string[];
      /** Standardisation fitted on the training split only: (x - mean) / std. */
      mean: number[];
      std: number[];
    }
  | {
      kind: "text";
      /** Token id = index; 0 is PAD_TOKEN, 1 is OOV_TOKEN. */
      vocabulary: string[];
      maxLength: number;
      lowercase: true;
      /** Unicode letter/digit runs. */
      tokenPattern: string;
      /** Where the vocabulary came from. */
      vocabularySource: "train-split" | "base-model";
      /**
       * Model input: 'sequence' = token ids [maxLength] (int32, for Embedding models); 'bag-of-words' = term frequencies
       * over the vocabulary [vocabulary.length] (float32, count / number of tokens kept, PAD never counted). A Dense layer
       * on bag-of-words input is an Embedding + average pooling whose gradient is a matmul (tfjs' cpu/wasm backends
       * compute the Embedding gradient, UnsortedSegmentSum, once per vocabulary entry: far too slow to train).
       */
      encoding: TextEncoding;
    };

export type TextEncoding = "sequence" | "bag-of-words";

export interface PreprocessingOptions {
  /** Text: vocabulary size including PAD and OOV (default 10,000). */
  maxVocab?: number;
  /** Text: tokens per example, truncated or padded (default 200). */
  maxLength?: number;
  /** Text: a fixed vocabulary (e.g. the base model's), instead of building one from the training split. */
  vocabulary?: string[];
  /** Text: model input encoding (default 'bag-of-words'). */
  textEncoding?: TextEncoding;
  /** Image: the channels the model expects (converts gray<->RGB). */
  modelChannels?: number;
}

const TOKEN_PATTERN = "[\\p{L}\\p{N}]+";
const TOKEN_RE = new RegExp(TOKEN_PATTERN, "gu");

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN_RE) ?? [];
}

/** Fits preprocessing on the training indices only (vocabulary, standardisation); never looks at validation or test rows. */
export function fitPreprocessing(ds: ParsedDataset, trainIdx: Int32Array, opts: PreprocessingOptions = {}): Preprocessing {
  const ex = ds.examples;
  switch (ex.kind) {
    case "image": {
      const ch = ex.shape[2];
      const target = opts.modelChannels ?? ch;
      if (target !== 1 && target !== 3) throw new Error(`Models with ${target} input channels are not supported for images (use 1 or 3).`);
      return {
        kind: "image",
        inputShape: [ex.shape[0], ex.shape[1], target],
        pixelScale: ds.pixelScale ?? 1,
        channelConversion: ch === target ? "none" : ch === 3 ? "rgb-to-gray" : "gray-to-rgb",
      };
    }
    case "tabular": {
      const f = ex.featureNames.length;
      const mean = new Float64Array(f);
      const sq = new Float64Array(f);
      for (const i of trainIdx) for (let k = 0; k < f; k++) mean[k]! += ex.values[i * f + k]!;
      for (let k = 0; k < f; k++) mean[k] = mean[k]! / Math.max(1, trainIdx.length);
      for (const i of trainIdx)
        for (let k = 0; k < f; k++) {
          const d = ex.values[i * f + k]! - mean[k]!;
          sq[k]! += d * d;
        }
      const std = Array.from(sq, (s) => {
        const v = Math.sqrt(s / Math.max(1, trainIdx.length));
        return v > 1e-12 ? v : 1;
      });
      return { kind: "tabular", featureNames: ex.featureNames, mean: Array.from(mean), std };
    }
    case "text": {
      const maxLength = opts.maxLength ?? DEFAULT_MAX_LENGTH;
      const encoding = opts.textEncoding ?? "bag-of-words";
      if (opts.vocabulary) return { kind: "text", vocabulary: opts.vocabulary, maxLength, lowercase: true, tokenPattern: TOKEN_PATTERN, vocabularySource: "base-model", encoding };
      const counts = new Map<string, number>();
      for (const i of trainIdx) for (const t of tokenize(ex.texts[i]!)) counts.set(t, (counts.get(t) ?? 0) + 1);
      const maxVocab = opts.maxVocab ?? DEFAULT_MAX_VOCAB;
      const words = [...counts.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, Math.max(0, maxVocab - 2))
        .map(([w]) => w);
      return { kind: "text", vocabulary: [PAD_TOKEN, OOV_TOKEN, ...words], maxLength, lowercase: true, tokenPattern: TOKEN_PATTERN, vocabularySource: "train-split", encoding };
    }
  }
}

/** Encodes texts to token ids [n, maxLength] (int32, PAD = 0, OOV = 1, truncated after maxLength tokens). */
export function encodeTexts(texts: string[], prep: Extract<Preprocessing, { kind: "text" }>): Int32Array {
  const index = new Map(prep.vocabulary.map((w, i) => [w, i]));
  const out = new Int32Array(texts.length * prep.maxLength);
  texts.forEach((t, r) => {
    const toks = tokenize(t);
    const n = Math.min(toks.length, prep.maxLength);
    for (let k = 0; k < n; k++) out[r * prep.maxLength + k] = index.get(toks[k]!) ?? 1;
  });
  return out;
}

/** Term frequencies [rows.length, vocabSize] of the given rows of token ids [*, maxLength] (PAD not counted). */
export function bagOfWords(ids: Int32Array, maxLength: number, vocabSize: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * vocabSize);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * maxLength;
    let n = 0;
    for (let k = 0; k < maxLength; k++) if (ids[base + k] !== 0) n++;
    if (n === 0) continue;
    const w = 1 / n;
    for (let k = 0; k < maxLength; k++) {
      const id = ids[base + k]!;
      if (id !== 0) out[r * vocabSize + id]! += w;
    }
  }
  return out;
}

/** Model input for raw texts under a text preprocessing: ids (sequence) or term frequencies (bag-of-words), with its shape. */
export function textModelInput(texts: string[], prep: Extract<Preprocessing, { kind: "text" }>): { x: Float32Array | Int32Array; shape: number[]; dtype: "float32" | "int32" } {
  const ids = encodeTexts(texts, prep);
  if (prep.encoding === "sequence") return { x: ids, shape: [texts.length, prep.maxLength], dtype: "int32" };
  const rows = Array.from({ length: texts.length }, (_, i) => i);
  return { x: bagOfWords(ids, prep.maxLength, prep.vocabulary.length, rows), shape: [texts.length, prep.vocabulary.length], dtype: "float32" };
}

export interface EncodedExamples {
  x: Float32Array | Int32Array;
  dtype: "float32" | "int32";
  /** Shape including the batch dimension. Text: always token ids [n, maxLength]; see `modelInputShape` for what the model takes. */
  shape: number[];
  labels: Int32Array;
}

/** Applies fitted preprocessing to the given example indices, ready for tf.tensor(x, shape, dtype). */
export function encodeExamples(ds: Pick<ParsedDataset, "examples" | "labels">, indices: Int32Array, prep: Preprocessing): EncodedExamples {
  const ex: DatasetExamples = ds.examples;
  const labels = Int32Array.from(indices, (i) => ds.labels[i]!);
  const n = indices.length;
  if (ex.kind === "image" && prep.kind === "image") {
    const [h, w, c] = ex.shape;
    const tc = prep.inputShape[2];
    const px = h * w;
    const out = new Float32Array(n * px * tc);
    indices.forEach((i, r) => {
      const src = i * px * c;
      const dst = r * px * tc;
      if (c === tc) out.set(ex.pixels.subarray(src, src + px * c), dst);
      else if (c === 3 && tc === 1)
        for (let p = 0; p < px; p++) out[dst + p] = 0.299 * ex.pixels[src + 3 * p]! + 0.587 * ex.pixels[src + 3 * p + 1]! + 0.114 * ex.pixels[src + 3 * p + 2]!;
      else for (let p = 0; p < px; p++) out[dst + 3 * p] = out[dst + 3 * p + 1] = out[dst + 3 * p + 2] = ex.pixels[src + p]!;
    });
    return { x: out, dtype: "float32", shape: [n, h, w, tc], labels };
  }
  if (ex.kind === "tabular" && prep.kind === "tabular") {
    const f = ex.featureNames.length;
    const out = new Float32Array(n * f);
    indices.forEach((i, r) => {
      for (let k = 0; k < f; k++) out[r * f + k] = (ex.values[i * f + k]! - prep.mean[k]!) / prep.std[k]!;
    });
    return { x: out, dtype: "float32", shape: [n, f], labels };
  }
  if (ex.kind === "text" && prep.kind === "text") {
    const texts = Array.from(indices, (i) => ex.texts[i]!);
    return { x: encodeTexts(texts, prep), dtype: "int32", shape: [n, prep.maxLength], labels };
  }
  throw new Error(`Preprocessing '${prep.kind}' does not fit ${ex.kind} examples.`);
}

/** Oov rate of encoded texts (share of non-pad tokens that are OOV): a quick check that a vocabulary fits the data. */
export function oovRate(x: Int32Array): number {
  let nonPad = 0;
  let oov = 0;
  for (const v of x) {
    if (v !== 0) nonPad++;
    if (v === 1) oov++;
  }
  return nonPad ? oov / nonPad : 0;
}

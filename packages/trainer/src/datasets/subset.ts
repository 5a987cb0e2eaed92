import { buildParsedDataset } from "./parse";
import type { DatasetExamples, PreparedDataset } from "./types";

/** A new dataset made of the given examples (in that order), with its own class counts and sha256. */
export function subsetDataset(ds: PreparedDataset, indices: ArrayLike<number>, name: string): PreparedDataset {
  const ex = ds.examples;
  const idx = Array.from(indices);
  let examples: DatasetExamples;
  if (ex.kind === "image") {
    const size = ex.shape[0] * ex.shape[1] * ex.shape[2];
    const pixels = new Float32Array(idx.length * size);
    idx.forEach((i, r) => pixels.set(ex.pixels.subarray(i * size, (i + 1) * size), r * size));
    examples = { kind: "image", shape: ex.shape, pixels };
  } else if (ex.kind === "tabular") {
    const f = ex.featureNames.length;
    const values = new Float32Array(idx.length * f);
    idx.forEach((i, r) => values.set(ex.values.subarray(i * f, (i + 1) * f), r * f));
    examples = { kind: "tabular", featureNames: ex.featureNames, values };
  } else examples = { kind: "text", texts: idx.map((i) => ex.texts[i]!) };
  const parsed = buildParsedDataset(ds.task, ds.format, examples, idx.map((i) => ds.classNames[ds.labels[i]!]!));
  return { ...parsed, ...(ds.pixelScale !== undefined ? { pixelScale: ds.pixelScale } : {}), name, source: ds.source, description: `${idx.length} examples of ${ds.name}` };
}

import { sha256Hex } from "../util/hash";
import { loadBuiltinDataset } from "./builtin";
import { parseDatasetFile } from "./parse";
import type { DatasetSource, PreparedDataset } from "./types";

/** Loads a built-in dataset or parses an uploaded file into a validated PreparedDataset. */
export async function loadDataset(source: DatasetSource): Promise<PreparedDataset> {
  if (source.kind === "builtin") return loadBuiltinDataset(source.name);
  const parsed = parseDatasetFile(source.bytes, { ...source.options, format: source.format });
  const sourceSha256 = sha256Hex(source.bytes);
  return { ...parsed, name: source.name ?? `upload-${sourceSha256.slice(0, 12)}`, source: "file", sourceSha256 };
}

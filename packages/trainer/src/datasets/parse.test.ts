import { describe, expect, it } from "vitest";
import { bytes, tinyTabularCsv } from "../testing/tf";
import { parseCsv } from "./csv";
import { parseDatasetFile } from "./parse";
import { DatasetValidationError } from "./types";

function errorOf(fn: () => unknown): DatasetValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DatasetValidationError) return e;
    throw e;
  }
  throw new Error("expected a DatasetValidationError");
}

describe("parseCsv", () => {
  it("keeps the starting line of records with quoted newlines", () => {
    const { records } = parseCsv('a,b\n"x\ny",1\n\nz,"q ""w"""\n');
    expect(records).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x\ny", "1"] },
      { line: 5, fields: ["z", 'q "w"'] },
    ]);
  });
});

describe("parseDatasetFile", () => {
  it("parses a tabular CSV with class counts and a stable sha256", () => {
    const ds = parseDatasetFile(bytes(tinyTabularCsv(4)), { format: "csv", task: "TABULAR_CLASSIFICATION" });
    expect(ds.classNames).toEqual(["a", "b", "c"]);
    expect(ds.classCounts).toEqual({ a: 4, b: 4, c: 4 });
    expect(ds.numExamples).toBe(12);
    expect(ds.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(parseDatasetFile(bytes(tinyTabularCsv(4)), { format: "csv", task: "TABULAR_CLASSIFICATION" }).sha256).toBe(ds.sha256);
  });

  const badTabular = ["x1,x2,label", "1,2,a", "1,,b", "3,4", "x,5,a", "6,7,", "8,9,b", "1,1,a"].join("\n");

  it("names every bad row by line and reason on 'fail'", () => {
    const err = errorOf(() => parseDatasetFile(bytes(badTabular), { format: "csv", task: "TABULAR_CLASSIFICATION" }));
    expect(err.rowErrors.map((e) => e.line)).toEqual([3, 4, 5, 6]);
    expect(err.rowErrors[0]!.reason).toMatch(/missing value in feature 'x2'/);
    expect(err.rowErrors[1]!.reason).toMatch(/wrong arity: expected 3 fields/);
    expect(err.rowErrors[2]!.reason).toMatch(/non-numeric feature 'x1'/);
    expect(err.rowErrors[3]!.reason).toMatch(/missing label/);
    expect(err.message).toMatch(/4 of 7 rows are invalid: line 3/);
    expect(err.message).toMatch(/onBadRow: 'skip'/);
  });

  it("skips bad rows with a count on 'skip'", () => {
    const ds = parseDatasetFile(bytes(badTabular), { format: "csv", task: "TABULAR_CLASSIFICATION", onBadRow: "skip" });
    expect(ds.numExamples).toBe(3);
    expect(ds.skipped.map((s) => s.line)).toEqual([3, 4, 5, 6]);
  });

  it("rejects a missing label column listing the columns", () => {
    const err = errorOf(() => parseDatasetFile(bytes("a,b\n1,2\n"), { format: "csv", task: "TABULAR_CLASSIFICATION" }));
    expect(err.message).toMatch(/no label column 'label'. Columns: a, b/);
  });

  it("validates text JSONL rows", () => {
    const text = ['{"text":"hello there","label":"ham"}', "{not json", '{"text":"","label":"spam"}', '{"text":"win money","label":"spam"}', '{"text":"x"}', "", "[1]"].join("\n");
    const err = errorOf(() => parseDatasetFile(bytes(text), { format: "jsonl", task: "TEXT_CLASSIFICATION" }));
    expect(err.rowErrors).toEqual([
      { line: 2, reason: "invalid JSON" },
      { line: 3, reason: "missing text ('text' must be a non-empty string)" },
      { line: 5, reason: "missing label ('label')" },
      { line: 7, reason: "not a JSON object" },
    ]);
    const ds = parseDatasetFile(bytes(text), { format: "jsonl", task: "TEXT_CLASSIFICATION", onBadRow: "skip" });
    expect(ds.classNames).toEqual(["ham", "spam"]);
    expect(ds.examples.kind === "text" && ds.examples.texts).toEqual(["hello there", "win money"]);
  });

  it("reads 28x28 image CSVs (0-255 scaled to [0,1]) and flags unreadable images", () => {
    const header = ["label", ...Array.from({ length: 784 }, (_, i) => `p${i}`)].join(",");
    const row = (label: string, v: string) => [label, ...Array.from({ length: 784 }, () => v)].join(",");
    const csv = [header, row("0", "255"), row("1", "0"), row("1", "300"), row("0", "abc")].join("\n");
    const err = errorOf(() => parseDatasetFile(bytes(csv), { format: "csv", task: "IMAGE_CLASSIFICATION" }));
    expect(err.rowErrors.map((e) => [e.line, e.reason.split(":")[0]])).toEqual([
      [4, "unreadable image"],
      [5, "unreadable image"],
    ]);
    const ds = parseDatasetFile(bytes(csv), { format: "csv", task: "IMAGE_CLASSIFICATION", onBadRow: "skip" });
    expect(ds.examples.kind === "image" && ds.examples.shape).toEqual([28, 28, 1]);
    expect(ds.pixelScale).toBeCloseTo(1 / 255);
    expect(ds.examples.kind === "image" && ds.examples.pixels[0]).toBeCloseTo(1);
    const wrong = errorOf(() => parseDatasetFile(bytes("label,a,b\n1,2,3\n"), { format: "csv", task: "IMAGE_CLASSIFICATION" }));
    expect(wrong.message).toMatch(/784 pixel columns/);
  });

  it("needs at least two classes", () => {
    expect(() => parseDatasetFile(bytes("x,label\n1,a\n2,a\n"), { format: "csv", task: "TABULAR_CLASSIFICATION" })).toThrow(/at least 2 classes/);
  });
});

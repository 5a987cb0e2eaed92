import { describe, expect, it } from "vitest";
import { bytes, tinyTabularCsv } from "../testing/tf";
import { parseDatasetFile } from "./parse";
import { encodeExamples, encodeTexts, fitPreprocessing, OOV_TOKEN, PAD_TOKEN } from "./preprocess";
import { splitDataset } from "./split";

const ds = parseDatasetFile(bytes(tinyTabularCsv(20)), { format: "csv", task: "TABULAR_CLASSIFICATION" });

describe("splitDataset", () => {
  it("is deterministic per seed, disjoint, complete and stratified", () => {
    const a = splitDataset(ds, { seed: 7, validationSplit: 0.2, testSplit: 0.1 });
    const b = splitDataset(ds, { seed: 7, validationSplit: 0.2, testSplit: 0.1 });
    const c = splitDataset(ds, { seed: 8, validationSplit: 0.2, testSplit: 0.1 });
    expect(a).toEqual(b);
    expect(Array.from(a.train)).not.toEqual(Array.from(c.train));
    const all = [...a.train, ...a.validation, ...a.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(a.validation.length).toBe(12); // 4 of each class
    expect(a.test.length).toBe(6);
    for (let c = 0; c < 3; c++) expect(Array.from(a.validation).filter((i) => ds.labels[i] === c).length).toBe(4);
  });
});

describe("preprocessing", () => {
  it("fits tabular standardisation on the training split only", () => {
    const split = splitDataset(ds, { seed: 1, validationSplit: 0.2, testSplit: 0.2 });
    const prep = fitPreprocessing(ds, split.train);
    if (prep.kind !== "tabular" || ds.examples.kind !== "tabular") throw new Error("tabular expected");
    const vals = ds.examples.values;
    const trainMean = Array.from(split.train).reduce((s, i) => s + vals[i * 2]!, 0) / split.train.length;
    expect(prep.mean[0]).toBeCloseTo(trainMean, 5);
    const enc = encodeExamples(ds, split.train, prep);
    const m = Array.from({ length: split.train.length }, (_, r) => enc.x[r * 2]!).reduce((s, v) => s + v, 0) / split.train.length;
    expect(m).toBeCloseTo(0, 5);
  });

  it("builds the text vocabulary from the training split with PAD/OOV and max length", () => {
    const text = parseDatasetFile(
      bytes(['{"text":"Apple apple banana","label":"a"}', '{"text":"cherry","label":"b"}', '{"text":"durian durian durian","label":"b"}'].join("\n")),
      { format: "jsonl", task: "TEXT_CLASSIFICATION" },
    );
    const prep = fitPreprocessing(text, Int32Array.from([0, 1]), { maxLength: 2 });
    if (prep.kind !== "text") throw new Error("text expected");
    expect(prep.vocabulary).toEqual([PAD_TOKEN, OOV_TOKEN, "apple", "banana", "cherry"]);
    expect(Array.from(encodeTexts(["apple durian zzz", "cherry"], prep))).toEqual([2, 1, 4, 0]);
  });
});

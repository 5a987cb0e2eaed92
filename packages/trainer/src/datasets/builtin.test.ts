import { describe, expect, it } from "vitest";
import { listBuiltinDatasets, loadBuiltinDataset } from "./builtin";

describe("built-in datasets", () => {
  it("lists the required datasets with counts and sha256", () => {
    const names = listBuiltinDatasets().map((d) => d.name);
    for (const n of ["mnist-digits", "mnist-digits-0-4", "mnist-digits-5-9", "spam-assassin", "iris"]) expect(names).toContain(n);
    for (const d of listBuiltinDatasets()) {
      expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.values(d.classCounts).reduce((s, v) => s + v, 0)).toBe(d.numExamples);
    }
  });

  it.each(["iris", "mnist-digits-0-4", "mnist-digits-5-9", "spam-assassin"])("%s loads and matches the committed manifest", (name) => {
    const info = listBuiltinDatasets().find((d) => d.name === name)!;
    const ds = loadBuiltinDataset(name);
    expect(ds.sha256).toBe(info.sha256);
    expect(ds.classCounts).toEqual(info.classCounts);
  });

  it("splits MNIST into halves 0-4 and 5-9", () => {
    const all = listBuiltinDatasets();
    const get = (n: string) => all.find((d) => d.name === n)!;
    expect(get("mnist-digits-0-4").classNames).toEqual(["0", "1", "2", "3", "4"]);
    expect(get("mnist-digits-5-9").classNames).toEqual(["5", "6", "7", "8", "9"]);
    expect(get("mnist-digits-0-4").numExamples + get("mnist-digits-5-9").numExamples).toBe(get("mnist-digits").numExamples);
    expect(get("spam-assassin").classNames).toEqual(["ham", "spam"]);
  });
});

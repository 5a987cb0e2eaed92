import { describe, expect, it } from "vitest";
import { reportColumns } from "./report-epochs";

describe("reportColumns (the report as tunelab_report_epochs takes it)", () => {
  it("lays the values out as an epochs x keys matrix, null where an epoch lacks a key", () => {
    const { keys, lower, values } = reportColumns([
      { epoch: 3, metrics: { loss: 0.5, acc: 0.25 } },
      { epoch: 4, metrics: { acc: 0.5, val_loss: 1.5 } },
    ]);
    expect(keys).toEqual(["loss", "acc", "val_loss"]);
    expect(lower).toEqual([true, false, true]);
    expect(values).toEqual([0.5, 0.25, null, null, 0.5, 1.5]);
  });

  it("summarises each key: last by step, min, max, best with ties to the lowest step, count, whatever the epochs' order", () => {
    const { summaries } = reportColumns([
      { epoch: 9, metrics: { loss: 0.2, acc: 0.9 } },
      { epoch: 5, metrics: { loss: 0.2, acc: 0.9 } },
      { epoch: 7, metrics: { loss: 0.4, acc: 0.1 } },
      { epoch: 2, metrics: { acc: 0.3 } },
    ]);
    // Per key: last, last_step, min, max, best, best_step, count.
    expect(summaries).toEqual([
      0.2, 9, 0.2, 0.4, 0.2, 5, 3, // loss: lower is better, 0.2 at epochs 9 and 5
      0.9, 9, 0.1, 0.9, 0.9, 5, 4, // acc: higher is better, 0.9 at epochs 9 and 5
    ]);
  });

  it("has nothing to write for epochs without metrics", () => {
    expect(reportColumns([{ epoch: 1, metrics: {} }])).toEqual({ keys: [], lower: [], values: [], summaries: [] });
  });
});

import { describe, expect, it } from "vitest";
import { NO_BATCH_PROGRESS, batchBar, onBatchProgress, onEpochCompleted } from "./batch-progress";

describe("batchBar", () => {
  it("shows the batches of slow epochs, from 0 again when an epoch completes", () => {
    let s = onBatchProgress(NO_BATCH_PROGRESS, 30, 60);
    expect(batchBar(s)).toEqual({ done: 30, total: 60 });
    s = onEpochCompleted(s);
    expect(batchBar(s)).toEqual({ done: 0, total: 60 });
    s = onBatchProgress(s, 12, 60);
    expect(batchBar(s)).toEqual({ done: 12, total: 60 });
  });

  it("shows no bar once epochs come faster than batch progress (the worker then sends none)", () => {
    // The one batch count sent before the first epoch completed must not stay on screen for the rest of the run.
    let s = onBatchProgress(NO_BATCH_PROGRESS, 1, 60);
    s = onEpochCompleted(s);
    s = onEpochCompleted(s);
    expect(batchBar(s)).toBeNull();
    for (let i = 0; i < 100; i++) s = onEpochCompleted(s);
    expect(batchBar(s)).toBeNull();
    // Epochs slow down again: the bar comes back with the next batch progress.
    s = onBatchProgress(s, 5, 60);
    expect(batchBar(s)).toEqual({ done: 5, total: 60 });
  });

  it("shows no bar without a total, nor before any batch progress", () => {
    expect(batchBar(NO_BATCH_PROGRESS)).toBeNull();
    expect(batchBar(onEpochCompleted(NO_BATCH_PROGRESS))).toBeNull();
    expect(batchBar(onBatchProgress(NO_BATCH_PROGRESS, 3, null))).toBeNull();
  });
});

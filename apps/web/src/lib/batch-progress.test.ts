import { describe, expect, it } from "vitest";
import { batchBar } from "./batch-progress";

describe("batchBar", () => {
  it("shows the batches of slow epochs, from 0 again when an epoch completes", () => {
    expect(batchBar({ done: 30, total: 60 }, 0)).toEqual({ done: 30, total: 60 });
    // An epoch completed after that count.
    expect(batchBar({ done: 30, total: 60 }, 1)).toEqual({ done: 0, total: 60 });
    // The next epoch's first count.
    expect(batchBar({ done: 12, total: 60 }, 0)).toEqual({ done: 12, total: 60 });
  });

  it("shows no bar once epochs come faster than batch progress (the worker then sends none)", () => {
    // The one batch count sent before the first epoch completed must not stay on screen for the rest of the run.
    expect(batchBar({ done: 1, total: 60 }, 2)).toBeNull();
    expect(batchBar({ done: 1, total: 60 }, 102)).toBeNull();
    // Epochs slow down again: the bar comes back with the next batch progress.
    expect(batchBar({ done: 5, total: 60 }, 0)).toEqual({ done: 5, total: 60 });
  });

  it("shows no bar without a total, nor before any batch progress", () => {
    expect(batchBar(undefined, 0)).toBeNull();
    expect(batchBar(undefined, 1)).toBeNull();
    expect(batchBar({ done: 3, total: null }, 0)).toBeNull();
  });
});

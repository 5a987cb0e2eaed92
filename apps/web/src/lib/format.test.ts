import { describe, expect, it } from "vitest";
import { bestOf, fmtDuration, fmtNum, higherIsBetter } from "./format";

describe("format", () => {
  it("picks the best value by metric direction", () => {
    const summary = [
      { key: "val_acc", min: 0.5, max: 0.9 },
      { key: "val_loss", min: 0.2, max: 1.3 },
    ];
    expect(higherIsBetter("val_acc")).toBe(true);
    expect(bestOf(summary, "val_acc")).toBe(0.9);
    expect(bestOf(summary, "val_loss")).toBe(0.2);
    expect(bestOf(summary, "acc")).toBeUndefined();
  });
  it("formats numbers and durations compactly", () => {
    expect(fmtNum(0.0012345)).toBe("0.001234");
    expect(fmtNum(12000)).toBe("12,000");
    expect(fmtNum(null)).toBe("—");
    expect(fmtDuration("2026-01-01T00:00:00Z", "2026-01-01T00:01:05Z")).toBe("1m 5s");
    expect(fmtDuration("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.2Z")).toBe("<1s");
  });
});

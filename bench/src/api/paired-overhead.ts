/**
 * The overhead of one configuration over another from runs taken in pairs, and how sure the numbers are.
 *
 * Why pairs and an interval: on the 2-core machines this runs on, one run of the same training lands ~5% faster or
 * slower than the next, in both configurations (runs of 9.4 s and 10.1 s alternate with nothing changed). With 5 runs
 * each, the medians of the two groups moved the measured overhead between 3% and 6% from one invocation to the next, a
 * spread wider than the 2% target. Each pair's relative difference cancels slow drift (load, other tenants), and the
 * bootstrap interval of their median says whether the repeats were enough to tell the result from the target.
 */

import { createRng } from "@tunelab/trainer/random";

export interface PairedOverhead {
  /** Per pair, in run order: (system - baseline) / baseline in percent, or system - baseline with relative: false. */
  pairsPct: number[];
  medianPct: number;
  /** A 95% percentile-bootstrap interval of medianPct (seeded: the same numbers always give the same interval). */
  ciLowPct: number;
  ciHighPct: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median of values and a 95% percentile-bootstrap interval of it (seeded: the same numbers give the same interval). */
export function bootstrapMedian(values: number[], { resamples = 10_000, seed = 1 } = {}): { median: number; ciLow: number; ciHigh: number } {
  if (values.length === 0) throw new Error("bootstrapMedian needs at least one value");
  const random = createRng(seed);
  const medians: number[] = [];
  const sample = new Array<number>(values.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < sample.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
    medians.push(median(sample));
  }
  medians.sort((a, b) => a - b);
  return { median: median(values), ciLow: medians[Math.floor(0.025 * resamples)]!, ciHigh: medians[Math.ceil(0.975 * resamples) - 1]! };
}

export function pairedOverhead(baseline: number[], system: number[], { relative = true, resamples = 10_000, seed = 1 } = {}): PairedOverhead {
  if (baseline.length !== system.length || baseline.length === 0) throw new Error(`pairedOverhead needs equal, non-empty samples (got ${baseline.length} and ${system.length})`);
  const pairsPct = baseline.map((b, i) => (relative ? ((system[i]! - b) / b) * 100 : system[i]! - b));
  const { median: medianPct, ciLow, ciHigh } = bootstrapMedian(pairsPct, { resamples, seed });
  return { pairsPct, medianPct, ciLowPct: ciLow, ciHighPct: ciHigh };
}

/**
 * "met" only when the whole 95% interval [low, high] is on the good side of the target ("below" it, or "atLeast" it),
 * "MISSED" when it is all on the other side, "not resolved" when it spans the target.
 */
export function verdict(low: number, high: number, target: number, goal: "below" | "atLeast"): string {
  const good = goal === "below" ? high < target : low >= target;
  const bad = goal === "below" ? low >= target : high < target;
  if (good) return "met";
  if (bad) return "MISSED";
  return `not resolved: the 95% interval spans ${target}%; more repeats narrow it`;
}

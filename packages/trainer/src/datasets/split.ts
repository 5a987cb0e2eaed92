import { createRng, shuffleInPlace } from "../util/random";
import type { ParsedDataset } from "./types";

export interface SplitOptions {
  seed: number;
  /** Fraction of each class held out for validation (0 to 0.5). */
  validationSplit: number;
  /** Fraction of each class held out for the final test evaluation (0 to 0.5). */
  testSplit: number;
}

export interface DatasetSplit {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/**
 * Deterministic stratified split: per class, the example indices are shuffled with a generator seeded from `seed`, the
 * first round(n*testSplit) go to test, the next round(n*validationSplit) to validation, the rest to train (at least
 * one example per class stays in train). Each split is then shuffled. Same dataset + same seed = same split.
 */
export function splitDataset(ds: Pick<ParsedDataset, "labels" | "classNames">, opts: SplitOptions): DatasetSplit {
  const rng = createRng(opts.seed);
  const byClass: number[][] = ds.classNames.map(() => []);
  ds.labels.forEach((l, i) => byClass[l]!.push(i));
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const idx of byClass) {
    shuffleInPlace(idx, rng);
    let nTest = Math.round(idx.length * opts.testSplit);
    let nVal = Math.round(idx.length * opts.validationSplit);
    while (nTest + nVal > idx.length - 1 && nTest + nVal > 0) {
      if (nVal >= nTest && nVal > 0) nVal--;
      else nTest--;
    }
    test.push(...idx.slice(0, nTest));
    validation.push(...idx.slice(nTest, nTest + nVal));
    train.push(...idx.slice(nTest + nVal));
  }
  shuffleInPlace(train, rng);
  shuffleInPlace(validation, rng);
  shuffleInPlace(test, rng);
  return { train: Int32Array.from(train), validation: Int32Array.from(validation), test: Int32Array.from(test) };
}

/** Seeded pseudo-random numbers (mulberry32): same seed, same sequence, on every platform. */
export type Rng = () => number;

export function createRng(seed: number): Rng {
  let a = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle in place with the given generator. */
export function shuffleInPlace<T>(items: T[] | Int32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}

/**
 * Runs `fn` with `Math.random` replaced by a seeded generator, then restores it.
 *
 * TensorFlow.js draws weight initialisation and dropout masks from `Math.random` when no seed is given, so this is
 * what makes a run reproducible. Anything else in the process that calls `Math.random` while `fn` awaits also draws
 * from (and perturbs) this sequence: run one training at a time per process if you need bit-identical reruns.
 */
export async function withSeededMathRandom<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const previous = Math.random;
  Math.random = createRng(seed ^ 0x5bd1e995);
  try {
    return await fn();
  } finally {
    Math.random = previous;
  }
}

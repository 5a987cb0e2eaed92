/**
 * Copies the images at `indices` (NHWC, `shape` = [h, w, c]) translating each by a random (dx, dy) in
 * [-shift, shift] drawn from `rng`; uncovered pixels are 0.
 */
export function shiftImages(pixels: Float32Array, shape: [number, number, number], indices: ArrayLike<number>, shift: number, rng: () => number): Float32Array {
  const [h, w, c] = shape;
  const size = h * w * c;
  const out = new Float32Array(indices.length * size);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    const dx = Math.floor(rng() * (2 * shift + 1)) - shift;
    const dy = Math.floor(rng() * (2 * shift + 1)) - shift;
    for (let y = 0; y < h; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < w; x++) {
        const sx = x - dx;
        if (sx < 0 || sx >= w) continue;
        for (let k = 0; k < c; k++) out[r * size + (y * w + x) * c + k] = pixels[i * size + (sy * w + sx) * c + k]!;
      }
    }
  }
  return out;
}

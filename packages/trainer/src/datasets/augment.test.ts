import { describe, expect, it } from "vitest";
import { createRng } from "../util/random";
import { shiftImages } from "./augment";

describe("shiftImages", () => {
  it("moves each image by at most `shift` pixels, zero-filled, reproducibly per seed", () => {
    const img = new Float32Array(5 * 5);
    img[2 * 5 + 2] = 1; // one lit pixel in the middle of a 5x5 image
    const pixels = new Float32Array([...img, ...img, ...img]);
    const a = shiftImages(pixels, [5, 5, 1], [0, 1, 2], 1, createRng(3));
    expect(shiftImages(pixels, [5, 5, 1], [0, 1, 2], 1, createRng(3))).toEqual(a);
    for (let r = 0; r < 3; r++) {
      const out = a.subarray(r * 25, (r + 1) * 25);
      const lit = out.findIndex((v) => v === 1);
      expect(out.reduce((s, v) => s + v, 0)).toBe(1);
      expect(Math.abs(Math.floor(lit / 5) - 2)).toBeLessThanOrEqual(1);
      expect(Math.abs((lit % 5) - 2)).toBeLessThanOrEqual(1);
    }
    expect(shiftImages(pixels, [5, 5, 1], [0], 0, createRng(1))).toEqual(img);
  });
});

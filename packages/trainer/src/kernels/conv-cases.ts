/**
 * The grid the gradient kernels are checked on, against the stock kernels: the unit tests run it on cpu and wasm, the
 * GPU benchmark (bench `gpu`) on WEBGPU.
 */
export type Pad = "same" | "valid";

export interface ConvCase {
  /** NHWC input shape */
  x: [number, number, number, number];
  /** square kernel size */
  k: number;
  /** output channels */
  co: number;
  stride: 1 | 2;
  pad: Pad;
}

export type ConvShape = Omit<ConvCase, "stride" | "pad">;

/** Small shapes: odd and even sizes, 1x1 to 5x5 kernels, 1 to 8 input channels. */
export const SMALL_CONV_SHAPES: ConvShape[] = [
  { x: [2, 7, 7, 3], k: 3, co: 4 },
  { x: [3, 8, 6, 1], k: 3, co: 5 },
  { x: [1, 9, 9, 8], k: 5, co: 3 },
  { x: [2, 5, 5, 4], k: 1, co: 6 },
  { x: [4, 6, 7, 2], k: 2, co: 3 },
];

/** Every shape with strides 1 and 2 and same and valid padding. */
export function convCases(shapes: ConvShape[] = SMALL_CONV_SHAPES): ConvCase[] {
  return shapes.flatMap((s) => ([1, 2] as const).flatMap((stride) => (["same", "valid"] as const).map((pad) => ({ ...s, stride, pad }))));
}

export const describeConvCase = (c: ConvCase) => `x ${c.x.join("x")} k${c.k} co${c.co} stride ${c.stride} ${c.pad}`;

/** The shape of dy (the conv's output) for a case. */
export function convOutShape(c: ConvCase): [number, number, number, number] {
  const [n, h, w] = c.x;
  const o = (d: number) => (c.pad === "same" ? Math.ceil(d / c.stride) : Math.ceil((d - c.k + 1) / c.stride));
  return [n, o(h), o(w), c.co];
}

/** max |a - b| / max |b|: the error relative to the gradient's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / (scale || 1);
}

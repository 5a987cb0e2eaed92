import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-core's Node bundle registers no gradients; tfjs-layers' does (tf.grads below needs them).
import "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { wasmDir } from "../backends";
import { type ConvCase, convCases, convOutShape, describeConvCase, relErr } from "./conv-cases";
import { chunkSize } from "./matmul";
import { fastKernelsOf, registerFastKernels, stockKernel, unregisterFastKernels } from "./register";

type Case = ConvCase;
const CASES = convCases();
const name = describeConvCase;
const outShape = convOutShape;

/** Random inputs, made reproducibly (seeded) on whatever backend is current; half the x values are zero (ReLU-like). */
function inputs(c: Case, seed: number) {
  return tf.tidy(() => {
    const x = tf.relu(tf.randomNormal(c.x, 0, 1, "float32", seed));
    const dy = tf.randomNormal(outShape(c), 0, 1, "float32", seed + 1);
    return { x: x.arraySync() as number[][][][], dy: dy.arraySync() as number[][][][] };
  });
}

function filterGrad(c: Case, x: number[][][][], dy: number[][][][]): Float32Array {
  return tf.tidy(() => {
    const out = tf.engine().runKernel(
      "Conv2DBackpropFilter",
      { x: tf.tensor4d(x), dy: tf.tensor4d(dy) },
      { strides: c.stride, pad: c.pad, dataFormat: "NHWC", filterShape: [c.k, c.k, c.x[3], c.co] },
    ) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/** The reference: the stock cpu kernel. */
async function reference(c: Case, seed: number) {
  await tf.setBackend("cpu");
  unregisterFastKernels("cpu");
  const { x, dy } = inputs(c, seed);
  return { x, dy, expected: filterGrad(c, x, dy) };
}

describe("Conv2DBackpropFilter on wasm (the backend ships none)", () => {
  beforeAll(async () => {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasm.setWasmPaths(wasmDir()!, false);
    await tf.setBackend("wasm");
  });
  afterAll(() => unregisterFastKernels("wasm"));

  for (const strategy of ["direct", "matmul"] as const) {
    it(`${strategy}: matches the stock cpu kernel to 1e-5 over ${CASES.length} shapes/strides/paddings`, async () => {
      const errors: string[] = [];
      for (const [i, c] of CASES.entries()) {
        const { x, dy, expected } = await reference(c, 100 + i);
        await tf.setBackend("wasm");
        registerFastKernels("wasm", { conv2DBackpropFilter: strategy });
        const err = relErr(filterGrad(c, x, dy), expected);
        if (!(err < 1e-5)) errors.push(`${name(c)}: ${err}`);
      }
      expect(errors).toEqual([]);
    });
  }

  it("Conv2DBackpropInput through a forward conv matches the stock cpu kernel to 1e-5", async () => {
    const errors: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const inputGrad = () =>
        tf.tidy(() => {
          const dy = tf.randomNormal(outShape(c), 0, 1, "float32", 300 + i);
          const f = tf.randomNormal([c.k, c.k, c.x[3], c.co], 0, 1, "float32", 400 + i);
          const out = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: f }, {
            strides: c.stride,
            pad: c.pad,
            dataFormat: "NHWC",
            inputShape: c.x,
          }) as tf.Tensor;
          return out.dataSync() as Float32Array;
        });
      await tf.setBackend("cpu");
      const expected = inputGrad();
      await tf.setBackend("wasm");
      registerFastKernels("wasm");
      const err = relErr(inputGrad(), expected);
      if (!(err < 1e-5)) errors.push(`${name(c)}: ${err}`);
    }
    expect(errors).toEqual([]);
  });

  it("BatchMatMul with transposed operands (transpose first) matches the cpu backend", async () => {
    for (const [ta, tb] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const product = () =>
        tf.tidy(() => {
          const a = tf.randomNormal(ta ? [2, 7, 5] : [2, 5, 7], 0, 1, "float32", 1);
          const b = tf.randomNormal(tb ? [2, 3, 7] : [2, 7, 3], 0, 1, "float32", 2);
          return tf.matMul(a, b, ta, tb).dataSync() as Float32Array;
        });
      await tf.setBackend("cpu");
      const expected = product();
      await tf.setBackend("wasm");
      registerFastKernels("wasm");
      expect(relErr(product(), expected)).toBeLessThan(1e-5);
    }
  });

  it("UnsortedSegmentSum (an Embedding's gradient) matches the stock cpu kernel, on wasm and on cpu", async () => {
    const segmentSum = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([40, 3, 5], 0, 1, "float32", 21);
        // ids 0..11 with repeats, plus out-of-range ids that tfjs drops
        const ids = tf.tensor1d([...Array.from({ length: 38 }, (_, i) => (i * 7) % 12), -1, 12], "int32");
        return tf.unsortedSegmentSum(x, ids, 12).dataSync() as Float32Array;
      });
    // The gradient of a gather (what an Embedding layer does) goes through UnsortedSegmentSum.
    const gatherGrad = () =>
      tf.tidy(() => {
        const table = tf.randomNormal([10, 4], 0, 1, "float32", 22);
        const idx = tf.tensor2d([[1, 3, 3], [9, 0, 1]], undefined, "int32");
        const w = tf.randomNormal([2, 3, 4], 0, 1, "float32", 23);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(table).dataSync() as Float32Array;
      });
    await tf.setBackend("cpu");
    unregisterFastKernels("cpu");
    const [expected, expectedGrad] = [segmentSum(), gatherGrad()];
    registerFastKernels("cpu");
    expect(relErr(segmentSum(), expected)).toBeLessThan(1e-6);
    expect(relErr(gatherGrad(), expectedGrad)).toBeLessThan(1e-6);
    await tf.setBackend("wasm");
    registerFastKernels("wasm");
    expect(relErr(segmentSum(), expected)).toBeLessThan(1e-6);
    expect(relErr(gatherGrad(), expectedGrad)).toBeLessThan(1e-6);
  });

  it("depthwise backprop (filter and input) matches the stock cpu kernels to 1e-5", async () => {
    registerFastKernels("wasm");
    for (const [i, c] of CASES.slice(0, 6).entries()) {
      const mult = 2;
      // loss = sum(depthwiseConv2d(x, f) * w): its gradients are the two backprop kernels with dy = w.
      const run = () =>
        tf.tidy(() => {
          const x = tf.randomNormal(c.x, 0, 1, "float32", 7 + i) as tf.Tensor4D;
          const f = tf.randomNormal([c.k, c.k, c.x[3], mult], 0, 1, "float32", 8 + i) as tf.Tensor4D;
          const w = tf.randomNormal([...outShape(c).slice(0, 3), c.x[3] * mult], 0, 1, "float32", 9 + i);
          const loss = (xx: tf.Tensor, ff: tf.Tensor) =>
            tf.sum(tf.mul(tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.stride, c.pad), w));
          const [gx, gf] = tf.grads(loss)([x, f]);
          return [gx!.dataSync(), gf!.dataSync()] as const;
        });
      await tf.setBackend("cpu");
      const [ex, ef] = run();
      await tf.setBackend("wasm");
      const [ax, af] = run();
      expect(relErr(ax, ex), `dx ${name(c)}`).toBeLessThan(1e-5);
      expect(relErr(af, ef), `dfilter ${name(c)}`).toBeLessThan(1e-5);
    }
  });
});

describe("Conv2DBackpropFilter through matmul (issue 8), on the cpu backend", () => {
  afterAll(() => unregisterFastKernels("cpu"));

  for (const [layout, chunk] of [
    ["nhwc", 16],
    ["nhwc", Infinity],
    ["host", Infinity],
  ] as const) {
    it(`layout ${layout}${Number.isFinite(chunk) ? ` chunk ${chunk}` : ""}: relative error < 1e-4 against the stock kernel`, async () => {
      const errors: string[] = [];
      let worst = 0;
      for (const [i, c] of CASES.entries()) {
        const { x, dy, expected } = await reference(c, 200 + i);
        registerFastKernels("cpu", { conv2DBackpropFilter: "matmul", layout, chunk });
        const err = relErr(filterGrad(c, x, dy), expected);
        worst = Math.max(worst, err);
        if (!(err < 1e-4)) errors.push(`${name(c)}: ${err}`);
      }
      expect(errors).toEqual([]);
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it("direct loops on cpu (the cpu default): relative error < 1e-5 against the stock kernel", async () => {
    const errors: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const { x, dy, expected } = await reference(c, 500 + i);
      registerFastKernels("cpu", { conv2DBackpropFilter: "direct" });
      const err = relErr(filterGrad(c, x, dy), expected);
      if (!(err < 1e-5)) errors.push(`${name(c)}: ${err}`);
    }
    expect(errors).toEqual([]);
  });

  it("is idempotent, frees every intermediate, and falls back to the stock kernel (logged once) outside its cover", async () => {
    await tf.setBackend("cpu");
    const log = vi.fn();
    const stock = stockKernel("Conv2DBackpropFilter", "cpu");
    registerFastKernels("cpu", { conv2DBackpropFilter: "matmul", log });
    const first = fastKernelsOf("cpu");
    registerFastKernels("cpu", { conv2DBackpropFilter: "matmul", log });
    expect(fastKernelsOf("cpu")).toEqual(first);
    expect(stockKernel("Conv2DBackpropFilter", "cpu")).toBe(stock);

    const c: Case = { x: [2, 9, 9, 3], k: 3, co: 4, stride: 2, pad: "same" };
    const { x, dy } = inputs(c, 5);
    const backend = tf.engine().backend;
    const before = backend.numDataIds();
    filterGrad(c, x, dy);
    expect(backend.numDataIds()).toBe(before);

    // Stride 3: outside what the fast path covers (and tests); the stock kernel serves it, said once.
    const run3 = () =>
      tf.tidy(() =>
        (
          tf.engine().runKernel(
            "Conv2DBackpropFilter",
            { x: tf.ones([1, 9, 9, 2]), dy: tf.ones([1, 3, 3, 2]) },
            { strides: 3, pad: "valid", dataFormat: "NHWC", filterShape: [3, 3, 2, 2] },
          ) as tf.Tensor
        ).dataSync(),
      );
    expect(Array.from(run3())).toEqual(new Array(36).fill(9));
    run3();
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(/strides 3x3.*stock kernel/);

    unregisterFastKernels("cpu");
    expect(tf.getKernel("Conv2DBackpropFilter", "cpu")).toBe(stock);
    expect(fastKernelsOf("cpu")).toEqual({});
  });

  it("chunk size divides the reduction", () => {
    expect(chunkSize(147456, 2048)).toBe(2048);
    expect(147456 % chunkSize(147456, 3000)).toBe(0);
    expect(chunkSize(100, 2048)).toBe(100);
    expect(chunkSize(7919 * 2, 2048)).toBe(7919 * 2); // no divisor near the target: one chunk
  });
});

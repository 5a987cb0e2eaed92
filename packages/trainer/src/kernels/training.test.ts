import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, expect, it } from "vitest";
import { wasmDir } from "../backends";
import { referenceCnn } from "./reference-cnn";
import { registerFastKernels, unregisterFastKernels } from "./register";

afterAll(() => {
  unregisterFastKernels("cpu");
  unregisterFastKernels("wasm");
});

/** 3 epochs of the reference CNN on a tiny random set (8x8 inputs, 8 examples, batch 4), losses per epoch. */
let stockLosses: number[] | undefined;
/** Losses with the stock cpu kernels, computed once for both tests. */
async function stockCpuLosses(): Promise<number[]> {
  await tf.setBackend("cpu");
  unregisterFastKernels("cpu");
  stockLosses ??= await losses();
  return stockLosses;
}

async function losses(): Promise<number[]> {
  const model = referenceCnn({ inputShape: [8, 8, 1], seed: 3 });
  const xs = tf.randomUniform([8, 8, 8, 1], 0, 1, "float32", 11);
  const ys = tf.oneHot(tf.randomUniform([8], 0, 10, "int32", 12) as tf.Tensor1D, 10);
  const history = await model.fit(xs, ys, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  model.dispose();
  return history.history.loss as number[];
}

it("the reference CNN trains to the same losses with the matmul filter gradient as with the stock kernel (cpu)", async () => {
  const stock = await stockCpuLosses();
  registerFastKernels("cpu", { conv2DBackpropFilter: "matmul" });
  const fast = await losses();
  console.log("losses per epoch, stock:", stock, "matmul:", fast);
  expect(stock).toHaveLength(3);
  expect(stock[2]!).toBeLessThan(stock[0]!); // it does learn something
  for (let e = 0; e < 3; e++) expect(Math.abs(fast[e]! - stock[e]!) / stock[e]!).toBeLessThan(1e-5);
});

it("the reference CNN trains on wasm with the added kernels to the stock cpu losses (float tolerance)", async () => {
  const stock = await stockCpuLosses();
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(wasmDir()!, false);
  await tf.setBackend("wasm");
  registerFastKernels("wasm");
  const fast = await losses();
  console.log("losses per epoch, cpu stock:", stock, "wasm + added kernels:", fast);
  for (let e = 0; e < 3; e++) expect(Math.abs(fast[e]! - stock[e]!) / stock[e]!).toBeLessThan(1e-4);
});

import * as tf from "@tensorflow/tfjs-core";
// tfjs-core's Node bundle registers no gradients; tfjs-layers' does (tf.grad below needs them).
import "@tensorflow/tfjs-layers";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fastKernelsOf } from "../kernels/register";
import { BACKENDS, detectBackends, describeAdapter, selectBackend, softwareAdapterReason, tfjsNodeBinding, vulkanLoaderPresent } from "./index";

const require = createRequire(import.meta.url);

/** What the machine really has for tfjs-node(-gpu): not installed, installed without binding, or built. */
function tfjsNodeState(pkg: string): "missing" | "no-binding" | "built" {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return "missing";
  }
  return tfjsNodeBinding(dir) ? "built" : "no-binding";
}

describe("detectBackends", () => {
  it("lists every backend best first, each available with a device or unavailable with a reason", async () => {
    const before = tf.getBackend();
    const list = await detectBackends();
    expect(list.map((b) => b.backend)).toEqual([...BACKENDS]);
    for (const b of list) {
      if (b.available) expect(b.device).toBeTruthy();
      else expect(b.reason).toBeTruthy();
    }
    const cpu = list.find((b) => b.backend === "CPU")!;
    expect(cpu.available).toBe(true);
    expect(cpu.device).toMatch(/^cpu x\d+ \(.+\)$/);
    expect(tf.getBackend()).toBe(before); // detecting switches nothing
  });

  it("says honestly why tfjs-node and tfjs-node-gpu cannot serve here", async () => {
    const list = await detectBackends();
    for (const [backend, pkg] of [
      ["TENSORFLOW", "@tensorflow/tfjs-node"],
      ["TENSORFLOW_GPU", "@tensorflow/tfjs-node-gpu"],
    ] as const) {
      const entry = list.find((b) => b.backend === backend)!;
      const state = tfjsNodeState(pkg);
      if (state === "missing") expect(entry.reason).toMatch(/not installed/);
      if (state === "no-binding") {
        expect(entry.available).toBe(false);
        expect(entry.reason).toMatch(/native binding .* is not built/);
        expect(entry.reason).toMatch(/pnpm rebuild/);
      }
      if (state === "built") expect(entry.available).toBe(true);
    }
    expect(list.find((b) => b.backend === "TENSORFLOW_GPU")!.reason ?? "").toMatch(/^$|CUDA 11\.2/);
  });

  it("WEBGPU needs a GPU adapter through Vulkan, and says which part is missing", async () => {
    const webgpu = (await detectBackends()).find((b) => b.backend === "WEBGPU")!;
    if (webgpu.available) {
      expect(webgpu.device).toBeTruthy();
    } else if (!vulkanLoaderPresent()) {
      expect(webgpu.reason).toMatch(/Vulkan loader libvulkan\.so\.1 is missing/);
    } else {
      expect(webgpu.reason).toMatch(/no GPU adapter|only a software adapter/);
    }
  });

  it("does not offer a software WebGPU adapter (llvmpipe) unless asked to", () => {
    const llvmpipe = { vendor: "mesa", architecture: "software", device: "llvmpipe-llvm-15", description: "llvmpipe: Mesa 22.3.6 (LLVM 15.0.6)", isFallbackAdapter: true };
    expect(softwareAdapterReason(llvmpipe, {})).toMatch(/^only a software adapter \(llvmpipe: Mesa 22\.3\.6 .*\): it emulates a GPU on the CPU, usually slower than WASM; set TUNELAB_WEBGPU_ALLOW_SOFTWARE=1/);
    // Older Dawn builds leave isFallbackAdapter out: the name still gives it away.
    expect(softwareAdapterReason({ ...llvmpipe, isFallbackAdapter: undefined, architecture: "" }, {})).toMatch(/only a software adapter/);
    expect(softwareAdapterReason(llvmpipe, { TUNELAB_WEBGPU_ALLOW_SOFTWARE: "1" })).toBeNull();
    expect(softwareAdapterReason({ vendor: "nvidia", architecture: "hopper", description: "NVIDIA H100 80GB HBM3", isFallbackAdapter: false }, {})).toBeNull();
  });

  it("names an adapter from Dawn's adapter.info", () => {
    expect(describeAdapter({ vendor: "nvidia", architecture: "hopper", description: "NVIDIA H100 80GB HBM3" })).toBe(
      "NVIDIA H100 80GB HBM3, vendor nvidia, arch hopper",
    );
    expect(describeAdapter({ vendor: "", architecture: "", description: "" })).toMatch(/no adapter info/);
  });
});

describe("selectBackend", () => {
  it("rejects an empty or unknown preference list", async () => {
    await expect(selectBackend([])).rejects.toThrow(/no backend to choose from/);
    await expect(selectBackend(["TPU" as never])).rejects.toThrow(/unknown backend TPU; valid: TENSORFLOW_GPU/);
  });

  it("picks the first available backend in preference order, records why the others were passed over, registers the fast kernels", async () => {
    const detected = await detectBackends();
    const tensorflowAvailable = detected.find((b) => b.backend === "TENSORFLOW")!.available;
    const chosen = await selectBackend(["TENSORFLOW", "CPU"]);
    if (!tensorflowAvailable) {
      expect(chosen.backend).toBe("CPU");
      expect(chosen.unavailable).toEqual([{ backend: "TENSORFLOW", reason: detected.find((b) => b.backend === "TENSORFLOW")!.reason }]);
      expect(tf.getBackend()).toBe("cpu");
      expect(chosen.device).toMatch(/^cpu x\d+/);
      expect(chosen.kernels).toContain("Conv2DBackpropFilter (direct)");
      expect(fastKernelsOf("cpu")).toHaveProperty("Conv2DBackpropFilter");
    }
  });

  it("switches to WASM, with the .wasm files found under pnpm's layout, and adds the gradient kernels wasm lacks", async () => {
    const chosen = await selectBackend(["WASM"]);
    expect(chosen.backend).toBe("WASM");
    expect(tf.getBackend()).toBe("wasm");
    expect(chosen.kernels).toEqual([
      "Conv2DBackpropFilter (matmul host)",
      "DepthwiseConv2dNativeBackpropFilter (direct)",
      "DepthwiseConv2dNativeBackpropInput (direct)",
      "Conv2DBackpropInput (forward conv)",
      "BatchMatMul (transpose first)",
      "UnsortedSegmentSum (direct)",
    ]);
    // A conv layer's filter gradient now runs on wasm.
    const g = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, f as tf.Tensor4D, 1, "valid")));
    expect(Array.from(await g(tf.ones([3, 3, 1, 1])).data())).toEqual(new Array(9).fill(4));
    // Selecting again is idempotent.
    expect((await selectBackend(["WASM"])).kernels).toEqual(chosen.kernels);
  });

  it("fails with every reason when none of the preferred backends is available", async () => {
    const detected = await detectBackends();
    const unavailable = detected.filter((b) => !b.available).map((b) => b.backend);
    if (unavailable.length === 0) return;
    await expect(selectBackend(unavailable)).rejects.toThrow(new RegExp(`no training backend available: ${unavailable[0]}: `));
  });

  it("keeps the stock kernels when asked to", async () => {
    const chosen = await selectBackend(["CPU"], { fastKernels: false });
    expect(chosen.kernels).toEqual([]);
  });
});

it("the wasm files really are where setWasmPaths is pointed", async () => {
  const { wasmDir } = await import("./index");
  expect(existsSync(path.join(wasmDir()!, "tfjs-backend-wasm-simd.wasm"))).toBe(true);
});

/**
 * Training backends, best first: TENSORFLOW_GPU (tfjs-node-gpu, CUDA), TENSORFLOW (tfjs-node), WEBGPU (Dawn's
 * `webgpu` package through Vulkan), WASM (with the project's own gradient kernels), CPU. Each is optional and says
 * why when it is not available.
 */
import * as tf from "@tensorflow/tfjs-core";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { registerFastKernels, unregisterFastKernels } from "../kernels/register";
import type { FastKernelOptions, FastKernelRegistration } from "../kernels/register";

export const BACKENDS = ["TENSORFLOW_GPU", "TENSORFLOW", "WEBGPU", "WASM", "CPU"] as const;
export type Backend = (typeof BACKENDS)[number];

/** The tfjs backend name each Backend registers. */
export const TFJS_BACKEND_NAME: Record<Backend, string> = {
  TENSORFLOW_GPU: "tensorflow",
  TENSORFLOW: "tensorflow",
  WEBGPU: "webgpu",
  WASM: "wasm",
  CPU: "cpu",
};

export interface Unavailable {
  backend: Backend;
  reason: string;
}

export interface BackendStatus {
  backend: Backend;
  available: boolean;
  device?: string;
  reason?: string;
}

export interface SelectedBackend {
  backend: Backend;
  device: string;
  /** Every backend tried before the chosen one (in preference order), with the reason it was passed over. */
  unavailable: Unavailable[];
  /** Fast gradient kernels registered for the chosen backend. */
  kernels: string[];
}

export interface SelectOptions {
  /** Options for registerFastKernels; `false` puts the backend's stock kernels back (for comparisons). */
  fastKernels?: FastKernelOptions | false;
}

const require = createRequire(import.meta.url);

/** Thrown inside a probe: the backend cannot be used here, for this reason. */
class NotAvailable extends Error {}

interface Probe {
  /** Cheap check, no tfjs backend registered: the device name, or throws NotAvailable. */
  detect(): Promise<string>;
  /** Register the tfjs backend (after detect succeeded). */
  load(): Promise<void>;
}

function cpuDevice(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() || "unknown CPU";
  return `cpu x${cpus.length} (${model})`;
}

function resolvePackage(name: string): string | null {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- tfjs-node / tfjs-node-gpu

const TFJS_NODE_HELP: Record<"TENSORFLOW" | "TENSORFLOW_GPU", string> = {
  TENSORFLOW:
    "its install script downloads libtensorflow 2.9.1 and was not run here (denied in pnpm-workspace.yaml allowBuilds): " +
    "on a machine with internet (or TFJS_NODE_BASE_URI pointing at a mirror) run `pnpm rebuild @tensorflow/tfjs-node`",
  TENSORFLOW_GPU:
    "its install script downloads libtensorflow 2.9.1 (GPU) and was not run here (denied in pnpm-workspace.yaml allowBuilds): " +
    "on a Linux machine with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1, with internet (or TFJS_NODE_BASE_URI pointing at a mirror), " +
    "run `pnpm rebuild @tensorflow/tfjs-node-gpu`",
};

/** Where the native binding of tfjs-node(-gpu) would be, if its install script had built it. */
export function tfjsNodeBinding(packageDir: string): string | null {
  const lib = path.join(packageDir, "lib");
  if (!existsSync(lib)) return null;
  for (const d of readdirSync(lib)) {
    const candidate = path.join(lib, d, "tfjs_binding.node");
    if (d.startsWith("napi-v") && existsSync(candidate)) return candidate;
  }
  return null;
}

let tensorflowLoadedBy: Backend | null = null;

function tfjsNodeProbe(backend: "TENSORFLOW" | "TENSORFLOW_GPU"): Probe {
  const pkg = backend === "TENSORFLOW_GPU" ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
  return {
    async detect() {
      if (tensorflowLoadedBy && tensorflowLoadedBy !== backend) {
        throw new NotAvailable(`${TFJS_BACKEND_NAME[tensorflowLoadedBy]} backend already provided by ${tensorflowLoadedBy} in this process`);
      }
      const dir = resolvePackage(pkg);
      if (!dir) throw new NotAvailable(`${pkg} is not installed (optional dependency; ${TFJS_NODE_HELP[backend]})`);
      if (!tfjsNodeBinding(dir)) {
        throw new NotAvailable(`${pkg} is installed but its native binding (lib/napi-v*/tfjs_binding.node) is not built: ${TFJS_NODE_HELP[backend]}`);
      }
      if (backend === "TENSORFLOW_GPU") return gpuNameFromNvidiaSmi() ?? "CUDA GPU (libtensorflow)";
      return `${cpuDevice()} (libtensorflow)`;
    },
    async load() {
      try {
        require(pkg);
      } catch (e) {
        throw new NotAvailable(`${pkg} failed to load: ${(e as Error).message.split("\n")[0]}`);
      }
      tensorflowLoadedBy = backend;
    },
  };
}

function gpuNameFromNvidiaSmi(): string | null {
  try {
    const out = execFileSync("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"], { encoding: "utf8", timeout: 5000 });
    return out.trim().split("\n")[0] || null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- WEBGPU (Dawn)

interface DawnAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** True for a software adapter (Mesa's llvmpipe/lavapipe, SwiftShader): the "GPU" runs on the CPU. */
  isFallbackAdapter?: boolean;
}
interface DawnAdapter {
  info?: DawnAdapterInfo;
}
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<DawnAdapter | null>;
}

let dawn: { gpu: DawnGpu; globals: Record<string, unknown> } | null = null;

const VULKAN_LOADER_DIRS = [
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/usr/lib",
  "/lib/x86_64-linux-gnu",
  "/lib64",
  "/usr/local/lib",
];

/** Whether the Vulkan loader that Dawn opens (libvulkan.so.1) can be found. */
export function vulkanLoaderPresent(): boolean {
  if (process.platform !== "linux") return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), ...VULKAN_LOADER_DIRS];
  return dirs.some((d) => existsSync(path.join(d, "libvulkan.so.1")));
}

/** Human-readable adapter name from Dawn's `adapter.info`. */
export function describeAdapter(info: DawnAdapterInfo | undefined): string {
  if (!info) return "WebGPU adapter";
  const parts = [info.description, info.vendor && `vendor ${info.vendor}`, info.architecture && `arch ${info.architecture}`]
    .filter((p): p is string => Boolean(p && p.trim()));
  return parts.length > 0 ? parts.join(", ") : "WebGPU adapter (no adapter info)";
}

/** Set to 1 to train on a software WebGPU adapter anyway (e.g. to test WebGPU kernels on a machine without a GPU). */
export const ALLOW_SOFTWARE_WEBGPU_ENV = "TUNELAB_WEBGPU_ALLOW_SOFTWARE";

/**
 * Why a software adapter is not offered, or null for a real GPU. Dawn hands out Mesa's llvmpipe where it is the only
 * Vulkan device (mesa-vulkan-drivers is installed on many Linux desktops and servers): it would make WEBGPU look
 * available and pick it over WASM, at a few dozen samples/s.
 */
export function softwareAdapterReason(info: DawnAdapterInfo | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!info) return null;
  const software = info.isFallbackAdapter === true || info.architecture === "software" || /llvmpipe|lavapipe|swiftshader/i.test(`${info.description} ${info.device}`);
  if (!software || env[ALLOW_SOFTWARE_WEBGPU_ENV] === "1") return null;
  return `only a software adapter (${describeAdapter(info)}): it emulates a GPU on the CPU, usually slower than WASM; set ${ALLOW_SOFTWARE_WEBGPU_ENV}=1 to use it anyway`;
}

let webgpuAdapter: DawnAdapter | null = null;

const webgpuProbe: Probe = {
  async detect() {
    // No resolve check first: inside a bundle (bench's bundle-gpu) `webgpu` is inlined and finds dawn.node beside it.
    if (!dawn) {
      let mod: { create(flags: string[]): DawnGpu; globals: Record<string, unknown> };
      try {
        mod = (await import("webgpu")) as unknown as typeof mod;
      } catch (e) {
        const why = (e as Error).message.split("\n")[0];
        throw new NotAvailable(resolvePackage("webgpu") ? `Dawn's dawn.node failed to load: ${why}` : `the \`webgpu\` package (Dawn) is not installed: ${why}`);
      }
      dawn = { gpu: mod.create([]), globals: mod.globals };
    }
    webgpuAdapter = await dawn.gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!webgpuAdapter) {
      if (!vulkanLoaderPresent()) {
        throw new NotAvailable(
          "no GPU adapter: the Vulkan loader libvulkan.so.1 is missing (install libvulkan1 and the GPU's Vulkan driver, e.g. the NVIDIA driver's ICD)",
        );
      }
      throw new NotAvailable("no GPU adapter: Dawn found no Vulkan device (no GPU, or no Vulkan driver/ICD for it)");
    }
    const software = softwareAdapterReason(webgpuAdapter.info);
    if (software) throw new NotAvailable(software);
    return describeAdapter(webgpuAdapter.info);
  },
  async load() {
    if (!dawn) throw new NotAvailable("Dawn not initialised");
    // tfjs-backend-webgpu registers itself at import time, and only if navigator.gpu exists.
    Object.assign(globalThis, dawn.globals);
    const nav = (globalThis as { navigator?: object }).navigator ?? {};
    Object.defineProperty(globalThis, "navigator", { value: { ...nav, gpu: dawn.gpu }, configurable: true, writable: true });
    await import("@tensorflow/tfjs-backend-webgpu");
    if (!tf.findBackendFactory("webgpu")) throw new NotAvailable("tfjs-backend-webgpu did not register (navigator.gpu not seen)");
  },
};

// ---------------------------------------------------------------- WASM

/** Directory holding tfjs-backend-wasm's .wasm files (real path under pnpm's layout), with a trailing slash. */
export function wasmDir(): string | null {
  const dir = resolvePackage("@tensorflow/tfjs-backend-wasm");
  if (!dir) return null;
  const dist = path.join(dir, "dist");
  return existsSync(path.join(dist, "tfjs-backend-wasm.wasm")) ? `${dist}${path.sep}` : null;
}

const wasmProbe: Probe = {
  async detect() {
    if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== "object") throw new NotAvailable("this runtime has no WebAssembly");
    if (!resolvePackage("@tensorflow/tfjs-backend-wasm")) throw new NotAvailable("@tensorflow/tfjs-backend-wasm is not installed");
    if (!wasmDir()) throw new NotAvailable("tfjs-backend-wasm's .wasm files were not found next to its package");
    return `${cpuDevice()}, wasm single-threaded`;
  },
  async load() {
    const mod = await import("@tensorflow/tfjs-backend-wasm");
    // Node reads the files from disk: a plain path prefix, not a URL to fetch.
    mod.setWasmPaths(wasmDir()!, false);
  },
};

// ---------------------------------------------------------------- CPU

const cpuProbe: Probe = {
  async detect() {
    return cpuDevice();
  },
  async load() {
    await import("@tensorflow/tfjs-backend-cpu");
  },
};

const PROBES: Record<Backend, Probe> = {
  TENSORFLOW_GPU: tfjsNodeProbe("TENSORFLOW_GPU"),
  TENSORFLOW: tfjsNodeProbe("TENSORFLOW"),
  WEBGPU: webgpuProbe,
  WASM: wasmProbe,
  CPU: cpuProbe,
};

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What this process could train on, best first, without switching the tfjs backend (for a worker to advertise). */
export async function detectBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const backend of BACKENDS) {
    try {
      out.push({ backend, available: true, device: await PROBES[backend].detect() });
    } catch (e) {
      out.push({ backend, available: false, reason: reasonOf(e) });
    }
  }
  return out;
}

function checkPreferences(preferences: readonly Backend[]): void {
  for (const p of preferences) {
    if (!BACKENDS.includes(p)) throw new Error(`unknown backend ${String(p)}; valid: ${BACKENDS.join(", ")}`);
  }
  if (preferences.length === 0) throw new Error(`no backend to choose from; valid: ${BACKENDS.join(", ")}`);
}

/**
 * Switch tfjs to the best available backend (in `preferences` order when given, else TENSORFLOW_GPU, TENSORFLOW,
 * WEBGPU, WASM, CPU), wait for it to be ready and register the fast gradient kernels for it.
 * Throws, listing every reason, when none of the preferred ones is available.
 */
export async function selectBackend(preferences: readonly Backend[] = BACKENDS, options: SelectOptions = {}): Promise<SelectedBackend> {
  checkPreferences(preferences);
  const unavailable: Unavailable[] = [];
  for (const backend of preferences) {
    const probe = PROBES[backend];
    try {
      const device = await probe.detect();
      await probe.load();
      const name = TFJS_BACKEND_NAME[backend];
      let ok: boolean;
      try {
        ok = await tf.setBackend(name);
        await tf.ready();
      } catch (e) {
        throw new NotAvailable(`tf.setBackend('${name}') failed: ${reasonOf(e)}`);
      }
      if (!ok || tf.getBackend() !== name) throw new NotAvailable(`tf.setBackend('${name}') failed to initialise`);
      let registration: FastKernelRegistration = { backendName: name, kernels: [] };
      if (options.fastKernels === false) unregisterFastKernels(name);
      else registration = registerFastKernels(name, options.fastKernels ?? {});
      return { backend, device, unavailable, kernels: registration.kernels };
    } catch (e) {
      unavailable.push({ backend, reason: reasonOf(e) });
    }
  }
  throw new Error(`no training backend available: ${unavailable.map((u) => `${u.backend}: ${u.reason}`).join("; ")}`);
}

export { registerFastKernels, unregisterFastKernels } from "../kernels/register";

import { getKernel, registerKernel, unregisterKernel } from "@tensorflow/tfjs-core";
import type {
  Conv2DBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import { filterGradConvInfo, unsupportedReason } from "./conv-info";
import {
  conv2DBackpropFilterDirect,
  depthwiseBackpropFilterDirect,
  depthwiseBackpropInputDirect,
  depthwiseInfo,
  readFloats,
  readInts,
  unsortedSegmentSumDirect,
  writeFloats,
} from "./direct";
import { conv2DBackpropFilterMatmul } from "./matmul";
import type { FilterGradLayout } from "./matmul";
import { backpropInputInfo, backpropInputUnsupported, batchMatMulPlain, conv2DBackpropInputViaConv } from "./wasm-extra";
import type { BackpropInputAttrs } from "./wasm-extra";

/**
 * How Conv2DBackpropFilter is computed:
 * - `matmul`: im2col + chunked batched matmul through the backend's own kernels (issue 8),
 * - `direct`: typed-array loops (host-memory backends only: cpu, wasm),
 * - `stock`: the backend's own kernel (left as shipped).
 */
export type FilterGradStrategy = "matmul" | "direct" | "stock";

export interface FastKernelOptions {
  conv2DBackpropFilter?: FilterGradStrategy;
  /** Rows per chunk of the matmul reduction (default: 2048 on webgpu, one plain matmul elsewhere). */
  chunk?: number;
  /** How the patches are built (default: `nhwc` on webgpu, `host` on cpu and wasm; see matmul.ts). */
  layout?: FilterGradLayout;
  /**
   * wasm only (default true): also replace Conv2DBackpropInput (by a forward conv on XNNPACK) and BatchMatMul with a
   * transposed operand (transpose first), the next largest costs of a training step once the filter gradient is fast.
   */
  wasmExtras?: boolean;
  /** Where "falling back to the stock kernel" notes go (once per reason; one logger for all backends). Default: console.warn. */
  log?: (message: string) => void;
}

export interface FastKernelRegistration {
  backendName: string;
  /** Kernels this call put in place, e.g. `Conv2DBackpropFilter (matmul)`. */
  kernels: string[];
}

/**
 * The strategy measured fastest on each backend (bench/: `pnpm --filter @tunelab/bench trainer-throughput`).
 * Backends not listed keep their stock kernels.
 */
export const DEFAULT_STRATEGY: Record<string, FilterGradStrategy> = {
  webgpu: "matmul",
  // On cpu both beat the stock kernel ~25x; the direct loops were 8-20% faster than the cpu backend's BatchMatMul
  // in quiet runs (9.4 vs 8.7 and 9.9 vs 8.2 samples/s on the reference CNN).
  cpu: "direct",
  // wasm: im2col + XNNPACK matmul, 3x the direct loops (162 vs 54 samples/s).
  wasm: "matmul",
};

const HOST_BACKENDS = new Set(["cpu", "wasm"]);
const FILTER = "Conv2DBackpropFilter";
const DW_FILTER = "DepthwiseConv2dNativeBackpropFilter";
const DW_INPUT = "DepthwiseConv2dNativeBackpropInput";
const INPUT = "Conv2DBackpropInput";
const SEGMENT_SUM = "UnsortedSegmentSum";
const MATMUL = "BatchMatMul";

/** Stock kernels we replaced (undefined: the backend had none), per backend and kernel name. */
const stock = new Map<string, Map<string, KernelConfig | undefined>>();
/** What is registered by us now, per backend: kernel name -> description. */
const ours = new Map<string, Map<string, string>>();
const logged = new Set<string>();
let log: (message: string) => void = (m) => console.warn(m);

function logOnce(key: string, message: string): void {
  if (logged.has(key)) return;
  logged.add(key);
  log(message);
}

function replaceKernel(backendName: string, kernelName: string, kernelFunc: KernelFunc, description: string): void {
  let saved = stock.get(backendName);
  if (!saved) stock.set(backendName, (saved = new Map()));
  const current = getKernel(kernelName, backendName);
  if (!saved.has(kernelName)) saved.set(kernelName, current);
  if (current) unregisterKernel(kernelName, backendName);
  registerKernel({ kernelName, backendName, kernelFunc });
  let mine = ours.get(backendName);
  if (!mine) ours.set(backendName, (mine = new Map()));
  mine.set(kernelName, description);
}

/** The backend's own kernel as shipped (what we fall back to), or undefined when it has none. */
export function stockKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  const saved = stock.get(backendName);
  if (saved?.has(kernelName)) return saved.get(kernelName);
  return getKernel(kernelName, backendName);
}

/** Kernels registered by registerFastKernels on this backend now (kernel name -> strategy). */
export function fastKernelsOf(backendName: string): Record<string, string> {
  return Object.fromEntries(ours.get(backendName) ?? []);
}

/**
 * Put the fast gradient kernels in place for one backend (`cpu`, `wasm`, `webgpu`; others are left alone).
 * Idempotent: calling it again with the same options changes nothing; with other options it swaps the
 * strategy. The stock kernel stays reachable as the fallback for what the fast path does not cover
 * (NCHW, strides other than 1 and 2, dilation), logged once per reason.
 */
export function registerFastKernels(backendName: string, options: FastKernelOptions = {}): FastKernelRegistration {
  if (options.log) log = options.log;
  const strategy = options.conv2DBackpropFilter ?? DEFAULT_STRATEGY[backendName] ?? "stock";
  const chunk = options.chunk ?? (backendName === "webgpu" ? 2048 : Infinity);
  const layout = options.layout ?? (HOST_BACKENDS.has(backendName) ? "host" : "nhwc");
  const kernels: string[] = [];

  const fallback = stockKernel(FILTER, backendName);
  if (strategy === "stock") {
    restoreKernel(backendName, FILTER);
  } else {
    if (layout === "host" && strategy === "matmul" && !HOST_BACKENDS.has(backendName)) {
      throw new Error(`the host im2col layout reads host memory: not for backend ${backendName} (use layout "nhwc")`);
    }
    if (strategy === "direct" && !HOST_BACKENDS.has(backendName)) {
      throw new Error(`the direct Conv2DBackpropFilter reads host memory: not for backend ${backendName}`);
    }
    const description =
      strategy === "matmul" ? `matmul ${layout}${layout === "nhwc" && Number.isFinite(chunk) ? ` chunk ${chunk}` : ""}` : strategy;
    if (ours.get(backendName)?.get(FILTER) !== description) {
      const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
        const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
        const kb = backend as KernelBackend;
        const convAttrs = attrs as unknown as Conv2DBackpropFilterAttrs;
        const info = filterGradConvInfo(x, convAttrs);
        const why = unsupportedReason(x, dy, info);
        if (why !== null) {
          if (fallback) {
            logOnce(`${backendName}:${FILTER}:${why}`, `${FILTER} on ${backendName}: ${why}; using the stock kernel`);
            return fallback.kernelFunc({ inputs, backend, attrs });
          }
          // wasm ships no kernel to fall back to: the direct loops cover any stride and padding in NHWC float32.
          if (!HOST_BACKENDS.has(backendName) || info.dataFormat !== "channelsLast" || x.dtype !== "float32") {
            throw new Error(`${FILTER} on ${backendName}: ${why}, and the backend has no stock kernel`);
          }
          logOnce(`${backendName}:${FILTER}:${why}`, `${FILTER} on ${backendName}: ${why}; using the direct kernel`);
        }
        if (strategy === "direct" || why !== null) {
          const dw = conv2DBackpropFilterDirect(readFloats(kb, x), readFloats(kb, dy), info);
          return writeFloats(kb, convAttrs.filterShape, dw);
        }
        return conv2DBackpropFilterMatmul(backendName, kb, x, dy, info, { chunk, layout });
      };
      replaceKernel(backendName, FILTER, kernelFunc, description);
    }
    kernels.push(`${FILTER} (${description})`);
  }

  // Depthwise backprop: only where the backend has none (wasm); cpu and webgpu ship theirs.
  if (backendName === "wasm") {
    if (!ours.get(backendName)?.has(DW_FILTER) && !getKernel(DW_FILTER, backendName)) {
      replaceKernel(
        backendName,
        DW_FILTER,
        ({ inputs, backend, attrs }) => {
          const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
          const kb = backend as KernelBackend;
          const a = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
          const info = depthwiseInfo(x.shape, a.filterShape, a);
          return writeFloats(kb, a.filterShape, depthwiseBackpropFilterDirect(readFloats(kb, x), readFloats(kb, dy), info));
        },
        "direct",
      );
    }
    if (!ours.get(backendName)?.has(DW_INPUT) && !getKernel(DW_INPUT, backendName)) {
      replaceKernel(
        backendName,
        DW_INPUT,
        ({ inputs, backend, attrs }) => {
          const { dy, filter } = inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
          const kb = backend as KernelBackend;
          const a = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
          const info = depthwiseInfo(a.inputShape, filter.shape, a);
          return writeFloats(kb, a.inputShape, depthwiseBackpropInputDirect(readFloats(kb, dy), readFloats(kb, filter), info));
        },
        "direct",
      );
    }
    kernels.push(`${DW_FILTER} (direct)`, `${DW_INPUT} (direct)`);

    if (options.wasmExtras === false) {
      restoreKernel(backendName, INPUT);
      restoreKernel(backendName, MATMUL);
    } else {
      const stockInput = stockKernel(INPUT, backendName);
      if (!ours.get(backendName)?.has(INPUT) && stockInput) {
        replaceKernel(
          backendName,
          INPUT,
          ({ inputs, backend, attrs }) => {
            const { dy, filter } = inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
            const a = attrs as unknown as BackpropInputAttrs;
            const info = backpropInputInfo(filter, a);
            const why = backpropInputUnsupported(dy, info);
            if (why !== null) {
              logOnce(`${backendName}:${INPUT}:${why}`, `${INPUT} on ${backendName}: ${why}; using the stock kernel`);
              return stockInput.kernelFunc({ inputs, backend, attrs });
            }
            return conv2DBackpropInputViaConv(backendName, backend as KernelBackend, dy, filter, info);
          },
          "forward conv",
        );
      }
      const stockMatMul = stockKernel(MATMUL, backendName);
      if (!ours.get(backendName)?.has(MATMUL) && stockMatMul) {
        replaceKernel(backendName, MATMUL, batchMatMulPlain(stockMatMul, backendName) as KernelFunc, "transpose first");
      }
      kernels.push(`${INPUT} (forward conv)`, `${MATMUL} (transpose first)`);
    }
  }
  // UnsortedSegmentSum (the Embedding layer's gradient): wasm has none; cpu's runs one masked sum per segment
  // (numSegments passes over the data). One pass over the rows instead, on both.
  if (HOST_BACKENDS.has(backendName)) {
    const stockSegmentSum = stockKernel(SEGMENT_SUM, backendName);
    if (!ours.get(backendName)?.has(SEGMENT_SUM)) {
      replaceKernel(
        backendName,
        SEGMENT_SUM,
        ({ inputs, backend, attrs }) => {
          const { x, segmentIds } = inputs as unknown as { x: TensorInfo; segmentIds: TensorInfo };
          const { numSegments } = attrs as unknown as { numSegments: number };
          const kb = backend as KernelBackend;
          if (x.dtype !== "float32") {
            if (!stockSegmentSum) throw new Error(`${SEGMENT_SUM} on ${backendName}: dtype ${x.dtype} (only float32)`);
            logOnce(`${backendName}:${SEGMENT_SUM}:${x.dtype}`, `${SEGMENT_SUM} on ${backendName}: dtype ${x.dtype}; using the stock kernel`);
            return stockSegmentSum.kernelFunc({ inputs, backend, attrs });
          }
          const out = unsortedSegmentSumDirect(readFloats(kb, x), readInts(kb, segmentIds), numSegments);
          return writeFloats(kb, [numSegments, ...x.shape.slice(segmentIds.shape.length)], out);
        },
        "direct",
      );
    }
    kernels.push(`${SEGMENT_SUM} (direct)`);
  }
  return { backendName, kernels };
}

function restoreKernel(backendName: string, kernelName: string): void {
  const mine = ours.get(backendName);
  if (!mine?.has(kernelName)) return;
  unregisterKernel(kernelName, backendName);
  const original = stock.get(backendName)?.get(kernelName);
  if (original) registerKernel(original);
  mine.delete(kernelName);
}

/** Put the stock kernels back (what the backend shipped; none where it had none). */
export function unregisterFastKernels(backendName: string): void {
  for (const name of [...(ours.get(backendName)?.keys() ?? [])]) restoreKernel(backendName, name);
}

export type { TensorInfo };

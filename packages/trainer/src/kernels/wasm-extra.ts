/**
 * Two more wasm kernels that the reference CNN's profile pointed at once the filter gradient was fast
 * (`pnpm --filter @tunelab/bench trainer-throughput --only wasm --profile`):
 *
 * - Conv2DBackpropInput: the stock wasm kernel is a plain loop (49% of a step). The input gradient is a forward
 *   convolution of dy, zero-upsampled by the stride and padded, with the filter rotated 180 degrees and its in/out
 *   channels swapped; the forward Conv2D of the wasm backend runs on XNNPACK.
 * - BatchMatMul with a transposed operand (the dense layers' gradients): the stock wasm kernel takes a slow path
 *   (~10x slower than the plain product); transposing the operand first with the Transpose kernel is cheaper.
 */
import { backend_util } from "@tensorflow/tfjs-core";
import type { KernelBackend, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";
import { getKernel } from "@tensorflow/tfjs-core";
import type { Conv2DInfo } from "./conv-info";
import { allocFloats, readFloats } from "./direct";

function run(backendName: string, backend: KernelBackend, name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo {
  const kernel = getKernel(name, backendName);
  if (!kernel) throw new Error(`backend ${backendName} has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

export interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: backend_util.PadInfo["type"] | number | backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape: [number, number, number, number];
}

export function backpropInputInfo(filter: TensorInfo, attrs: BackpropInputAttrs): Conv2DInfo {
  return backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as never,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

/** Why the conv-based input gradient cannot serve this call, or null. */
export function backpropInputUnsupported(dy: TensorInfo, info: Conv2DInfo): string | null {
  if (info.dataFormat !== "channelsLast") return `data format ${info.dataFormat} (only NHWC)`;
  if (dy.dtype !== "float32") return `dtype ${dy.dtype} (only float32)`;
  if (info.padInfo.top > info.filterHeight - 1 || info.padInfo.left > info.filterWidth - 1) return "padding wider than the filter";
  return null;
}

/** dx = Conv2D(zero-upsampled, padded dy; filter rotated 180 degrees with in/out swapped), stride 1, valid. */
export function conv2DBackpropInputViaConv(
  backendName: string,
  backend: KernelBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const padTop = KH - 1 - info.padInfo.top;
  const padLeft = KW - 1 - info.padInfo.left;
  const HU = H + KH - 1;
  const WU = W + KW - 1;

  const dyv = readFloats(backend, dy);
  const up = allocFloats(backend, [N, HU, WU, CO]);
  const u = up.values;
  u.fill(0);
  for (let b = 0; b < N; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const y = padTop + oy * SH;
      if (y >= HU) continue;
      for (let ox = 0; ox < OW; ox++) {
        const x = padLeft + ox * SW;
        if (x >= WU) continue;
        const src = ((b * OH + oy) * OW + ox) * CO;
        u.set(dyv.subarray(src, src + CO), ((b * HU + y) * WU + x) * CO);
      }
    }
  }

  const fv = readFloats(backend, filter);
  const flipped = allocFloats(backend, [KH, KW, CO, CI]);
  const f = flipped.values;
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++)
      for (let ci = 0; ci < CI; ci++)
        for (let co = 0; co < CO; co++) {
          f[(((KH - 1 - kh) * KW + (KW - 1 - kw)) * CO + co) * CI + ci] = fv[((kh * KW + kw) * CI + ci) * CO + co]!;
        }

  try {
    return run(backendName, backend, "Conv2D", { x: up.info, filter: flipped.info }, {
      strides: [1, 1],
      pad: "valid",
      dataFormat: "NHWC",
      dilations: [1, 1],
      dimRoundingMode: undefined as never,
    });
  } finally {
    backend.disposeData(up.info.dataId);
    backend.disposeData(flipped.info.dataId);
  }
}

/** BatchMatMul that transposes a transposed operand first (Transpose kernel), then runs the plain product. */
export function batchMatMulPlain(stock: KernelConfig, backendName: string) {
  return ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo => {
    const kb = backend as KernelBackend;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return stock.kernelFunc({ inputs, backend: kb, attrs }) as TensorInfo;
    const swap = (t: TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      return run(backendName, kb, "Transpose", { x: t }, { perm });
    };
    const at = transposeA ? swap(a) : a;
    const bt = transposeB ? swap(b) : b;
    try {
      return stock.kernelFunc({ inputs: { a: at, b: bt }, backend: kb, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    } finally {
      if (at !== a) kb.disposeData(at.dataId);
      if (bt !== b) kb.disposeData(bt.dataId);
    }
  };
}

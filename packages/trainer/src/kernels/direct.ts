/**
 * Typed-array gradient kernels for backends that keep tensors in host memory (cpu, wasm).
 *
 * The wasm backend of tfjs 4.22 has no Conv2DBackpropFilter and no depthwise backprop kernels, so conv layers
 * cannot be trained on it as shipped. These fill the gap: plain loops over NHWC data, accumulating in float64,
 * skipping zero activations (after ReLU about half of them are zero).
 */
import { backend_util } from "@tensorflow/tfjs-core";
import type {
  Conv2DBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelBackend,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import type { Conv2DInfo } from "./conv-info";

type HostBackend = KernelBackend & {
  readSync(dataId: unknown): backend_util.BackendValues;
  /** cpu */
  makeTensorInfo?(shape: number[], dtype: "float32", values: Float32Array): TensorInfo;
  /** wasm: copies values into the wasm heap */
  makeOutput?(shape: number[], dtype: "float32", memoryOffset: undefined, values: Float32Array): TensorInfo;
};

export function readFloats(backend: KernelBackend, t: TensorInfo): Float32Array {
  const values = (backend as HostBackend).readSync(t.dataId);
  if (!(values instanceof Float32Array)) throw new Error(`expected float32 data, got ${t.dtype}`);
  return values;
}

export function writeFloats(backend: KernelBackend, shape: number[], values: Float64Array | Float32Array): TensorInfo {
  const out = values instanceof Float32Array ? values : Float32Array.from(values);
  const host = backend as HostBackend;
  if (host.makeTensorInfo) return host.makeTensorInfo(shape, "float32", out);
  if (host.makeOutput) return host.makeOutput(shape, "float32", undefined, out);
  throw new Error("backend keeps no host memory: no makeTensorInfo/makeOutput");
}

/** A float32 output tensor in the backend's memory and a writable view of it (uninitialised on wasm). */
export function allocFloats(backend: KernelBackend, shape: number[]): { info: TensorInfo; values: Float32Array } {
  const host = backend as HostBackend & { typedArrayFromHeap?(t: TensorInfo): Float32Array };
  const size = shape.reduce((a, b) => a * b, 1);
  if (host.makeOutput && host.typedArrayFromHeap) {
    const info = host.makeOutput(shape, "float32", undefined, undefined as unknown as Float32Array);
    return { info, values: host.typedArrayFromHeap(info) };
  }
  const values = new Float32Array(size);
  return { info: writeFloats(backend, shape, values), values };
}

/** dW[kh,kw,ci,co] = sum over b,oy,ox of x[b, oy*sh+kh-top, ox*sw+kw-left, ci] * dy[b,oy,ox,co] (NHWC). */
export function conv2DBackpropFilterDirect(x: Float32Array, dy: Float32Array, info: Conv2DInfo): Float64Array {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dw = new Float64Array(KH * KW * CI * CO);
  for (let b = 0; b < N; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const dyOff = ((b * OH + oy) * OW + ox) * CO;
        for (let kh = 0; kh < KH; kh++) {
          const iy = oy * SH + kh - top;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const ix = ox * SW + kw - left;
            if (ix < 0 || ix >= W) continue;
            const xOff = ((b * H + iy) * W + ix) * CI;
            const wOff = (kh * KW + kw) * CI * CO;
            for (let ci = 0; ci < CI; ci++) {
              const xv = x[xOff + ci]!;
              if (xv === 0) continue;
              const o = wOff + ci * CO;
              for (let co = 0; co < CO; co++) dw[o + co]! += xv * dy[dyOff + co]!;
            }
          }
        }
      }
    }
  }
  return dw;
}

/** Depthwise filter gradient: dW[kh,kw,ci,m] = sum x[b,iy,ix,ci] * dy[b,oy,ox,ci*CM+m]. */
export function depthwiseBackpropFilterDirect(x: Float32Array, dy: Float32Array, info: Conv2DInfo): Float64Array {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { dilationHeight: DH, dilationWidth: DW } = info;
  const CM = CO / CI;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dw = new Float64Array(KH * KW * CI * CM);
  for (let b = 0; b < N; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const dyOff = ((b * OH + oy) * OW + ox) * CO;
        for (let kh = 0; kh < KH; kh++) {
          const iy = oy * SH + kh * DH - top;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const ix = ox * SW + kw * DW - left;
            if (ix < 0 || ix >= W) continue;
            const xOff = ((b * H + iy) * W + ix) * CI;
            const wOff = (kh * KW + kw) * CI * CM;
            for (let ci = 0; ci < CI; ci++) {
              const xv = x[xOff + ci]!;
              if (xv === 0) continue;
              for (let m = 0; m < CM; m++) dw[wOff + ci * CM + m]! += xv * dy[dyOff + ci * CM + m]!;
            }
          }
        }
      }
    }
  }
  return dw;
}

/** Depthwise input gradient: dx[b,iy,ix,ci] = sum over taps hitting (iy,ix) of f[kh,kw,ci,m] * dy[b,oy,ox,ci*CM+m]. */
export function depthwiseBackpropInputDirect(dy: Float32Array, filter: Float32Array, info: Conv2DInfo): Float64Array {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { dilationHeight: DH, dilationWidth: DW } = info;
  const CM = CO / CI;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dx = new Float64Array(N * H * W * CI);
  for (let b = 0; b < N; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const dyOff = ((b * OH + oy) * OW + ox) * CO;
        for (let kh = 0; kh < KH; kh++) {
          const iy = oy * SH + kh * DH - top;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const ix = ox * SW + kw * DW - left;
            if (ix < 0 || ix >= W) continue;
            const xOff = ((b * H + iy) * W + ix) * CI;
            const wOff = (kh * KW + kw) * CI * CM;
            for (let ci = 0; ci < CI; ci++) {
              let acc = 0;
              for (let m = 0; m < CM; m++) acc += filter[wOff + ci * CM + m]! * dy[dyOff + ci * CM + m]!;
              dx[xOff + ci]! += acc;
            }
          }
        }
      }
    }
  }
  return dx;
}

export function depthwiseInfo(
  inShape: number[],
  filterShape: number[],
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs | DepthwiseConv2dNativeBackpropInputAttrs,
): Conv2DInfo {
  return backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

export type { Conv2DBackpropFilterAttrs };

/**
 * UnsortedSegmentSum (the gradient of an Embedding / gather): out[id] += x[s] for every row s with id = segmentIds[s]
 * in [0, numSegments); rows with other ids are dropped, as in tfjs. x is viewed as [S, inner] with S = segmentIds.size.
 */
export function unsortedSegmentSumDirect(x: Float32Array, ids: ArrayLike<number>, numSegments: number): Float64Array {
  const S = ids.length;
  const inner = S === 0 ? 0 : x.length / S;
  const out = new Float64Array(numSegments * inner);
  for (let s = 0; s < S; s++) {
    const id = ids[s]!;
    if (id < 0 || id >= numSegments) continue;
    const src = s * inner;
    const dst = id * inner;
    for (let j = 0; j < inner; j++) out[dst + j]! += x[src + j]!;
  }
  return out;
}

export function readInts(backend: KernelBackend, t: TensorInfo): ArrayLike<number> {
  return (backend as HostBackend).readSync(t.dataId) as ArrayLike<number>;
}

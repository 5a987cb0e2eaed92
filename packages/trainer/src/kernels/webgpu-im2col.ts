/**
 * im2col on the WEBGPU backend as one compute shader, for the matmul filter gradient's `shader` layout:
 * patches [M, K] with M = N*OH*OW rows in (n, oh, ow) order and K = KH*KW*CI columns in the filter's (kh, kw, ci)
 * order, zero where the window hangs over the padding.
 *
 * Why: once the filter gradient is a matmul, a WEBGPU training step of the reference CNN is bound by launches, not by
 * the GPU (bench `gpu --breakdown` on an H100: ~10 ms of JS and Dawn dispatch against ~1 ms of waiting, ~60 us per
 * kernel). The `nhwc` layout builds the patches from PadV2 + KH*KW Slices + Concat, 11 launches for a 3x3 conv; this
 * is one.
 *
 * The program follows tfjs-backend-webgpu's WebGPUProgram shape (duck-typed: the package exports no program base
 * class): tfjs generates the bindings, `getX(n, h, w, c)`, `uniforms.xShape`, `uniforms.size` and
 * `setOutputAtIndex`, and splits a dispatch wider than the device allows over a second dimension itself.
 */
import type { KernelBackend, TensorInfo } from "@tensorflow/tfjs-core";
import type { Conv2DInfo } from "./conv-info";

const WORKGROUP = 64;

interface WebGpuProgramLike {
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  size: boolean;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  getUserCode(): string;
}

type ProgramUniforms = { type: "int32"; data: number[] }[];

interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgramLike, inputs: TensorInfo[], outputDtype: "float32", uniforms: ProgramUniforms): TensorInfo;
}

function isWebGpuBackend(backend: KernelBackend): backend is KernelBackend & WebGpuBackendLike {
  return typeof (backend as Partial<WebGpuBackendLike>).runWebGPUProgram === "function";
}

/** The WGSL body; every shape-dependent number is a uniform, so one compiled pipeline serves every conv layer. */
export const IM2COL_WGSL = `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let row = index / uniforms.cols;
        let col = index - row * uniforms.cols;
        let ci = col % uniforms.inChannels;
        let tap = col / uniforms.inChannels;
        let kw = tap % uniforms.filterWidth;
        let kh = tap / uniforms.filterWidth;
        let ow = row % uniforms.outWidth;
        let nh = row / uniforms.outWidth;
        let oh = nh % uniforms.outHeight;
        let n = nh / uniforms.outHeight;
        let xr = oh * uniforms.strides[0] - uniforms.pads[0] + kh;
        let xc = ow * uniforms.strides[1] - uniforms.pads[1] + kw;
        var value = 0.0;
        if (xr >= 0 && xr < uniforms.xShape[1] && xc >= 0 && xc < uniforms.xShape[2]) {
          value = getX(n, xr, xc, ci);
        }
        setOutputAtIndex(index, value);
      }
    }
  `;

function im2colProgram(rows: number, cols: number): WebGpuProgramLike {
  return {
    variableNames: ["x"],
    uniforms: "pads : vec2<i32>, strides : vec2<i32>, outHeight : i32, outWidth : i32, filterWidth : i32, inChannels : i32, cols : i32,",
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    outputShape: [rows, cols],
    dispatchLayout: { x: [0, 1] },
    dispatch: [Math.ceil((rows * cols) / WORKGROUP), 1, 1],
    shaderKey: "tunelab_im2col_nhwc",
    getUserCode: () => IM2COL_WGSL,
  };
}

/** patches [N*OH*OW, KH*KW*CI] of x (NHWC) for the conv described by info; the caller disposes it. */
export function webgpuIm2col(backend: KernelBackend, x: TensorInfo, info: Conv2DInfo): TensorInfo {
  if (!isWebGpuBackend(backend)) throw new Error("the shader im2col layout needs the webgpu backend (use layout \"nhwc\")");
  const { batchSize: N, inChannels: CI, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = info;
  const rows = N * OH * OW;
  const cols = KH * KW * CI;
  const uniforms: ProgramUniforms = [
    { type: "int32", data: [info.padInfo.top, info.padInfo.left] },
    { type: "int32", data: [info.strideHeight, info.strideWidth] },
    { type: "int32", data: [OH] },
    { type: "int32", data: [OW] },
    { type: "int32", data: [KW] },
    { type: "int32", data: [CI] },
    { type: "int32", data: [cols] },
  ];
  return backend.runWebGPUProgram(im2colProgram(rows, cols), [x], "float32", uniforms);
}

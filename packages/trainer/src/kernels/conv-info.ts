import { backend_util } from "@tensorflow/tfjs-core";
import type { Conv2DBackpropFilterAttrs, TensorInfo } from "@tensorflow/tfjs-core";

export type Conv2DInfo = backend_util.Conv2DInfo;

/** The conv geometry of a Conv2DBackpropFilter call, as the stock kernels compute it. */
export function filterGradConvInfo(x: TensorInfo, attrs: Conv2DBackpropFilterAttrs): Conv2DInfo {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
}

/**
 * Why the fast filter gradient cannot serve this call (then the stock kernel does), or null when it can:
 * NHWC, float32, stride 1 or 2 in each direction (what the tests cover).
 */
export function unsupportedReason(x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): string | null {
  if (info.dataFormat !== "channelsLast") return `data format ${info.dataFormat} (only NHWC)`;
  if (x.dtype !== "float32" || dy.dtype !== "float32") return `dtype ${x.dtype}/${dy.dtype} (only float32)`;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return "dilation > 1";
  if (![1, 2].includes(info.strideHeight) || ![1, 2].includes(info.strideWidth)) {
    return `strides ${info.strideHeight}x${info.strideWidth} (only 1 and 2)`;
  }
  return null;
}

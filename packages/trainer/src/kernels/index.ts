export {
  DEFAULT_STRATEGY,
  fastKernelsOf,
  registerFastKernels,
  stockKernel,
  unregisterFastKernels,
} from "./register";
export type { FastKernelOptions, FastKernelRegistration, FilterGradStrategy } from "./register";
export type { FilterGradLayout } from "./matmul";
export { chunkSize, conv2DBackpropFilterMatmul } from "./matmul";
export {
  conv2DBackpropFilterDirect,
  depthwiseBackpropFilterDirect,
  depthwiseBackpropInputDirect,
} from "./direct";
export { filterGradConvInfo, unsupportedReason } from "./conv-info";
export { referenceCnn } from "./reference-cnn";
export type { ReferenceCnnOptions } from "./reference-cnn";
export { convCases, convOutShape, describeConvCase, relErr, SMALL_CONV_SHAPES } from "./conv-cases";
export type { ConvCase, ConvShape } from "./conv-cases";

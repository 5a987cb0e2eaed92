/**
 * What the API needs to accept or refuse a launch, without TensorFlow.js (~50 MiB of resident memory the API has no
 * other use for): the training-config and freeze checks fineTune itself applies, and the shipped base models as data.
 */
export { validateTrainingConfig, type ConfigProblem } from "./train/config";
export { resolveFreeze, type FreezeResolution, type FreezeSpec } from "./train/freeze";
export { listBuiltinBaseModels, type BuiltinBaseModelInfo } from "./models/catalog";

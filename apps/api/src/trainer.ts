/**
 * The API's one door to @tunelab/trainer: dataset parsing and builtin listings, model bundles (tar), and the trainer's
 * own training-config and freeze validation, so a launch is accepted exactly when the worker's fineTune would accept it.
 * Only entries that do not load TensorFlow.js (test/api-footprint.test.ts checks it).
 */
export {
  DatasetValidationError,
  listBuiltinDatasets,
  parseDatasetFile,
  type BuiltinDatasetInfo,
  type ParsedDataset,
  type ParseOptions,
} from "@tunelab/trainer/datasets";
export {
  listBuiltinBaseModels,
  resolveFreeze,
  validateTrainingConfig,
  type BuiltinBaseModelInfo as BuiltinBaseModel,
  type ConfigProblem,
  type FreezeResolution,
} from "@tunelab/trainer/launch-checks";
export { packTar, unpackTar } from "@tunelab/trainer/tar";

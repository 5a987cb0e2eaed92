/**
 * The API's one door to @tunelab/trainer: dataset parsing and builtin listings, and the trainer's own training-config
 * and freeze validation, so a launch is accepted exactly when the worker's fineTune would accept it.
 */
export {
  DatasetValidationError,
  listBuiltinDatasets,
  parseDatasetFile,
  type BuiltinDatasetInfo,
  type ParsedDataset,
  type ParseOptions,
} from "@tunelab/trainer/datasets";
export { listBuiltinBaseModels, type BuiltinBaseModelInfo as BuiltinBaseModel } from "@tunelab/trainer/models";
export { resolveFreeze, validateTrainingConfig, type ConfigProblem, type FreezeResolution } from "@tunelab/trainer/train";

export {
  loadModelFromDir,
  loadModelFromUrl,
  loadModelFromMemory,
  loadModelFromBundle,
  packModelBundle,
  unpackModelBundle,
  saveModelToFiles,
  cloneModel,
  parseModelJson,
  WEIGHTS_FILE,
  type ModelFiles,
  type SavedModelFiles,
  type DownloadProgress,
  type LoadFromUrlOptions,
} from "./io";
export { describeLayers } from "./describe";
export { buildDigitsCnn, buildTextClassifier, buildBagOfWordsClassifier, buildTabularClassifier } from "./architectures";
export { listBuiltinBaseModels, loadBuiltinBaseModel, BASE_MODELS_DIR, type BuiltinBaseModelInfo, type BaseModelRecipe } from "./builtin";
export { ModelLoadError, type ModelLoadErrorCode } from "./errors";
export { packTar, unpackTar } from "./tar";

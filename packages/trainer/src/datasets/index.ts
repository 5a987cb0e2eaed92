export { listBuiltinDatasets, loadBuiltinDataset, builtinDatasetNames, mailToText } from "./builtin";
export { parseDatasetFile, describeRowErrors, buildParsedDataset, canonicalHash } from "./parse";
export { parseCsv } from "./csv";
export { loadDataset } from "./load";
export { subsetDataset } from "./subset";
export { shiftImages } from "./augment";
export { splitDataset, type DatasetSplit, type SplitOptions } from "./split";
export {
  fitPreprocessing,
  encodeExamples,
  encodeTexts,
  bagOfWords,
  textModelInput,
  type TextEncoding,
  tokenize,
  oovRate,
  PAD_TOKEN,
  OOV_TOKEN,
  DEFAULT_MAX_LENGTH,
  DEFAULT_MAX_VOCAB,
  type Preprocessing,
  type PreprocessingOptions,
  type EncodedExamples,
} from "./preprocess";
export {
  DatasetValidationError,
  type BuiltinDatasetInfo,
  type DatasetExamples,
  type DatasetFormat,
  type DatasetSource,
  type ParsedDataset,
  type ParseOptions,
  type PreparedDataset,
  type RowError,
} from "./types";

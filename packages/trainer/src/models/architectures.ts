import * as tfl from "@tensorflow/tfjs-layers";

/**
 * The convnet of Keras' `mnist_transfer_cnn` example: Conv2D(32,3) relu -> Conv2D(32,3) relu -> MaxPool(2) ->
 * Dropout(0.25) -> Flatten -> Dense(128) relu -> Dropout(0.5) -> Dense(numClasses) softmax.
 * Feature layers: conv1, conv2, pool, dropout1, flatten; classifier: dense1, dropout2, predictions.
 */
export function buildDigitsCnn(numClasses: number, inputShape: [number, number, number] = [28, 28, 1]): tfl.LayersModel {
  const input = tfl.input({ shape: inputShape, name: "image" });
  let x = tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: "valid", activation: "relu", name: "conv1" }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", name: "conv2" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 2, name: "pool" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: 0.25, name: "dropout1" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten({ name: "flatten" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 128, activation: "relu", name: "dense1" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: 0.5, name: "dropout2" }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: numClasses, activation: "softmax", name: "predictions" }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: "digits_cnn" });
}

/**
 * Bag-of-embeddings text classifier on term-frequency input [vocabSize]: Dense 'embedding' (no bias, linear: the
 * average of the tokens' embedding rows) -> Dense(hidden) relu 'dense1' -> Dense softmax 'predictions'.
 */
export function buildBagOfWordsClassifier(opts: { vocabSize: number; numClasses: number; embeddingDim?: number; hidden?: number }): tfl.LayersModel {
  const input = tfl.input({ shape: [opts.vocabSize], name: "term_frequencies" });
  let x = tfl.layers.dense({ units: opts.embeddingDim ?? 32, useBias: false, name: "embedding" }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: opts.hidden ?? 32, activation: "relu", name: "dense1" }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: opts.numClasses, activation: "softmax", name: "predictions" }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: "bow_text_classifier" });
}

/** Bag-of-embeddings text classifier on token ids: Embedding -> GlobalAveragePooling1D -> Dense(hidden) relu -> Dense softmax. */
export function buildTextClassifier(opts: { vocabSize: number; maxLength: number; numClasses: number; embeddingDim?: number; hidden?: number }): tfl.LayersModel {
  const input = tfl.input({ shape: [opts.maxLength], dtype: "int32", name: "tokens" });
  let x = tfl.layers.embedding({ inputDim: opts.vocabSize, outputDim: opts.embeddingDim ?? 32, name: "embedding" }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling1d({ name: "pool" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: opts.hidden ?? 32, activation: "relu", name: "dense1" }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: opts.numClasses, activation: "softmax", name: "predictions" }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: "text_classifier" });
}

/** Small MLP for standardised tabular features. */
export function buildTabularClassifier(opts: { numFeatures: number; numClasses: number; hidden?: number }): tfl.LayersModel {
  const input = tfl.input({ shape: [opts.numFeatures], name: "features" });
  const x = tfl.layers.dense({ units: opts.hidden ?? 16, activation: "relu", name: "dense1" }).apply(input) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: opts.numClasses, activation: "softmax", name: "predictions" }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: "tabular_classifier" });
}

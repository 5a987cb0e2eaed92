import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { shiftImages } from "../datasets/augment";
import { bagOfWords, encodeExamples, fitPreprocessing, oovRate, type EncodedExamples, type Preprocessing } from "../datasets/preprocess";
import { splitDataset } from "../datasets/split";
import type { PreparedDataset } from "../datasets/types";
import { buildBagOfWordsClassifier, buildDigitsCnn, buildTabularClassifier, buildTextClassifier } from "../models/architectures";
import { describeLayers } from "../models/describe";
import { cloneModel, saveModelToFiles } from "../models/io";
import type { EpochMetrics, LayerInfo, TaskType, TrainerEvent, TrainerStep } from "../types";
import { abortError, throwIfAborted } from "../util/abort";
import { createRng, shuffleInPlace, withSeededMathRandom } from "../util/random";
import { DEFAULT_TEST_SPLIT, TrainingConfigError, validateTrainingConfig, type TrainingConfig } from "./config";
import { computeEvaluation, lossAndAccuracy, predictProbabilities, type Evaluation } from "./evaluate";
import { applyFreeze, resolveFreeze, type FreezeSpec } from "./freeze";
import { createTrainStep, type StepResult } from "./step";

export interface FineTuneOptions {
  dataset: PreparedDataset;
  /** The pre-trained model. It is copied, never modified. null/undefined: train the task's default architecture from scratch. */
  baseModel?: tfl.LayersModel | null;
  /** The base model's metadata (name, classNames, preprocessing). Default: baseModel.getUserDefinedMetadata(). */
  baseModelMetadata?: Record<string, unknown>;
  freeze?: FreezeSpec;
  config: TrainingConfig;
  /** Aborting stops before the next batch and rejects with an error named 'AbortError'. */
  signal?: AbortSignal;
  onEvent?: (e: TrainerEvent) => void;
  /** A separate dataset to evaluate on (then the main dataset is split into train/validation only). */
  testDataset?: PreparedDataset;
  /** 'auto' (default): a new softmax head when the dataset's classes differ from the base model's. */
  replaceHead?: "auto" | "always" | "never";
  /** Minimum milliseconds between two per-batch progress events (default 250; the last batch of an epoch always reports). */
  progressIntervalMs?: number;
  /** Name recorded in the saved model's metadata. */
  modelName?: string;
  /** Keep the trained model in memory and return it as `model` (the caller then owns it and must dispose it). */
  keepModel?: boolean;
}

export interface EpochRecord extends EpochMetrics {
  epoch: number;
}

/** What a model made by this package records in its model.json `userDefinedMetadata`. */
export interface TunelabModelMetadata {
  format: "tunelab-model/1";
  name: string;
  task: TaskType;
  classNames: string[];
  /** Apply this to raw inputs before predict (vocabulary + max length, standardisation, pixel scale). */
  preprocessing: Preprocessing;
  baseModel: { name: string; weightsSha256: string; classNames: string[] | null } | null;
  frozenLayers: string[];
  headReplaced: boolean;
  dataset: { name: string; sha256: string; numExamples: number; split: { train: number; validation: number; test: number } };
  config: TrainingConfig;
  backend: string;
  epochsRun: number;
  evaluation: { split: string; numExamples: number; loss: number; accuracy: number; macroF1: number } | null;
  [key: string]: unknown;
}

export interface FineTuneResult {
  frozenLayers: string[];
  trainableParams: number;
  frozenParams: number;
  epochsRun: number;
  stoppedEarly: boolean;
  /** Epoch (1-based) whose weights were kept (the best val_loss with early stopping, else the last). */
  bestEpoch: number;
  history: EpochRecord[];
  evaluation: Evaluation;
  saved: {
    modelJson: Uint8Array;
    weightsBin: Uint8Array;
    bundle: Uint8Array;
    sha256: string;
    fileSha256: { "model.json": string; "weights.bin": string };
    metadata: TunelabModelMetadata;
  };
  /** Layers of the fine-tuned model (after head replacement). */
  layers: LayerInfo[];
  headReplaced: boolean;
  backend: string;
  durationMs: number;
  /** Only with keepModel: the trained model (caller disposes). */
  model?: tfl.LayersModel;
}

function makeOptimizer(config: TrainingConfig): tf.Optimizer {
  switch (config.optimizer) {
    case "SGD":
      return tf.train.sgd(config.learningRate);
    case "MOMENTUM":
      return tf.train.momentum(config.learningRate, config.momentum ?? 0.9);
    case "ADAM":
      return tf.train.adam(config.learningRate);
    case "RMSPROP":
      return tf.train.rmsprop(config.learningRate);
  }
}

function asStringArray(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((s) => typeof s === "string") ? (v as string[]) : null;
}

/**
 * Fine-tunes (or trains from scratch) in seven reported steps: dataset, model, freeze, configure, train, evaluate, save.
 * Uses whatever tfjs backend is active (select it before calling). Disposes every tensor it creates (unless keepModel).
 */
export async function fineTune(opts: FineTuneOptions): Promise<FineTuneResult> {
  const problems = validateTrainingConfig(opts.config);
  if (problems.length) throw new TrainingConfigError(problems);
  throwIfAborted(opts.signal);
  return withSeededMathRandom(opts.config.seed, () => runFineTune(opts));
}

async function runFineTune(opts: FineTuneOptions): Promise<FineTuneResult> {
  const t0 = Date.now();
  const { dataset: ds, config, signal } = opts;
  const emit = (e: TrainerEvent) => opts.onEvent?.(e);
  const step = (s: TrainerStep, status: "started" | "done", detail?: Record<string, unknown>) =>
    emit(detail ? { type: "step", step: s, status, detail } : { type: "step", step: s, status });
  const owned: tf.TensorContainer[] = [];
  const models: tfl.LayersModel[] = [];
  let optimizer: tf.Optimizer | null = null;
  let bestWeights: tf.Tensor[] | null = null;
  let keep: tfl.LayersModel | null = null;
  const backend = tf.getBackend();
  emit({ type: "log", level: "info", message: `backend: ${backend}` });

  try {
    // ---- 1. dataset ----
    step("dataset", "started", { name: ds.name, sha256: ds.sha256, numExamples: ds.numExamples });
    const split = splitDataset(ds, {
      seed: config.seed,
      validationSplit: config.validationSplit,
      testSplit: opts.testDataset ? 0 : (config.testSplit ?? DEFAULT_TEST_SPLIT),
    });
    const baseMeta = opts.baseModelMetadata ?? (opts.baseModel?.getUserDefinedMetadata() as Record<string, unknown> | undefined) ?? {};
    const basePrep = baseMeta.preprocessing as Preprocessing | undefined;
    const baseInput = opts.baseModel?.inputs[0]?.shape;
    const baseInputDtype = opts.baseModel?.inputs[0]?.dtype;
    const prep = fitPreprocessing(ds, split.train, {
      ...(basePrep?.kind === "text" ? { textEncoding: basePrep.encoding ?? "sequence" } : opts.baseModel && ds.task === "TEXT_CLASSIFICATION" && baseInputDtype === "int32" ? { textEncoding: "sequence" as const } : {}),
      ...(config.maxVocab !== undefined ? { maxVocab: config.maxVocab } : {}),
      ...(basePrep?.kind === "text" ? { vocabulary: basePrep.vocabulary, maxLength: basePrep.maxLength } : config.maxLength !== undefined ? { maxLength: config.maxLength } : {}),
      ...(ds.examples.kind === "image" && baseInput?.length === 4 && typeof baseInput[3] === "number" ? { modelChannels: baseInput[3] } : {}),
    });
    const numClasses = ds.classNames.length;
    const encode = (e: EncodedExamples): Source => makeSource(e, prep, numClasses, owned);
    const trainEnc = encodeExamples(ds, split.train, prep);
    const train = encode(trainEnc);
    if (config.augmentShift && prep.kind === "image") train.x = shiftedBatches(trainEnc, config.augmentShift, createRng((config.seed + 2) >>> 0));
    const val = encode(encodeExamples(ds, split.validation, prep));
    let testEnc: EncodedExamples;
    let evalSplit: Evaluation["split"] = "test";
    if (opts.testDataset) {
      const td = opts.testDataset;
      const map = td.classNames.map((c) => {
        const i = ds.classNames.indexOf(c);
        if (i < 0) throw new Error(`testDataset has class '${c}' that the training dataset lacks (classes: ${ds.classNames.join(", ")}).`);
        return i;
      });
      const all = Int32Array.from({ length: td.numExamples }, (_, i) => i);
      const remapped = { examples: td.examples, labels: Int32Array.from(td.labels, (l) => map[l]!) };
      testEnc = encodeExamples(remapped, all, prep);
    } else testEnc = encodeExamples(ds, split.test, prep);
    if (testEnc.labels.length === 0) {
      evalSplit = split.validation.length ? "validation" : "train";
      emit({ type: "log", level: "warn", message: `no test split (testSplit 0): evaluating on the ${evalSplit} split` });
    }
    const test = evalSplit === "test" ? encode(testEnc) : evalSplit === "validation" ? val : train;
    const dsDetail: Record<string, unknown> = { train: train.n, validation: val.n, test: testEnc.labels.length, classNames: ds.classNames, preprocessing: prep.kind };
    if (prep.kind === "text") {
      dsDetail.vocabularySize = prep.vocabulary.length;
      dsDetail.vocabularySource = prep.vocabularySource;
      dsDetail.trainOovRate = oovRate(trainEnc.x as Int32Array);
    }
    step("dataset", "done", dsDetail);
    throwIfAborted(signal);

    // ---- 2. model ----
    step("model", "started");
    const baseClassNames = asStringArray(baseMeta.classNames);
    let model: tfl.LayersModel;
    let headReplaced = false;
    let baseWeightsSha = "";
    if (opts.baseModel) {
      const copy = await cloneModel(opts.baseModel);
      models.push(copy);
      baseWeightsSha = (await saveModelToFiles(copy)).fileSha256["weights.bin"];
      model = copy;
      const head = copy.layers[copy.layers.length - 1]!;
      const headUnits = (head.outputShape as number[])[1];
      const differ = baseClassNames ? baseClassNames.join("\u0000") !== ds.classNames.join("\u0000") : headUnits !== ds.classNames.length;
      const mode = opts.replaceHead ?? "auto";
      if (mode === "always" || (mode === "auto" && differ)) {
        if (head.getClassName() !== "Dense" || copy.layers.length < 2) {
          throw new Error(`Cannot replace the head: the last layer '${head.name}' is a ${head.getClassName()}, not a Dense layer.`);
        }
        const penultimate = copy.layers[copy.layers.length - 2]!.output as tfl.SymbolicTensor;
        const newHead = tfl.layers.dense({ units: ds.classNames.length, activation: "softmax", name: head.name });
        model = tfl.model({ inputs: copy.inputs, outputs: newHead.apply(penultimate) as tfl.SymbolicTensor, name: `${copy.name}_ft` });
        // The new model owns the copy's layers now (layer ref counts count applications, not models): dispose only the
        // old head through the copy and let the new model dispose the rest.
        head.dispose();
        models.splice(models.indexOf(copy), 1, model);
        headReplaced = true;
        emit({ type: "log", level: "info", message: `head '${head.name}' replaced: ${headUnits} -> ${ds.classNames.length} classes (${ds.classNames.join(", ")})` });
      } else if (headUnits !== ds.classNames.length) {
        throw new Error(`The base model predicts ${headUnits} classes but the dataset has ${ds.classNames.length}; use replaceHead 'auto' or 'always'.`);
      }
    } else {
      model = buildDefaultModel(ds.task, prep, ds.classNames.length);
      models.push(model);
    }
    const expected = model.inputs[0]!.shape.slice(1);
    const got = prep.kind === "text" && prep.encoding === "bag-of-words" ? [prep.vocabulary.length] : trainEnc.shape.slice(1);
    if (expected.length !== got.length || expected.some((d, i) => d !== null && d !== got[i])) {
      throw new Error(`The model expects inputs of shape [${expected.join(", ")}] but the prepared dataset has [${got.join(", ")}].`);
    }
    const layersBefore = describeLayers(model);
    step("model", "done", { baseModel: (baseMeta.name as string | undefined) ?? (opts.baseModel ? "custom" : null), layers: layersBefore.length, headReplaced });

    // ---- 3. freeze ----
    step("freeze", "started");
    const resolution = resolveFreeze(layersBefore, opts.freeze);
    applyFreeze(model, resolution.frozenLayers);
    if (resolution.trainableParams === 0) throw new Error("Every layer with weights is frozen: nothing would train. Freeze fewer layers.");
    step("freeze", "done", { ...resolution });

    // ---- 4. configure ----
    step("configure", "started");
    optimizer = makeOptimizer(config);
    model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const countedTrainable = model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
    if (countedTrainable !== resolution.trainableParams) {
      emit({ type: "log", level: "warn", message: `trainable parameter count mismatch: resolved ${resolution.trainableParams}, compiled ${countedTrainable}` });
    }
    // Our own step rather than model.trainOnBatch: the same computation, with the loss and accuracy read back in one
    // go (see step.ts; it matters on WEBGPU, where a step is bound by kernel launches and GPU round trips).
    const trainStep = createTrainStep(model, optimizer);
    step("configure", "done", { optimizer: config.optimizer, learningRate: config.learningRate, batchSize: config.batchSize, epochs: config.epochs, backend });

    // ---- 5. train ----
    step("train", "started");
    const history: EpochRecord[] = [];
    const shuffleRng = createRng((config.seed + 1) >>> 0);
    const order = Int32Array.from({ length: train.n }, (_, i) => i);
    const batchesPerEpoch = Math.ceil(train.n / config.batchSize);
    const interval = opts.progressIntervalMs ?? 250;
    let bestValLoss = Infinity;
    let bestEpoch = 0;
    let sinceBest = 0;
    let stoppedEarly = false;
    const patience = config.earlyStoppingPatience ?? null;
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      shuffleInPlace(order, shuffleRng);
      let lossSum = 0;
      let accSum = 0;
      let lastReport = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        // Let timers and I/O run (a step only awaits microtasks on cpu/wasm): an abort() coming from a network
        // message or a timer is seen before the next batch.
        await yieldToEventLoop();
        if (signal?.aborted) throw abortError(signal.reason);
        const idx = order.subarray(b * config.batchSize, Math.min(train.n, (b + 1) * config.batchSize));
        const xb = train.x(idx);
        const yb = train.y(idx);
        let out: StepResult;
        try {
          out = await trainStep(xb, yb);
        } finally {
          tf.dispose([xb, yb]);
        }
        lossSum += out.loss * idx.length;
        accSum += out.acc * idx.length;
        const now = Date.now();
        if (now - lastReport >= interval || b === batchesPerEpoch - 1) {
          lastReport = now;
          emit({ type: "progress", phase: "train", epoch, done: b + 1, total: batchesPerEpoch });
        }
      }
      let valLoss: number | null = null;
      let valAcc: number | null = null;
      if (val.n > 0) {
        const probs = await predictProbabilities(model, val, Math.max(config.batchSize, 256), (done, total) => emit({ type: "progress", phase: "validate", epoch, done, total }), signal);
        throwIfAborted(signal);
        const r = lossAndAccuracy(probs, val.labels, ds.classNames.length);
        valLoss = r.loss;
        valAcc = r.acc;
      }
      const metrics: EpochMetrics = { loss: lossSum / train.n, acc: accSum / train.n, val_loss: valLoss, val_acc: valAcc };
      history.push({ epoch, ...metrics });
      if (patience !== null && valLoss !== null) {
        if (valLoss < bestValLoss) {
          bestValLoss = valLoss;
          bestEpoch = epoch;
          sinceBest = 0;
          const previous = bestWeights;
          bestWeights = tf.tidy(() => model.getWeights().map((w) => w.clone()));
          if (previous) tf.dispose(previous);
        } else if (++sinceBest >= patience) stoppedEarly = true;
      } else bestEpoch = epoch;
      emit({ type: "epoch", epoch, metrics });
      if (stoppedEarly) {
        emit({ type: "log", level: "info", message: `early stopping after epoch ${epoch}: val_loss did not improve for ${patience} epochs; restoring epoch ${bestEpoch}` });
        break;
      }
    }
    if (bestWeights && bestEpoch !== history.length) model.setWeights(bestWeights);
    step("train", "done", { epochsRun: history.length, stoppedEarly, bestEpoch });

    // ---- 6. evaluate ----
    step("evaluate", "started", { split: evalSplit });
    const probs = await predictProbabilities(model, test, Math.max(config.batchSize, 256), (done, total) => emit({ type: "progress", phase: "evaluate", done, total }), signal);
    throwIfAborted(signal);
    const evaluation = computeEvaluation(probs, test.labels, ds.classNames, evalSplit);
    step("evaluate", "done", { split: evalSplit, accuracy: evaluation.accuracy, macroF1: evaluation.macroF1, loss: evaluation.loss });

    // ---- 7. save ----
    step("save", "started");
    const metadata: TunelabModelMetadata = {
      format: "tunelab-model/1",
      name: opts.modelName ?? `${(baseMeta.name as string | undefined) ?? "scratch"}-ft-${ds.name}`,
      task: ds.task,
      classNames: ds.classNames,
      preprocessing: prep,
      baseModel: opts.baseModel ? { name: (baseMeta.name as string | undefined) ?? "custom", weightsSha256: baseWeightsSha, classNames: baseClassNames } : null,
      frozenLayers: resolution.frozenLayers,
      headReplaced,
      dataset: { name: ds.name, sha256: ds.sha256, numExamples: ds.numExamples, split: { train: train.n, validation: val.n, test: testEnc.labels.length } },
      config,
      backend,
      epochsRun: history.length,
      evaluation: { split: evaluation.split, numExamples: evaluation.numExamples, loss: evaluation.loss, accuracy: evaluation.accuracy, macroF1: evaluation.macroF1 },
    };
    // Saved weights: layers keep trainable flags in the topology; restore them so the saved model is fully trainable when reloaded.
    const files = await saveModelToFiles(model, metadata);
    step("save", "done", { sha256: files.sha256, bytes: files.bundle.length });

    const result: FineTuneResult = {
      frozenLayers: resolution.frozenLayers,
      trainableParams: resolution.trainableParams,
      frozenParams: resolution.frozenParams,
      epochsRun: history.length,
      stoppedEarly,
      bestEpoch,
      history,
      evaluation,
      saved: { ...files, metadata },
      layers: describeLayers(model),
      headReplaced,
      backend,
      durationMs: Date.now() - t0,
    };
    if (opts.keepModel) {
      keep = model;
      result.model = model;
    }
    return result;
  } catch (e) {
    if ((e as Error)?.name === "AbortError") emit({ type: "log", level: "warn", message: "cancelled" });
    throw e;
  } finally {
    tf.dispose(owned);
    if (bestWeights) tf.dispose(bestWeights);
    if (optimizer) disposeOptimizer(optimizer);
    for (const m of models.reverse()) if (m !== keep) disposeModel(m);
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** Training batches with each image translated by a random (dx, dy) in [-shift, shift] (zero fill). */
function shiftedBatches(e: EncodedExamples, shift: number, rng: () => number): (idx: Int32Array) => tf.Tensor {
  const [, h, w, c] = e.shape as [number, number, number, number];
  return (idx) => tf.tensor(shiftImages(e.x as Float32Array, [h, w, c], idx, shift, rng), [idx.length, h, w, c], "float32");
}

/** Examples as batches: x(idx) and y(idx) return new tensors the caller disposes. */
interface Source {
  n: number;
  labels: Int32Array;
  x(idx: Int32Array): tf.Tensor;
  y(idx: Int32Array): tf.Tensor;
}

function makeSource(e: EncodedExamples, prep: Preprocessing, numClasses: number, owned: tf.TensorContainer[]): Source {
  const n = e.labels.length;
  const yAll = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(e.labels, "int32"), numClasses), "float32"));
  owned.push(yAll);
  const gather = (t: tf.Tensor, idx: Int32Array) => tf.tidy(() => tf.gather(t, tf.tensor1d(idx, "int32")));
  const y = (idx: Int32Array) => gather(yAll, idx);
  if (prep.kind === "text" && prep.encoding === "bag-of-words") {
    // Term-frequency rows are built per batch: [n, vocabulary] floats for a whole corpus would not fit comfortably.
    const ids = e.x as Int32Array;
    const v = prep.vocabulary.length;
    return { n, labels: e.labels, x: (idx) => tf.tensor2d(bagOfWords(ids, prep.maxLength, v, idx), [idx.length, v]), y };
  }
  const xAll = tf.tensor(e.x, e.shape, e.dtype);
  owned.push(xAll);
  return { n, labels: e.labels, x: (idx) => gather(xAll, idx), y };
}

/** tfjs 4.22's MomentumOptimizer.dispose() skips SGDOptimizer's learning-rate scalar `c`: one tensor leaked per run. */
function disposeOptimizer(optimizer: tf.Optimizer) {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c instanceof tf.Tensor && !c.isDisposed) c.dispose();
}

function disposeModel(m: tfl.LayersModel) {
  try {
    m.dispose();
  } catch {
    // already disposed through a model that shared its layers
  }
}

function buildDefaultModel(task: TaskType, prep: Preprocessing, numClasses: number): tfl.LayersModel {
  switch (prep.kind) {
    case "image":
      return buildDigitsCnn(numClasses, prep.inputShape);
    case "text":
      return prep.encoding === "bag-of-words"
        ? buildBagOfWordsClassifier({ vocabSize: prep.vocabulary.length, numClasses })
        : buildTextClassifier({ vocabSize: prep.vocabulary.length, maxLength: prep.maxLength, numClasses });
    case "tabular":
      return buildTabularClassifier({ numFeatures: prep.featureNames.length, numClasses });
    default:
      throw new Error(`No default model for task ${task}`);
  }
}

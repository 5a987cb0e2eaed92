import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

export interface PerClassMetrics {
  className: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  split: "test" | "validation" | "train";
  numExamples: number;
  loss: number;
  accuracy: number;
  macroF1: number;
  perClass: PerClassMetrics[];
  /** confusionMatrix[trueClass][predictedClass] = count, in classNames order. */
  confusionMatrix: number[][];
  classNames: string[];
}

/** Predicted class probabilities for x, batch by batch, in inference mode. Reads with await data() (works on GPU backends). */
export async function predictProbabilities(
  model: tfl.LayersModel,
  input: tf.Tensor | { n: number; x: (idx: Int32Array) => tf.Tensor },
  batchSize: number,
  onBatch?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const n = input instanceof tf.Tensor ? input.shape[0]! : input.n;
  const numClasses = (model.outputs[0]!.shape[1] as number) ?? 0;
  const out = new Float32Array(n * numClasses);
  const batches = Math.ceil(n / batchSize);
  for (let b = 0; b < batches; b++) {
    if (signal?.aborted) return out;
    const start = b * batchSize;
    const size = Math.min(batchSize, n - start);
    const probs = tf.tidy(() => {
      const xb = input instanceof tf.Tensor ? tf.slice(input, start, size) : input.x(Int32Array.from({ length: size }, (_, i) => start + i));
      return model.predict(xb) as tf.Tensor;
    });
    out.set((await probs.data()) as Float32Array, start * numClasses);
    probs.dispose();
    onBatch?.(b + 1, batches);
  }
  return out;
}

/** Categorical cross-entropy (probabilities clipped to [1e-7, 1-1e-7], as tfjs does) and accuracy. */
export function lossAndAccuracy(probs: Float32Array, labels: Int32Array, numClasses: number): { loss: number; acc: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probs[i * numClasses + labels[i]!]!, 1e-7), 1 - 1e-7);
    loss -= Math.log(p);
    if (argmax(probs, i * numClasses, numClasses) === labels[i]) correct++;
  }
  return { loss: labels.length ? loss / labels.length : NaN, acc: labels.length ? correct / labels.length : NaN };
}

function argmax(a: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (a[offset + k]! > a[offset + best]!) best = k;
  return best;
}

/** Loss, accuracy, per-class precision/recall/F1/support, macro F1 and the confusion matrix. */
export function computeEvaluation(probs: Float32Array, labels: Int32Array, classNames: string[], split: Evaluation["split"]): Evaluation {
  const k = classNames.length;
  const cm = classNames.map(() => new Array<number>(k).fill(0));
  for (let i = 0; i < labels.length; i++) cm[labels[i]!]![argmax(probs, i * k, k)]! += 1;
  const perClass = classNames.map((className, c) => {
    const tp = cm[c]![c]!;
    const support = cm[c]!.reduce((s, v) => s + v, 0);
    const predicted = cm.reduce((s, row) => s + row[c]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { className, precision, recall, f1, support };
  });
  const { loss, acc } = lossAndAccuracy(probs, labels, k);
  return {
    split,
    numExamples: labels.length,
    loss,
    accuracy: acc,
    macroF1: perClass.reduce((s, p) => s + p.f1, 0) / k,
    perClass,
    confusionMatrix: cm,
    classNames,
  };
}

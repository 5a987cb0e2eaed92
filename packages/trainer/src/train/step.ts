import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** tfjs-layers' fuzz factor (`epsilon()`), with which its categorical cross-entropy clips probabilities. */
const EPSILON = 1e-7;

export interface StepResult {
  /** The batch's mean categorical cross-entropy plus the layers' regularisation penalties, before the update. */
  loss: number;
  /** The batch's categorical accuracy, before the update. */
  acc: number;
}

export type TrainStep = (x: tf.Tensor, y: tf.Tensor) => Promise<StepResult>;

/**
 * One training step of a model with softmax outputs and one-hot targets: what `model.trainOnBatch` computes after
 * `compile({ loss: "categoricalCrossentropy", metrics: ["accuracy"] })`, the same operations in the same order
 * (forward in training mode, probabilities rescaled to sum to 1 and clipped, mean cross-entropy plus the
 * regularisers' penalties, gradients for the trainable weights, the optimizer's update), without trainOnBatch's
 * wrapper around them.
 *
 * Why: on WEBGPU a step of the reference CNN is bound by launching kernels, not by the GPU. trainOnBatch reads the
 * loss and the accuracy back one after the other, two GPU round trips per step, and re-checks its inputs on every
 * call. Here both come back in one read.
 *
 * The trainable weights are those of the model when the step is made: make it after freezing and compiling.
 */
export function createTrainStep(model: tfl.LayersModel, optimizer: tf.Optimizer): TrainStep {
  const queue = createQueuedStep(model, optimizer);
  return async (x, y) => {
    const both = queue(x, y);
    try {
      const [loss, acc] = await both.data();
      return { loss: loss!, acc: acc! };
    } finally {
      both.dispose();
    }
  };
}

/**
 * The step of createTrainStep without the read: records the step's kernels and queues them (on an asynchronous
 * backend nothing has run yet when it returns), and returns [loss, accuracy] as one tensor for the caller to read and
 * dispose. Timing it apart from the read tells dispatch from GPU time (bench `gpu --breakdown`).
 */
export function createQueuedStep(model: tfl.LayersModel, optimizer: tf.Optimizer): (x: tf.Tensor, y: tf.Tensor) => tf.Tensor1D {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return (x, y) => {
    let acc: tf.Scalar | null = null;
    try {
      return tf.tidy(() => {
        const loss = optimizer.minimize(
          () => {
            const probs = model.apply(x, { training: true }) as tf.Tensor;
            const lastAxis = probs.rank - 1;
            const scaled = tf.clipByValue(tf.div(probs, tf.sum(probs, lastAxis, true)), EPSILON, 1 - EPSILON);
            let total = tf.mean(tf.neg(tf.sum(tf.mul(tf.cast(y, "float32"), tf.log(scaled)), lastAxis))) as tf.Scalar;
            // Computed inside the gradient scope (which frees what it does not return), so kept until it is stacked.
            acc = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(y, -1), tf.argMax(probs, -1)), "float32")) as tf.Scalar);
            for (const penalty of model.calculateLosses()) total = tf.add(total, penalty);
            return total;
          },
          true,
          variables,
        )!;
        return tf.stack([loss, acc!]) as tf.Tensor1D;
      });
    } finally {
      (acc as tf.Scalar | null)?.dispose();
    }
  };
}

import * as tf from "@tensorflow/tfjs-layers";

export interface ReferenceCnnOptions {
  /** [height, width, channels]; the benchmark uses MNIST's [28, 28, 1]. */
  inputShape?: [number, number, number];
  classes?: number;
  /** Seed for every initializer, so that two builds start from the same weights. */
  seed?: number;
}

/**
 * The reference CNN of issues 3 and 8 (the benchmark model): conv32 3x3 relu - conv64 3x3 relu - maxpool 2 -
 * flatten - dense128 relu - dense10 softmax. Compiled with SGD (lr 0.01) and categorical cross-entropy.
 */
export function referenceCnn(options: ReferenceCnnOptions = {}): tf.Sequential {
  const { inputShape = [28, 28, 1], classes = 10, seed = 1 } = options;
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 10 + s });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape, filters: 32, kernelSize: 3, activation: "relu", kernelInitializer: init(1) }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu", kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: init(3) }),
      tf.layers.dense({ units: classes, activation: "softmax", kernelInitializer: init(4) }),
    ],
  });
  model.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

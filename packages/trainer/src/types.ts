/** The three kinds of fine-tuning task the trainer knows. */
export type TaskType = "IMAGE_CLASSIFICATION" | "TEXT_CLASSIFICATION" | "TABULAR_CLASSIFICATION";

/** Training backends, best first. Selection lives in `src/backends` (see selectBackend there). */
export type Backend = "TENSORFLOW_GPU" | "TENSORFLOW" | "WEBGPU" | "WASM" | "CPU";

export const TASK_TYPES: readonly TaskType[] = ["IMAGE_CLASSIFICATION", "TEXT_CLASSIFICATION", "TABULAR_CLASSIFICATION"];

/** One layer of a LayersModel as reported to users. */
export interface LayerInfo {
  index: number;
  name: string;
  className: string;
  /** Output shape with `null` for the batch (or other free) dimension; `null` when the layer has several outputs. */
  outputShape: (number | null)[] | null;
  /** Number of weights (trainable + non-trainable, e.g. BatchNorm moving stats). */
  params: number;
  /** Of `params`, how many train when the layer is not frozen (BatchNorm moving stats never do). */
  trainableParams?: number;
}

/** The seven steps of a fine-tuning run, in order. */
export type TrainerStep = "dataset" | "model" | "freeze" | "configure" | "train" | "evaluate" | "save";

export interface EpochMetrics {
  loss: number;
  acc: number;
  /** `null` when validationSplit is 0. */
  val_loss: number | null;
  val_acc: number | null;
}

export type TrainerEvent =
  | { type: "step"; step: TrainerStep; status: "started" | "done"; detail?: Record<string, unknown> }
  | { type: "epoch"; epoch: number; metrics: EpochMetrics }
  | { type: "progress"; phase: "train" | "validate" | "evaluate"; epoch?: number; done: number; total: number }
  | { type: "log"; level: "debug" | "info" | "warn" | "error"; message: string };

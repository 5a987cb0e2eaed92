export type OptimizerName = "SGD" | "MOMENTUM" | "ADAM" | "RMSPROP";
export const OPTIMIZERS: readonly OptimizerName[] = ["SGD", "MOMENTUM", "ADAM", "RMSPROP"];

export interface TrainingConfig {
  /** (0, 1]. */
  learningRate: number;
  /** Integer 1-1000. */
  epochs: number;
  /** Integer 1-4096. */
  batchSize: number;
  optimizer: OptimizerName;
  /** Fraction of each class held out for validation, 0-0.5 (0: no validation metrics, no early stopping). */
  validationSplit: number;
  /** Integer 0 - 2^32-1. Same seed + same backend = same split, initialisation, dropout and metrics. */
  seed: number;
  /** Stop after this many epochs without a lower val_loss and restore the best weights (integer 1-100), or null/undefined for none. */
  earlyStoppingPatience?: number | null;
  /** Fraction of each class held out for the final evaluation, 0-0.5 (default 0.2; ignored when fineTune gets a testDataset). */
  testSplit?: number;
  /** MOMENTUM only: momentum in [0, 1) (default 0.9). */
  momentum?: number;
  /** Text: tokens kept per example, 1-10000 (default 200; a text base model's own maxLength wins). */
  maxLength?: number;
  /** Text: vocabulary size incl. PAD/OOV, 3-1000000 (default 10000; ignored when the base model brings its vocabulary). */
  maxVocab?: number;
  /** Images: random translation of each training image by up to this many pixels (integer 0-4, default 0; seeded; validation/test untouched). */
  augmentShift?: number;
}

export interface ConfigProblem {
  field: string;
  message: string;
}

export const DEFAULT_TEST_SPLIT = 0.2;

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isInt = (v: unknown): v is number => isNum(v) && Number.isInteger(v);

/** Checks every field and returns all problems at once (empty = valid). Each message states the allowed range. */
export function validateTrainingConfig(config: Partial<Record<keyof TrainingConfig, unknown>> | null | undefined): ConfigProblem[] {
  const c = (config ?? {}) as Record<string, unknown>;
  const p: ConfigProblem[] = [];
  const req = (field: string, ok: boolean, message: string) => {
    if (!ok) p.push({ field, message });
  };
  req("learningRate", isNum(c.learningRate) && c.learningRate > 0 && c.learningRate <= 1, "learningRate must be a number greater than 0 and at most 1 (e.g. 0.001 for Adam, 0.01 for SGD).");
  req("epochs", isInt(c.epochs) && c.epochs >= 1 && c.epochs <= 1000, "epochs must be an integer from 1 to 1000.");
  req("batchSize", isInt(c.batchSize) && c.batchSize >= 1 && c.batchSize <= 4096, "batchSize must be an integer from 1 to 4096.");
  req("optimizer", typeof c.optimizer === "string" && (OPTIMIZERS as readonly string[]).includes(c.optimizer), `optimizer must be one of ${OPTIMIZERS.join(", ")}.`);
  req("validationSplit", isNum(c.validationSplit) && c.validationSplit >= 0 && c.validationSplit <= 0.5, "validationSplit must be a number from 0 to 0.5.");
  req("seed", isInt(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff, "seed must be an integer from 0 to 4294967295.");
  if (c.earlyStoppingPatience != null) {
    req("earlyStoppingPatience", isInt(c.earlyStoppingPatience) && c.earlyStoppingPatience >= 1 && c.earlyStoppingPatience <= 100, "earlyStoppingPatience must be an integer from 1 to 100, or null for no early stopping.");
    if (isNum(c.validationSplit) && c.validationSplit === 0)
      p.push({ field: "earlyStoppingPatience", message: "earlyStoppingPatience needs a validation split: set validationSplit above 0 (up to 0.5) or earlyStoppingPatience to null." });
  }
  if (c.testSplit !== undefined) req("testSplit", isNum(c.testSplit) && c.testSplit >= 0 && c.testSplit <= 0.5, "testSplit must be a number from 0 to 0.5.");
  if (isNum(c.validationSplit) && isNum(c.testSplit) && c.validationSplit + c.testSplit > 0.8)
    p.push({ field: "testSplit", message: "validationSplit + testSplit must be at most 0.8 so that training keeps at least 20% of the data." });
  if (c.momentum !== undefined) req("momentum", isNum(c.momentum) && c.momentum >= 0 && c.momentum < 1, "momentum must be a number from 0 to below 1.");
  if (c.maxLength !== undefined) req("maxLength", isInt(c.maxLength) && c.maxLength >= 1 && c.maxLength <= 10_000, "maxLength must be an integer from 1 to 10000.");
  if (c.maxVocab !== undefined) req("maxVocab", isInt(c.maxVocab) && c.maxVocab >= 3 && c.maxVocab <= 1_000_000, "maxVocab must be an integer from 3 to 1000000.");
  if (c.augmentShift !== undefined) req("augmentShift", isInt(c.augmentShift) && c.augmentShift >= 0 && c.augmentShift <= 4, "augmentShift must be an integer from 0 to 4 (pixels).");
  return p;
}

/** Thrown by fineTune when validateTrainingConfig finds problems; `.problems` lists them all. */
export class TrainingConfigError extends Error {
  override name = "TrainingConfigError";
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid training config: ${problems.map((p) => p.message).join(" ")}`);
  }
}

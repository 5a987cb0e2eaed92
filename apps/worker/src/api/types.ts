import type { Backend } from "../env";

export type TaskType = "IMAGE_CLASSIFICATION" | "TEXT_CLASSIFICATION" | "TABULAR_CLASSIFICATION";
export type RunStatus = "QUEUED" | "PREPARING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";

export interface Artifact {
  id: string;
  sha256: string;
  sizeBytes: number;
  downloadUrl: string;
}

export interface Registration {
  worker: { id: string; name: string };
  leaseSeconds: number;
  heartbeatSeconds: number;
}

export interface RunConfig {
  learningRate: number;
  epochs: number;
  batchSize: number;
  optimizer: "SGD" | "MOMENTUM" | "ADAM" | "RMSPROP";
  validationSplit: number;
  seed: number;
  earlyStoppingPatience: number | null;
}

export interface LayerInfo {
  index: number;
  name: string;
  className: string;
  outputShape: (number | null)[] | null;
  params: number;
}

export interface ClaimedRun {
  attempt: number;
  leaseExpiresAt: string;
  backend: Backend;
  recordedEpochs: number[];
  run: { id: string; name: string; frozenLayers: string[]; extraConfig: Record<string, unknown> | null; config: RunConfig };
  dataset: {
    source: string;
    format: string;
    options: Record<string, unknown>;
    dataset: { id: string; name: string; version: number; task: TaskType; numExamples: number; classNames: string[]; sha256: string };
    artifact: Artifact | null;
  };
  baseModel: {
    id: string;
    name: string;
    version: number;
    task: TaskType;
    classNames: string[];
    layers: LayerInfo[];
    artifact: Artifact;
  } | null;
}

export interface HeartbeatResult {
  leaseExpiresAt: string | null;
  cancelRequested: boolean;
  leaseLost: boolean;
}

export interface RunStartedInput {
  backend: Backend;
  device: string;
  frozenLayers: string[];
  trainableParams: number;
  frozenParams: number;
}

export interface EpochInput {
  epoch: number;
  metrics: Record<string, number>;
}

export interface ProgressInput {
  phase: string;
  done: number;
  total?: number | null;
}

export interface LogInput {
  level: string;
  message: string;
  at?: string;
  /** Line number in this run attempt, from 1: the API skips lines it already stored, so a retry duplicates nothing. */
  seq?: number;
}

export interface EvaluationInput {
  split: string;
  numExamples: number;
  loss: number;
  accuracy: number;
  macroF1: number;
  classNames: string[];
  perClass: { className: string; precision: number; recall: number; f1: number; support: number }[];
  confusionMatrix: number[][];
}

export interface CompleteRunInput {
  modelArtifactId: string;
  layers: unknown;
  classNames: string[];
  inputShape: number[];
  /** Facts of the training; the model's own metadata is in the bundle's model.json, where the API reads it. */
  metadata?: unknown;
}

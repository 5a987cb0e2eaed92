import type { ClaimedRun, EvaluationInput, LayerInfo } from "./api/types";
import type { Backend } from "./env";

/** A backend this machine can (or cannot) train with. */
export interface BackendProbe {
  backend: Backend;
  available: boolean;
  /** Device name when available (GPU adapter description, "cpu x2 (...)"). */
  device?: string;
  /** Why not, when unavailable (and how to fix it). */
  reason?: string;
}

/** Events the engine emits while it trains one run. */
export type EngineEvent =
  | { type: "step"; step: EngineStep; status: "started" | "done" }
  /** Layers frozen and the model compiled: training is about to start (the run becomes RUNNING). */
  | { type: "ready"; frozenLayers: string[]; trainableParams: number; frozenParams: number }
  | { type: "epoch"; epoch: number; metrics: Record<string, number | null> }
  | { type: "progress"; phase: string; done: number; total: number | null }
  | { type: "log"; level: string; message: string };

/** Where a failure happened, as the API records it (`errorStep`). */
export type EngineStep = "prepare" | "freeze" | "configure" | "train" | "evaluate" | "save";

export interface TrainInput {
  claim: ClaimedRun;
  /** The uploaded dataset file (null for built-in datasets). */
  datasetBytes: Uint8Array | null;
  /** The base model's tar bundle (null for a from-scratch run). */
  modelBytes: Uint8Array | null;
  backend: Backend;
  signal: AbortSignal;
  /**
   * Called for every event. The `ready` event's promise is awaited before the first epoch where the engine can
   * (startRun must reach the API before epochs do; the worker also gates epoch reports on it).
   */
  onEvent: (event: EngineEvent) => void | Promise<void>;
}

export interface TrainOutput {
  evaluation: EvaluationInput;
  /** tar of model.json + weights.bin. */
  bundle: Uint8Array;
  sha256: string;
  layers: LayerInfo[];
  classNames: string[];
  inputShape: number[];
  /**
   * Facts of this training (parameter counts, best epoch, early stopping, duration) for the model registry. The
   * model's own metadata (base model, classes, preprocessing) is in the bundle's model.json, where the API reads it.
   */
  metadata: Record<string, unknown>;
}

/** What the worker needs from @tunelab/trainer; the real one is in trainer-engine.ts, tests may substitute a fake. */
export interface TrainingEngine {
  /** Probes every backend (each optional), best first. */
  detect(): Promise<BackendProbe[]>;
  /** Activates a backend for the next run and returns its device name (and the fast kernels it registered). */
  use(backend: Backend): Promise<{ backend: Backend; device: string; kernels?: string[] }>;
  train(input: TrainInput): Promise<TrainOutput>;
}

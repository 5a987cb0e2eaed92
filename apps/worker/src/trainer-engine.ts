import {
  fineTune,
  loadDataset,
  loadModelFromBundle,
  type DatasetSource,
  type FineTuneResult,
  type TrainerEvent,
} from "@tunelab/trainer";
import { detectBackends, selectBackend } from "@tunelab/trainer/backends";
import type { TaskType } from "./api/types";
import type { EngineStep, TrainInput, TrainOutput, TrainingEngine } from "./engine";
import type { Logger } from "./log";

const TRAINER_STEP: Record<string, EngineStep> = {
  dataset: "prepare",
  model: "prepare",
  freeze: "freeze",
  configure: "configure",
  train: "train",
  evaluate: "evaluate",
  save: "save",
};

/**
 * The real engine on the calling thread: @tunelab/trainer's loaders, backends and fineTune. The worker runs it in a
 * worker thread (engine-thread.ts), because training on the CPU backends never yields to the event loop.
 */
export async function createDirectTrainerEngine(_logger: Logger): Promise<TrainingEngine> {
  return {
    async detect() {
      return (await detectBackends()).map((s) => ({ backend: s.backend, available: s.available, device: s.device, reason: s.reason }));
    },
    async use(backend) {
      const selected = await selectBackend([backend]);
      return { backend: selected.backend, device: selected.device, kernels: selected.kernels };
    },
    train: (input) => trainWithTrainer(input),
  };
}

/** Builds the trainer's DatasetSource from a claim. */
export function datasetSource(input: Pick<TrainInput, "claim" | "datasetBytes">): DatasetSource {
  const ds = input.claim.dataset;
  if (ds.source.startsWith("builtin:")) return { kind: "builtin", name: ds.source.slice("builtin:".length) };
  if (!input.datasetBytes) throw new Error(`dataset ${ds.dataset.name} (${ds.source}) has no file to load`);
  if (ds.format !== "csv" && ds.format !== "jsonl") throw new Error(`unsupported dataset format '${ds.format}' (csv or jsonl)`);
  const options = (ds.options ?? {}) as Record<string, unknown>;
  return {
    kind: "file",
    format: ds.format,
    bytes: input.datasetBytes,
    name: ds.dataset.name,
    options: {
      task: ds.dataset.task as TaskType,
      ...(typeof options.labelColumn === "string" ? { labelColumn: options.labelColumn } : {}),
      ...(typeof options.textColumn === "string" ? { textColumn: options.textColumn } : {}),
      ...(options.onBadRow === "skip" || options.onBadRow === "fail" ? { onBadRow: options.onBadRow } : {}),
    },
  };
}

async function trainWithTrainer(input: TrainInput): Promise<TrainOutput> {
  const { claim, signal, onEvent } = input;
  onEvent({ type: "step", step: "prepare", status: "started" });
  onEvent({ type: "progress", phase: "load-dataset", done: 0, total: 1 });
  const dataset = await loadDataset(datasetSource(input));
  onEvent({ type: "progress", phase: "load-dataset", done: 1, total: 1 });
  signal.throwIfAborted();
  let baseModel = null;
  if (input.modelBytes) {
    onEvent({ type: "progress", phase: "load-model", done: 0, total: 1 });
    baseModel = await loadModelFromBundle(input.modelBytes);
    onEvent({ type: "progress", phase: "load-model", done: 1, total: 1 });
  }
  const config = claim.run.config;
  const extra = claim.run.extraConfig ?? {};
  const pickNumber = (key: string) => (typeof extra[key] === "number" ? { [key]: extra[key] as number } : {});
  let result: FineTuneResult;
  try {
    result = await fineTune({
      dataset,
      baseModel,
      freeze: claim.run.frozenLayers.length > 0 ? { layers: claim.run.frozenLayers } : undefined,
      config: {
        learningRate: config.learningRate,
        epochs: config.epochs,
        batchSize: config.batchSize,
        optimizer: config.optimizer,
        validationSplit: config.validationSplit,
        seed: config.seed,
        earlyStoppingPatience: config.earlyStoppingPatience,
        ...pickNumber("testSplit"),
        ...pickNumber("momentum"),
        ...pickNumber("maxLength"),
        ...pickNumber("maxVocab"),
      },
      signal,
      progressIntervalMs: 500,
      modelName: claim.run.name,
      onEvent: (event: TrainerEvent) => {
        switch (event.type) {
          case "step": {
            const step = TRAINER_STEP[event.step] ?? "train";
            if (event.status === "started") onEvent({ type: "step", step, status: "started" });
            if (event.step === "freeze" && event.status === "done") {
              const d = event.detail as { frozenLayers?: string[]; trainableParams?: number; frozenParams?: number } | undefined;
              void onEvent({ type: "ready", frozenLayers: d?.frozenLayers ?? [], trainableParams: d?.trainableParams ?? 0, frozenParams: d?.frozenParams ?? 0 });
            }
            return;
          }
          case "epoch":
            void onEvent({ type: "epoch", epoch: event.epoch, metrics: { ...event.metrics } });
            return;
          case "progress":
            void onEvent({ type: "progress", phase: event.phase, done: event.done, total: event.total });
            return;
          case "log":
            void onEvent({ type: "log", level: event.level, message: event.message });
            return;
        }
      },
    });
  } finally {
    baseModel?.dispose();
  }
  const inputShape = inputShapeOf(result.saved.modelJson) ?? result.layers[0]?.outputShape?.slice(1).map((d) => d ?? 0) ?? [];
  return {
    evaluation: {
      split: result.evaluation.split,
      numExamples: result.evaluation.numExamples,
      loss: result.evaluation.loss,
      accuracy: result.evaluation.accuracy,
      macroF1: result.evaluation.macroF1,
      classNames: result.evaluation.classNames,
      perClass: result.evaluation.perClass,
      confusionMatrix: result.evaluation.confusionMatrix,
    },
    bundle: result.saved.bundle,
    sha256: result.saved.sha256,
    layers: result.layers,
    classNames: result.saved.metadata.classNames,
    inputShape,
    metadata: { trainableParams: result.trainableParams, frozenParams: result.frozenParams, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly, durationMs: result.durationMs },
  };
}

/** The model's input shape without the batch dimension, from model.json's first `batch_input_shape`. */
export function inputShapeOf(modelJson: Uint8Array): number[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(modelJson));
  } catch {
    return undefined;
  }
  const stack: unknown[] = [(json as { modelTopology?: unknown }).modelTopology];
  while (stack.length > 0) {
    const node = stack.shift();
    if (Array.isArray(node)) stack.push(...node);
    else if (node && typeof node === "object") {
      const shape = (node as Record<string, unknown>).batch_input_shape ?? (node as Record<string, unknown>).batchInputShape;
      if (Array.isArray(shape)) return shape.slice(1).map((d) => (typeof d === "number" ? d : 0));
      stack.push(...Object.values(node));
    }
  }
  return undefined;
}

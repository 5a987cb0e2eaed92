import os from "node:os";
import {
  fineTune,
  loadDataset,
  loadModelFromBundle,
  type DatasetSource,
  type FineTuneResult,
  type TrainerEvent,
} from "@tunelab/trainer";
import type { TaskType } from "./api/types";
import type { BackendProbe, EngineStep, TrainInput, TrainOutput, TrainingEngine } from "./engine";
import { BACKENDS, type Backend } from "./env";
import type { Logger } from "./log";

/** The subset of `@tunelab/trainer/backends` the worker uses (loaded at run time: it is optional while it is written). */
interface BackendsModule {
  detectBackends: () => Promise<unknown>;
  selectBackend: (preferences: Backend[]) => Promise<{ backend: Backend; device: string; unavailable?: unknown }>;
}

const TRAINER_STEP: Record<string, EngineStep> = {
  dataset: "prepare",
  model: "prepare",
  freeze: "freeze",
  configure: "configure",
  train: "train",
  evaluate: "evaluate",
  save: "save",
};

export function cpuDeviceName(): string {
  const cpus = os.cpus();
  return `cpu x${cpus.length}${cpus[0]?.model ? ` (${cpus[0].model.trim()})` : ""}`;
}

/** Normalises whatever detectBackends() answers (an array of probes, or a map by backend) into BackendProbe[]. */
export function normaliseProbes(raw: unknown): BackendProbe[] {
  const list: Record<string, unknown>[] = Array.isArray(raw)
    ? (raw as Record<string, unknown>[])
    : raw && typeof raw === "object"
      ? Array.isArray((raw as { backends?: unknown }).backends)
        ? ((raw as { backends: Record<string, unknown>[] }).backends)
        : Object.entries(raw as Record<string, unknown>).map(([backend, v]) => ({ backend, ...(v as Record<string, unknown>) }))
      : [];
  const probes: BackendProbe[] = [];
  for (const item of list) {
    const backend = String(item.backend ?? item.name ?? "").toUpperCase() as Backend;
    if (!BACKENDS.includes(backend)) continue;
    const available = item.available === true || (item.available === undefined && item.reason === undefined && item.error === undefined);
    probes.push({
      backend,
      available,
      device: typeof item.device === "string" ? item.device : undefined,
      reason: typeof item.reason === "string" ? item.reason : typeof item.error === "string" ? item.error : undefined,
    });
  }
  return probes.sort((a, b) => BACKENDS.indexOf(a.backend) - BACKENDS.indexOf(b.backend));
}

async function loadBackendsModule(logger: Logger): Promise<BackendsModule | undefined> {
  try {
    const spec = "@tunelab/trainer/backends";
    const mod = (await import(/* @vite-ignore */ spec)) as Partial<BackendsModule>;
    if (typeof mod.detectBackends === "function" && typeof mod.selectBackend === "function") return mod as BackendsModule;
    logger.warn("@tunelab/trainer/backends lacks detectBackends/selectBackend; using the CPU backend only");
  } catch (error) {
    logger.warn({ reason: (error as Error).message }, "@tunelab/trainer/backends is not available; using the CPU backend only");
  }
  return undefined;
}

/** Fallback when the trainer's backend module is missing: tfjs' pure-JS CPU backend. */
async function cpuOnly(): Promise<BackendsModule> {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  return {
    detectBackends: async () => [
      ...BACKENDS.filter((b) => b !== "CPU").map((backend) => ({ backend, available: false, reason: "backend detection not available in this build of @tunelab/trainer" })),
      { backend: "CPU", available: true, device: cpuDeviceName() },
    ],
    selectBackend: async () => {
      await tf.setBackend("cpu");
      await tf.ready();
      return { backend: "CPU", device: cpuDeviceName() };
    },
  };
}

/**
 * The real engine on the calling thread: @tunelab/trainer's loaders, backends and fineTune. The worker runs it in a
 * worker thread (engine-thread.ts), because training on the CPU backends never yields to the event loop.
 */
export async function createDirectTrainerEngine(logger: Logger): Promise<TrainingEngine> {
  const backends = (await loadBackendsModule(logger)) ?? (await cpuOnly());
  return {
    async detect() {
      return normaliseProbes(await backends.detectBackends());
    },
    async use(backend) {
      const selected = await backends.selectBackend([backend]);
      if (selected.backend !== backend) throw new Error(`backend ${backend} could not be activated (got ${selected.backend})`);
      return { backend: selected.backend, device: selected.device };
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
    metadata: { ...result.saved.metadata, trainableParams: result.trainableParams, frozenParams: result.frozenParams, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly, durationMs: result.durationMs },
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

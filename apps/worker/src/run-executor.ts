import type { ApiClient } from "./api/client";
import { ApiError, isLeaseLost, isTransient } from "./api/errors";
import type { Artifact, ClaimedRun } from "./api/types";
import type { ArtifactCache } from "./cache";
import { CorruptDownloadError } from "./cache";
import type { EngineStep, TrainingEngine } from "./engine";
import type { Logger } from "./log";
import { RunReporter } from "./reporter";
import { retry } from "./retry";

export type StopReason = "cancel" | "lease-lost" | "shutdown";

export type RunOutcome = "succeeded" | "failed" | "cancelled" | "lease-lost" | "released";

export interface RunExecutorDeps {
  api: ApiClient;
  engine: TrainingEngine;
  cache: ArtifactCache;
  workerId: string;
  logger: Logger;
  /** Per-batch progress: at most one report per this many ms (default 500). */
  progressIntervalMs?: number;
  /** Epochs and log lines: at most one report per this many ms (default 250). */
  reportIntervalMs?: number;
  /** How long a final report (complete/fail/cancel) is retried while the API is away (default 10 min). */
  reportRetryMs?: number;
}

/** Handle on the run in progress, for the heartbeat timer and the shutdown path. */
export interface ActiveRun {
  runId: string;
  attempt: number;
  /** Lease expiry as last confirmed by the API (ms since epoch). */
  leaseExpiresAt: number;
  stop(reason: StopReason): void;
  readonly stopReason: StopReason | undefined;
  readonly done: Promise<RunOutcome>;
}

/**
 * Carries one claimed run through the lifecycle: PREPARING (download dataset and base model, cached by sha256) ->
 * RUNNING (startRun, epochs streamed as they finish, progress throttled) -> evaluation -> upload -> completeRun; or
 * failRun with the message and the step; or, when stopped, finishCancelledRun (cancel), releaseRun (shutdown) or
 * nothing at all (lease lost: another worker may already hold the run).
 */
export function startRun(claim: ClaimedRun, deps: RunExecutorDeps): ActiveRun {
  const controller = new AbortController();
  let stopReason: StopReason | undefined;
  const log = deps.logger.child({ runId: claim.run.id, workerId: deps.workerId, attempt: claim.attempt });
  const active: ActiveRun = {
    runId: claim.run.id,
    attempt: claim.attempt,
    leaseExpiresAt: Date.parse(claim.leaseExpiresAt) || Date.now() + 30_000,
    stop(reason) {
      if (stopReason) return;
      stopReason = reason;
      log.info({ reason }, "stopping run");
      controller.abort(new Error(`run stopped: ${reason}`));
    },
    get stopReason() {
      return stopReason;
    },
    done: undefined as unknown as Promise<RunOutcome>,
  };
  (active as { done: Promise<RunOutcome> }).done = execute(claim, deps, active, controller.signal, log);
  return active;
}

async function execute(claim: ClaimedRun, deps: RunExecutorDeps, active: ActiveRun, signal: AbortSignal, log: Logger): Promise<RunOutcome> {
  const { api, workerId } = deps;
  const runId = claim.run.id;
  const finalRetry = { maxElapsedMs: deps.reportRetryMs ?? 10 * 60_000, onRetry: (error: unknown, attempt: number, delayMs: number) => log.warn({ err: error, attempt, delayMs }, "report failed, retrying") };
  const reporter = new RunReporter(api, workerId, runId, log, {
    progressIntervalMs: deps.progressIntervalMs,
    minFlushIntervalMs: deps.reportIntervalMs,
    maxRetryMs: deps.reportRetryMs,
    onLeaseLost: (error) => {
      log.warn({ err: error }, "the API says this worker no longer holds the run");
      active.stop("lease-lost");
    },
  });
  let step: EngineStep = "prepare";
  const recorded = new Set(claim.recordedEpochs);
  const started = Date.now();
  log.info(
    { backend: claim.backend, dataset: claim.dataset.dataset.name, baseModel: claim.baseModel?.name ?? null, epochs: claim.run.config.epochs, recordedEpochs: claim.recordedEpochs },
    "claimed run",
  );

  try {
    // 1-2: dataset and base model bytes, from the cache or downloaded with progress: both at once, so a run that needs
    // both waits for the slower download, not for the two in turn. The first to fail stops the other.
    const downloads = new AbortController();
    const downloadSignal = AbortSignal.any([signal, downloads.signal]);
    const fetchOrStop = async (artifact: Artifact, phase: "download-dataset" | "download-model") => {
      try {
        return await fetchArtifact(artifact, phase, downloadSignal);
      } catch (error) {
        downloads.abort(error);
        throw error;
      }
    };
    const [datasetBytes, modelBytes] = await Promise.all([
      claim.dataset.artifact ? fetchOrStop(claim.dataset.artifact, "download-dataset") : null,
      claim.baseModel ? fetchOrStop(claim.baseModel.artifact, "download-model") : null,
    ]);
    signal.throwIfAborted();

    const { device, kernels } = await deps.engine.use(claim.backend);
    log.info({ backend: claim.backend, device, kernels }, "backend selected");
    let startRunCall: Promise<void> | undefined;
    const output = await deps.engine.train({
      claim,
      datasetBytes,
      modelBytes,
      backend: claim.backend,
      signal,
      onEvent: (event) => {
        switch (event.type) {
          case "step":
            if (event.status === "started") {
              step = event.step;
              log.debug({ step: event.step }, "step started");
              // Training is over: the last epochs go now, while the model is evaluated and saved, instead of waiting
              // out the flush interval until the trainer returns.
              if (event.step === "evaluate") reporter.hurry();
            }
            return;
          case "ready":
            // -> RUNNING, with backend, device and what was frozen. Awaited (by engines that can) before epoch 1.
            startRunCall ??= api
              .startRun(workerId, runId, { backend: claim.backend, device, frozenLayers: event.frozenLayers, trainableParams: event.trainableParams, frozenParams: event.frozenParams }, { ...finalRetry, signal })
              .then(() => log.info({ backend: claim.backend, device, frozenLayers: event.frozenLayers, trainableParams: event.trainableParams, frozenParams: event.frozenParams }, "run started"));
            reporter.gate(startRunCall);
            return startRunCall;
          case "epoch":
            log.info({ epoch: event.epoch, metrics: event.metrics }, "epoch");
            // Epochs an earlier attempt already stored are no-ops on the API: skip them (same seed + backend = same values).
            if (!recorded.has(event.epoch)) reporter.epoch(event.epoch, event.metrics);
            return;
          case "progress":
            reporter.progress({ phase: event.phase, done: event.done, total: event.total });
            return;
          case "log":
            log[event.level === "error" ? "error" : event.level === "warn" ? "warn" : event.level === "debug" ? "debug" : "info"]({ trainer: true }, event.message);
            if (event.level !== "debug") reporter.logLine(event.level, event.message);
            return;
        }
      },
    });
    if (!startRunCall) throw new Error("the trainer finished without announcing that training started");
    // No more epochs (a trainer that evaluates nothing announces no evaluate step): the last ones go out now, alongside
    // the upload below.
    reporter.hurry();
    await startRunCall;
    signal.throwIfAborted();

    // 6-7: the evaluation is reported while the saved model uploads: two independent requests, so the run's end waits
    // for the slower one, not for both in turn. A failure is charged to the earlier step of the two that failed.
    step = "evaluate";
    const evaluationReported = api.reportEvaluation(workerId, runId, output.evaluation, { ...finalRetry, signal }).then(() =>
      log.info({ accuracy: output.evaluation.accuracy, loss: output.evaluation.loss, macroF1: output.evaluation.macroF1, split: output.evaluation.split }, "evaluation reported"),
    );
    reporter.progress({ phase: "upload", done: 0, total: output.bundle.byteLength }, { force: true });
    const uploaded = retry(() => api.upload(output.bundle, "application/x-tar", `${claim.run.name || runId}.tar`, signal), {
      ...finalRetry,
      signal,
      retryable: isTransient,
    });
    const [evaluation, upload] = await Promise.allSettled([evaluationReported, uploaded]);
    if (evaluation.status === "rejected") throw evaluation.reason;
    step = "save";
    if (upload.status === "rejected") throw upload.reason;
    const artifact = upload.value;
    if (artifact.sha256 && artifact.sha256 !== output.sha256) log.warn({ expected: output.sha256, got: artifact.sha256 }, "uploaded bundle sha256 differs from the trainer's");
    reporter.progress({ phase: "upload", done: output.bundle.byteLength, total: output.bundle.byteLength }, { force: true });
    log.debug({ artifactId: artifact.id, bytes: output.bundle.byteLength }, "model uploaded");
    await reporter.drain();
    log.debug("every epoch stored");
    signal.throwIfAborted();
    await api.completeRun(
      workerId,
      runId,
      // The model's own metadata (base model, classes, preprocessing with a text model's whole vocabulary) travels in
      // the bundle's model.json, which the API reads; the request carries only the training facts and stays small.
      { modelArtifactId: artifact.id, layers: output.layers, classNames: output.classNames, inputShape: output.inputShape, metadata: output.metadata },
      { ...finalRetry, signal },
    );
    log.info({ artifactId: artifact.id, sha256: output.sha256, seconds: (Date.now() - started) / 1000 }, "run succeeded");
    return "succeeded";
  } catch (error) {
    return await settleFailure(error);
  } finally {
    reporter.close();
  }

  async function settleFailure(error: unknown): Promise<RunOutcome> {
    const reason = active.stopReason ?? (isLeaseLost(error) ? "lease-lost" : undefined);
    if (reason === "lease-lost") {
      log.warn("run abandoned: lease lost (another worker may hold it now); nothing reported");
      return "lease-lost";
    }
    if (reason === "shutdown") {
      try {
        await api.releaseRun(workerId, runId, { maxElapsedMs: 4_000 });
        log.info({ step }, "run handed back to the queue");
      } catch (releaseError) {
        log.error({ err: releaseError }, "could not hand the run back; its lease will expire and the API re-queues it");
      }
      return "released";
    }
    if (reason === "cancel") {
      try {
        // Epochs that finished before the cancel still belong to the run.
        await Promise.race([reporter.drain().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
        await api.finishCancelledRun(workerId, runId, finalRetry);
        log.info({ step, seconds: (Date.now() - started) / 1000 }, "run cancelled");
      } catch (cancelError) {
        if (isLeaseLost(cancelError)) log.info("run already settled by the API");
        else log.error({ err: cancelError }, "could not confirm the cancellation");
      }
      return "cancelled";
    }
    const message = errorMessage(error);
    log.error({ err: error, step }, "run failed");
    try {
      await Promise.race([reporter.drain().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
      await api.failRun(workerId, runId, message, step, finalRetry);
    } catch (failError) {
      if (isLeaseLost(failError)) log.warn("could not report the failure: lease lost");
      else log.error({ err: failError }, "could not report the failure");
    }
    return "failed";
  }

  async function fetchArtifact(artifact: Artifact, phase: "download-dataset" | "download-model", stop: AbortSignal): Promise<Uint8Array> {
    const { bytes, hit } = await deps.cache.fetch(artifact.sha256, () =>
      retry(
        () =>
          api.download(
            artifact.downloadUrl,
            (done, total) => reporter.progress({ phase, done, total: total ?? artifact.sizeBytes }),
            stop,
          ),
        {
          maxElapsedMs: 5 * 60_000,
          signal: stop,
          retryable: (e) => isTransient(e) || e instanceof CorruptDownloadError,
          onRetry: (e, attempt, delayMs) => log.warn({ err: e, attempt, delayMs, phase }, "download failed, retrying"),
        },
      ),
    );
    reporter.progress({ phase, done: bytes.byteLength, total: bytes.byteLength }, { force: true });
    log.info({ phase, artifactId: artifact.id, sha256: artifact.sha256, bytes: bytes.byteLength, cache: hit ? "hit" : "miss" }, hit ? "artifact cache hit" : "artifact downloaded");
    return bytes;
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return `${error.name && error.name !== "Error" ? `${error.name}: ` : ""}${error.message}`;
  return String(error);
}

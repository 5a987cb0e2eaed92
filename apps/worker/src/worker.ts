import os from "node:os";
import type { ApiClient } from "./api/client";
import { ApiError } from "./api/errors";
import type { Registration } from "./api/types";
import { ArtifactCache } from "./cache";
import type { BackendProbe, TrainingEngine } from "./engine";
import { BACKENDS, type Backend, type WorkerConfig } from "./env";
import type { Logger } from "./log";
import { sleep } from "./retry";
import { startRun, type ActiveRun } from "./run-executor";

export interface WorkerOptions {
  config: WorkerConfig;
  api: ApiClient;
  engine: TrainingEngine;
  logger: Logger;
  progressIntervalMs?: number;
  /** Epochs and log lines: at most one report per this many ms (RunReporter's minFlushIntervalMs, default 250). */
  reportIntervalMs?: number;
}

/** Picks the backends to offer: the requested ones (in the requested order) that are available, else all available. */
export function chooseBackends(probes: BackendProbe[], requested: Backend[] | undefined): { offered: BackendProbe[]; problems: string[] } {
  const available = probes.filter((p) => p.available);
  if (!requested) return { offered: available, problems: [] };
  const problems: string[] = [];
  const offered: BackendProbe[] = [];
  for (const backend of requested) {
    const probe = probes.find((p) => p.backend === backend);
    if (probe?.available) offered.push(probe);
    else problems.push(`${backend}: ${probe?.reason ?? "unknown backend"}`);
  }
  return { offered, problems };
}

/**
 * The worker process: detect backends, wait for the API and register, then claim -> train -> report until stopped.
 * One run at a time; a heartbeat timer keeps the worker (and the lease of its run) alive and carries cancellations.
 */
export class Worker {
  private readonly stopController = new AbortController();
  private registration: Registration | undefined;
  private active: ActiveRun | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight = false;
  private offered: BackendProbe[] = [];
  private loopDone: Promise<void> | undefined;
  readonly cache: ArtifactCache;
  /** Counts by outcome, for logs and tests. */
  readonly outcomes: Record<string, number> = {};

  constructor(private readonly options: WorkerOptions) {
    this.cache = new ArtifactCache(options.config.cacheDir, options.config.cacheMaxBytes);
  }

  get workerId(): string | undefined {
    return this.registration?.worker.id;
  }

  get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Detects backends; throws when none of the requested backends can run here. */
  async detect(): Promise<BackendProbe[]> {
    const { logger, engine, config } = this.options;
    const probes = await engine.detect();
    for (const p of probes) logger.info({ backend: p.backend, available: p.available, device: p.device, reason: p.reason }, "backend probe");
    const { offered, problems } = chooseBackends(probes, config.backends);
    for (const problem of problems) logger.warn(`requested backend unavailable: ${problem}`);
    if (offered.length === 0) {
      throw new Error(`no usable training backend: ${problems.join("; ") || "none of " + BACKENDS.join(", ") + " is available"}`);
    }
    this.offered = offered;
    return offered;
  }

  /**
   * Loads the backend a run most often gets (the API gives a run that requests none this worker's first), while the
   * worker registers: importing and initialising it takes 50-100 ms on the CPU backends and more on a GPU, which the
   * first claimed run would otherwise spend holding its lease. A failure only costs that time later: the run selects its
   * backend again and reports the error there.
   */
  private async loadBestBackend(): Promise<void> {
    const { logger, engine } = this.options;
    const backend = this.offered[0]!.backend;
    const started = performance.now();
    try {
      const { device } = await engine.use(backend);
      logger.info({ backend, device, ms: Math.round(performance.now() - started) }, "backend loaded");
    } catch (error) {
      logger.warn({ err: error, backend }, "could not load the backend ahead of the first run; each run selects it again");
    }
  }

  /** Registers, waiting with backoff until the API answers (it may start after the worker). */
  async register(): Promise<Registration> {
    const { api, logger, config } = this.options;
    const best = this.offered[0]!;
    let lastLog = 0;
    const registration = await api.registerWorker(
      {
        name: config.name,
        backends: this.offered.map((p) => p.backend),
        device: best.device ?? "unknown",
        info: { host: os.hostname(), pid: process.pid, node: process.version, platform: `${process.platform}-${process.arch}`, devices: Object.fromEntries(this.offered.map((p) => [p.backend, p.device])) },
      },
      {
        maxElapsedMs: undefined,
        maxMs: 5_000,
        signal: this.stopController.signal,
        onRetry: (error, attempt) => {
          if (Date.now() - lastLog > 10_000 || attempt === 1) {
            lastLog = Date.now();
            logger.info({ api: api.apiUrl, reason: (error as Error).message }, "waiting for the API");
          }
        },
      },
    );
    this.registration = registration;
    logger.info(
      { workerId: registration.worker.id, backends: this.offered.map((p) => p.backend), device: best.device, leaseSeconds: registration.leaseSeconds, heartbeatSeconds: registration.heartbeatSeconds },
      "registered",
    );
    return registration;
  }

  /** Runs until stop(): detect, register, then the claim loop. */
  async run(): Promise<void> {
    this.loopDone = this.runLoop();
    return this.loopDone;
  }

  private async runLoop(): Promise<void> {
    const { api, logger, config } = this.options;
    if (this.offered.length === 0) await this.detect();
    const loaded = this.loadBestBackend();
    try {
      await this.register();
    } catch (error) {
      if (this.stopping) return;
      throw error;
    }
    await loaded;
    this.scheduleHeartbeat();
    let idleSince = Date.now();
    while (!this.stopping) {
      const workerId = this.registration!.worker.id;
      let claim;
      try {
        claim = await api.claimRun(workerId, { signal: this.stopController.signal, maxElapsedMs: undefined, maxMs: 5_000 });
      } catch (error) {
        if (this.stopping) break;
        if (error instanceof ApiError && (error.code === "NOT_FOUND" || error.code === "UNAUTHENTICATED")) {
          // The API forgot this worker (e.g. a fresh embedded database): register again.
          logger.warn({ err: error }, "claim refused; registering again");
          await sleep(1_000, this.stopController.signal);
          if (!this.stopping) await this.register().catch((e) => logger.error({ err: e }, "registration failed"));
          continue;
        }
        logger.error({ err: error }, "claim failed");
        await sleep(config.pollSeconds * 1000, this.stopController.signal);
        continue;
      }
      if (!claim) {
        if (Date.now() - idleSince > 60_000) {
          logger.debug("no queued run this worker can serve");
          idleSince = Date.now();
        }
        await sleep(config.pollSeconds * 1000, this.stopController.signal);
        continue;
      }
      if (this.stopping) {
        // Claimed just as we were told to stop: hand it straight back.
        await api.releaseRun(workerId, claim.run.id, { maxElapsedMs: 3_000 }).catch((e) => logger.error({ err: e }, "could not release a run claimed during shutdown"));
        break;
      }
      const active = startRun(claim, {
        api,
        engine: this.options.engine,
        cache: this.cache,
        workerId,
        logger,
        progressIntervalMs: this.options.progressIntervalMs,
        reportIntervalMs: this.options.reportIntervalMs,
      });
      this.active = active;
      const outcome = await active.done;
      this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
      this.active = undefined;
      idleSince = Date.now();
    }
  }

  private scheduleHeartbeat(): void {
    const seconds = Math.max(0.2, this.registration?.heartbeatSeconds ?? 10);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), seconds * 1000);
  }

  /** One heartbeat: extends the lease, and carries cancel requests and lost leases to the run. */
  async heartbeat(): Promise<void> {
    if (this.heartbeatInFlight || !this.registration || this.stopping) return;
    this.heartbeatInFlight = true;
    const active = this.active;
    const log = active ? this.options.logger.child({ runId: active.runId, workerId: this.registration.worker.id, attempt: active.attempt }) : this.options.logger;
    try {
      const result = await this.options.api.heartbeat(this.registration.worker.id, active?.runId ?? null, {
        maxAttempts: 2,
        // A hung request must not outlive the lease unnoticed: the next tick checks the lease again.
        timeoutMs: Math.max(2_000, (this.registration.heartbeatSeconds ?? 10) * 2_000),
      });
      if (!active || active !== this.active) return;
      if (result.leaseExpiresAt) active.leaseExpiresAt = Date.parse(result.leaseExpiresAt);
      if (result.leaseLost) {
        log.warn("heartbeat: lease lost");
        active.stop("lease-lost");
      } else if (result.cancelRequested) {
        log.info("heartbeat: cancel requested");
        active.stop("cancel");
      }
    } catch (error) {
      log.warn({ err: error }, "heartbeat failed");
      // Without a renewed lease another worker may take the run once it expires: never train a run twice at once.
      if (active && active === this.active && Date.now() > active.leaseExpiresAt) {
        log.error("lease expired without a successful heartbeat; abandoning the run");
        active.stop("lease-lost");
      }
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  /**
   * Graceful stop (SIGTERM): stop claiming, hand the current run back (not counted as a failed attempt), unregister.
   * Resolves within `deadlineMs`.
   */
  async stop(deadlineMs = 8_000): Promise<void> {
    const { api, logger } = this.options;
    if (this.stopping) return;
    const started = Date.now();
    this.stopController.abort();
    const active = this.active;
    logger.info({ runId: active?.runId }, active ? "shutting down: handing the current run back" : "shutting down");
    active?.stop("shutdown");
    await Promise.race([this.loopDone ?? Promise.resolve(), sleep(Math.max(0, deadlineMs - 2_000))]);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.registration) {
      const left = Math.max(500, deadlineMs - (Date.now() - started));
      await api
        .unregisterWorker(this.registration.worker.id, { maxElapsedMs: left, maxMs: 500 })
        .then(() => logger.info("unregistered"))
        .catch((error) => logger.warn({ err: error }, "could not unregister"));
    }
  }
}

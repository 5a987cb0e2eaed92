import type { ApiClient } from "./api/client";
import { isLeaseLost } from "./api/errors";
import type { EpochInput, LogInput, ProgressInput } from "./api/types";
import type { Logger } from "./log";
import { sleep } from "./retry";

export interface ReporterOptions {
  /** At most one progress report per this many ms (default 500: 2/s); the latest value wins. */
  progressIntervalMs?: number;
  /**
   * Epochs go out at most once per this many ms (default 250), and log lines too, each on its own clock: the first after
   * a quiet spell at once, a burst (epochs of a few ms) in batches, so the API, Postgres and every subscriber handle a
   * few requests a second instead of one per epoch. Below human perception on a live chart.
   */
  minFlushIntervalMs?: number;
  /**
   * While epochs come in bursts (the last report carried more than one), epochs go out at most once per this many ms
   * (default 1000). Every report reaches every live subscriber: a run of 30 epochs a second then costs the API and its
   * viewers one fan-out a second instead of four, and a viewer still sees the chart move each second. Epochs slower
   * than minFlushIntervalMs still go one by one, as they finish.
   */
  burstFlushIntervalMs?: number;
  /** How long a batch of epochs or logs is retried before the run is given up (default 10 min). */
  maxRetryMs?: number;
  /** Called once when the API says the worker no longer holds the run. */
  onLeaseLost: (error: unknown) => void;
}

/**
 * Progress within an epoch. When epochs come faster than progress may be sent, each epoch says more than a batch count
 * already stale on arrival: such progress is not sent (a request to the API and a message to every subscriber saved).
 */
const WITHIN_EPOCH_PHASES: ReadonlySet<string> = new Set(["train", "validate"]);

/** Keeps only finite numbers: the API accepts metric name -> finite number (val_* are null without a validation split). */
export function finiteMetrics(metrics: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) if (typeof value === "number" && Number.isFinite(value)) out[key] = value;
  return out;
}

/**
 * Streams one run's reports to the API without blocking training: epochs and log lines are queued and sent in batches
 * (one request in flight, at most one flush per minFlushIntervalMs; whatever arrived meanwhile goes in the next),
 * retried with backoff until the API answers;
 * per-batch progress is throttled and latest-wins. `drain()` waits until every epoch and log line is stored.
 */
export class RunReporter {
  private readonly epochs: EpochInput[] = [];
  private readonly logs: LogInput[] = [];
  private flushing: Promise<void> | undefined;
  /**
   * The latest value of each phase still to send, oldest phase first. Per phase, so that a phase's last value (a finished
   * download) is never replaced by another phase's while it waits: the API keeps each phase's latest value, and a
   * replayed run page shows it.
   */
  private readonly pendingProgress = new Map<string, ProgressInput>();
  private lastProgressAt = 0;
  private lastEpochAt = Number.NEGATIVE_INFINITY;
  private progressTimer: NodeJS.Timeout | undefined;
  private progressInFlight = false;
  private readonly abort = new AbortController();
  private failure: unknown;
  readonly sentEpochs = new Set<number>();
  private gatePromise: Promise<unknown> | undefined;
  /**
   * When epochs and log lines last went out, each on its own clock: a log line the trainer writes as training starts must
   * not hold the first epoch back for a flush interval.
   */
  private lastEpochFlushAt = Number.NEGATIVE_INFINITY;
  private lastLogFlushAt = Number.NEGATIVE_INFINITY;
  /** Epochs in the last epoch report: more than one means they come faster than reports may go (a burst). */
  private lastEpochBatch = 0;
  /** Log lines are numbered per run attempt (one reporter per attempt), so the API can skip re-sent ones. */
  private logSeq = 0;
  /** Set once training is over (hurry, drain), for the rest of this attempt: what is queued goes out at once. */
  private urgent = false;
  /** Ends the flush loop's wait between flushes early. */
  private wakeFlush: (() => void) | undefined;

  /** minFlushIntervalMs with its default. */
  private get flushIntervalMs(): number {
    return this.options.minFlushIntervalMs ?? 250;
  }

  constructor(
    private readonly api: ApiClient,
    private readonly workerId: string,
    private readonly runId: string,
    private readonly log: Logger,
    private readonly options: ReporterOptions,
  ) {}

  /** Epochs wait for this (startRun: the API takes epochs of a RUNNING run). */
  gate(promise: Promise<unknown>): void {
    this.gatePromise = promise;
    promise.catch(() => undefined);
  }

  epoch(epoch: number, metrics: Record<string, unknown>): void {
    const clean = finiteMetrics(metrics);
    const dropped = Object.keys(metrics).filter((k) => metrics[k] !== null && !(k in clean));
    if (dropped.length > 0) this.log.warn({ epoch, dropped }, "epoch metrics that are not finite numbers were not reported");
    this.epochs.push({ epoch, metrics: clean });
    const now = Date.now();
    // A quiet spell ends a burst: this epoch goes on the short interval, and the flush loop stops waiting out the long one.
    if (this.lastEpochBatch > 1 && now - this.lastEpochAt >= this.flushIntervalMs) {
      this.lastEpochBatch = 0;
      this.wakeFlush?.();
    }
    this.lastEpochAt = now;
    // The epoch supersedes progress within it that is still waiting for its turn.
    for (const phase of WITHIN_EPOCH_PHASES) this.pendingProgress.delete(phase);
    this.kick();
  }

  logLine(level: string, message: string): void {
    this.logs.push({ level, message: message.slice(0, 4000), at: new Date().toISOString(), seq: ++this.logSeq });
    this.kick();
  }

  progress(input: ProgressInput, { force = false } = {}): void {
    if (this.abort.signal.aborted) return;
    const interval = this.options.progressIntervalMs ?? 500;
    // Epochs faster than the progress interval: the epochs are the progress (see WITHIN_EPOCH_PHASES).
    if (WITHIN_EPOCH_PHASES.has(input.phase) && Date.now() - this.lastEpochAt < interval) return;
    // Moved to the end: the phase that waited longest goes first, so phases reporting at once take turns.
    this.pendingProgress.delete(input.phase);
    this.pendingProgress.set(input.phase, input);
    this.scheduleProgress(force);
  }

  /** Sends the oldest pending value now (forced, or the interval is over) or when the interval ends. */
  private scheduleProgress(force = false): void {
    const wait = this.lastProgressAt + (this.options.progressIntervalMs ?? 500) - Date.now();
    if ((force || wait <= 0) && !this.progressInFlight) return void this.sendProgress();
    this.progressTimer ??= setTimeout(() => {
      this.progressTimer = undefined;
      void this.sendProgress();
    }, Math.max(wait, 50));
  }

  private async sendProgress(): Promise<void> {
    const input = this.pendingProgress.values().next().value;
    if (!input || this.abort.signal.aborted) return;
    if (this.progressInFlight) return this.scheduleProgress();
    this.pendingProgress.delete(input.phase);
    this.progressInFlight = true;
    this.lastProgressAt = Date.now();
    try {
      // Progress is superseded by the next value: retry briefly, then let a newer report take over.
      await this.api.reportProgress(this.workerId, this.runId, input, { maxElapsedMs: 15_000, signal: this.abort.signal });
    } catch (error) {
      if (isLeaseLost(error)) this.leaseLost(error);
      else if (!this.abort.signal.aborted) this.log.debug({ err: error, phase: input.phase }, "progress report dropped");
    } finally {
      this.progressInFlight = false;
      this.lastProgressAt = Date.now();
    }
    if (this.pendingProgress.size > 0 && !this.progressTimer) this.scheduleProgress();
  }

  /**
   * Training is over: stop spacing flushes and send what is queued now. Called when the trainer starts evaluating (and
   * again when it returns), so the last epochs travel while the evaluation and the model upload run, instead of waiting
   * up to one flush interval behind them.
   */
  hurry(): void {
    this.urgent = true;
    this.wakeFlush?.();
    this.kick();
  }

  private kick(): void {
    if (this.flushing || this.abort.signal.aborted) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      if ((this.epochs.length > 0 || this.logs.length > 0) && !this.abort.signal.aborted && this.failure === undefined) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    const retryOptions = {
      signal: this.abort.signal,
      maxElapsedMs: this.options.maxRetryMs ?? 10 * 60_000,
      onRetry: (error: unknown, attempt: number, delayMs: number) =>
        this.log.warn({ err: error, attempt, delayMs }, "report failed, retrying"),
    };
    try {
      const interval = this.flushIntervalMs;
      const burstInterval = Math.max(interval, this.options.burstFlushIntervalMs ?? 1000);
      while (!this.abort.signal.aborted && (this.epochs.length > 0 || this.logs.length > 0)) {
        const epochInterval = this.lastEpochBatch > 1 ? burstInterval : interval;
        const epochsDue = this.epochs.length > 0 ? this.lastEpochFlushAt + epochInterval : Infinity;
        const logsDue = this.logs.length > 0 ? this.lastLogFlushAt + interval : Infinity;
        const wait = this.urgent ? 0 : Math.min(epochsDue, logsDue) - Date.now();
        if (wait > 0) await this.pause(wait);
        if (this.abort.signal.aborted) break;
        const now = Date.now();
        if (this.epochs.length > 0 && (this.urgent || now >= epochsDue)) {
          this.lastEpochFlushAt = now;
          if (this.gatePromise) await this.gatePromise;
          const batch = this.epochs.slice(0, 100);
          this.lastEpochBatch = batch.length;
          await this.api.reportEpochs(this.workerId, this.runId, batch, retryOptions);
          this.epochs.splice(0, batch.length);
          for (const e of batch) this.sentEpochs.add(e.epoch);
          this.log.debug({ epochs: batch.map((e) => e.epoch) }, "epochs reported");
        }
        if (this.logs.length > 0 && (this.urgent || Date.now() >= this.lastLogFlushAt + interval)) {
          this.lastLogFlushAt = Date.now();
          const batch = this.logs.slice(0, 200);
          await this.api.reportLogs(this.workerId, this.runId, batch, retryOptions);
          this.logs.splice(0, batch.length);
        }
      }
    } catch (error) {
      if (isLeaseLost(error)) this.leaseLost(error);
      else if (!this.abort.signal.aborted) {
        this.failure = error;
        this.log.error({ err: error }, "could not report to the API");
      }
    }
  }

  /** Waits ms, or less when aborted or hurried. */
  private async pause(ms: number): Promise<void> {
    const wake = new AbortController();
    this.wakeFlush = () => wake.abort();
    try {
      await sleep(ms, AbortSignal.any([this.abort.signal, wake.signal]));
    } finally {
      this.wakeFlush = undefined;
    }
  }

  private leaseLost(error: unknown): void {
    if (this.abort.signal.aborted) return;
    this.close();
    this.options.onLeaseLost(error);
  }

  /**
   * Waits until every queued epoch and log line is stored, sending them without waiting out the flush interval; throws
   * the error that stopped reporting, if any.
   */
  async drain(): Promise<void> {
    this.urgent = true;
    this.wakeFlush?.();
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.abort.signal.aborted) return;
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      if (this.epochs.length === 0 && this.logs.length === 0) return;
      this.kick();
    }
  }

  /** Stops reporting (run over, lease lost, or shutting down); queued reports are dropped. */
  close(): void {
    this.abort.abort();
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    this.pendingProgress.clear();
  }
}

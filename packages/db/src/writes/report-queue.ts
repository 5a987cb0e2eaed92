import type { Db } from "../client";
import { reportEpochsAtomically, reportEpochsBatch, type ReportEpochsInput } from "./report-epochs";

export interface ReportQueueOptions {
  /**
   * Report statements in flight at once. The first goes whenever none is in flight; a further one only once what waits
   * holds at least parallelAboveValues values. Reports that arrive while the statements are busy wait and go together.
   */
  maxInFlight: number;
  /**
   * How many values (epochs x keys, summed over the waiting reports) justify a further statement in parallel. Small
   * reports cost Postgres mostly per statement, so they gain from waiting for one statement together; large ones cost
   * it per point, so they gain from a second backend (a second core) working at the same time.
   */
  parallelAboveValues?: number;
  /** The most reports in one statement. */
  maxReports?: number;
  /** The most values in one statement; a larger report still goes, alone. */
  maxValues?: number;
}

interface Pending {
  input: ReportEpochsInput;
  values: number;
  resolve: (seq: number | null) => void;
  reject: (error: unknown) => void;
}

const valuesOf = (input: ReportEpochsInput) => {
  let n = 0;
  for (const e of input.epochs) for (const _ in e.metrics) n++;
  return n;
};

/**
 * Epoch reports to Postgres, several per statement under load. A report sent while no statement is in flight goes at
 * once, on its own, as before; the reports that arrive while one is busy (other workers' runs) wait and then go
 * together in one statement (reportEpochsBatch), or in a further statement at once when they are large (see
 * ReportQueueOptions). At 1 or 10 epochs per report most of a report's Postgres time is per statement and per
 * transaction (round trip, Bind, commit, the NOTIFY's signal to the listening backend): under load, statements then
 * grow more slowly than the number of workers, instead of every report paying that cost alone.
 *
 * Each caller gets its own report's answer: when a batch fails (one report's epoch out of range, a concurrent writer),
 * nothing of it was written and each of its reports is sent again on its own (reportEpochsAtomically), so an error
 * reaches only the report that caused it.
 */
export class ReportQueue {
  /** What it has sent so far: statements, reports that went in a statement with others, reports sent again alone. */
  readonly stats = { statements: 0, batchedReports: 0, resentAlone: 0 };
  private readonly waiting: Pending[] = [];
  private waitingValues = 0;
  private inFlight = 0;
  private readonly parallelAboveValues: number;
  private readonly maxReports: number;
  private readonly maxValues: number;

  constructor(
    private readonly db: Db,
    private readonly options: ReportQueueOptions,
  ) {
    if (!(Number.isInteger(options.maxInFlight) && options.maxInFlight >= 1)) throw new RangeError(`maxInFlight must be an integer >= 1 (got ${options.maxInFlight})`);
    this.parallelAboveValues = options.parallelAboveValues ?? 400;
    this.maxReports = options.maxReports ?? 64;
    this.maxValues = options.maxValues ?? 20_000;
  }

  /** As reportEpochsAtomically: the run's last event seq, or null when the run is not held by this worker (nothing written). */
  report(input: ReportEpochsInput): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const values = valuesOf(input);
      this.waiting.push({ input, values, resolve, reject });
      this.waitingValues += values;
      this.pump();
    });
  }

  private pump(): void {
    while (
      this.waiting.length > 0 &&
      (this.inFlight === 0 || (this.inFlight < this.options.maxInFlight && this.waitingValues >= this.parallelAboveValues))
    ) {
      const batch: Pending[] = [this.waiting.shift()!];
      let values = batch[0]!.values;
      while (batch.length < this.maxReports && this.waiting.length > 0 && values + this.waiting[0]!.values <= this.maxValues) {
        const next = this.waiting.shift()!;
        values += next.values;
        batch.push(next);
      }
      this.waitingValues -= values;
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    this.stats.statements++;
    if (batch.length === 1) return this.sendAlone(batch[0]!);
    this.stats.batchedReports += batch.length;
    // Same lock order in every batch (run id), so two API processes' batches never wait on each other in a cycle.
    batch.sort((a, b) => (a.input.runId < b.input.runId ? -1 : a.input.runId > b.input.runId ? 1 : 0));
    // One timestamp per statement (the function takes one): a report that waited gets its events stamped at sending.
    const at = new Date();
    let seqs: (number | null)[];
    try {
      seqs = await reportEpochsBatch(this.db, batch.map((p) => ({ ...p.input, at: p.input.at ?? at })));
    } catch {
      // Nothing of the batch was written: each report on its own, for its own answer or error.
      this.stats.resentAlone += batch.length;
      for (const p of batch) await this.sendAlone(p);
      return;
    }
    batch.forEach((p, i) => p.resolve(seqs[i] ?? null));
  }

  private async sendAlone(p: Pending): Promise<void> {
    try {
      p.resolve(await reportEpochsAtomically(this.db, p.input));
    } catch (error) {
      p.reject(error);
    }
  }
}

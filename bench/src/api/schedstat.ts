import { readdirSync, readFileSync } from "node:fs";

export interface ThreadSchedstat {
  tid: number;
  /** Seconds on a CPU. */
  runSeconds: number;
  /** Seconds runnable but waiting for a CPU (another thread or process had it). */
  waitSeconds: number;
}

/**
 * The busiest thread of a process (the most time on a CPU) from Linux's /proc/<pid>/task/<tid>/schedstat, whose first
 * two fields are the thread's nanoseconds on a CPU and waiting on a run queue. In a training process that thread is
 * the one that trains (the main thread standalone, the trainer's worker thread in apps/worker).
 *
 * Why: wall times of the same run differ by 10-20% from one run to the next on the shared 2-core machines these
 * benchmarks run on, in both configurations, so a 2% difference drowns. The training thread's share of time spent
 * waiting for a CPU is a ratio within one run, so the machine's speed cancels out, and it is how other processes on the
 * machine (the API, Postgres, subscribers) take time from training. undefined where /proc has no schedstat.
 */
export function busiestThreadSchedstat(pid: number): ThreadSchedstat | undefined {
  let best: ThreadSchedstat | undefined;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    let fields: string[];
    try {
      fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").trim().split(/\s+/);
    } catch {
      continue; // the thread ended meanwhile
    }
    const run = Number(fields[0]) / 1e9;
    const wait = Number(fields[1]) / 1e9;
    if (!Number.isFinite(run) || !Number.isFinite(wait)) continue;
    if (!best || run > best.runSeconds) best = { tid: Number(tid), runSeconds: run, waitSeconds: wait };
  }
  return best;
}

/** Percent of the thread's runnable time spent waiting for a CPU. */
export const waitPercent = (s: ThreadSchedstat) => (100 * s.waitSeconds) / (s.runSeconds + s.waitSeconds);

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

/** A process's threads by role: the training thread (the busiest), the main thread, and every other thread together. */
export interface ThreadBreakdown {
  training: { runSeconds: number; waitSeconds: number };
  main: { runSeconds: number; waitSeconds: number };
  /** V8's helper threads (garbage collection, compilation), libuv's pool and the like, summed. */
  others: { count: number; runSeconds: number; waitSeconds: number };
}

/**
 * Every thread's schedstat, grouped by role. Shows what shares the cores with training inside its own process: the
 * ninth session found V8's four helper threads each waiting as long for a CPU as they ran, beside the training thread
 * (docs/benchmarks.md). undefined where /proc has no schedstat. Where the main thread trains, it counts as training.
 */
export function threadBreakdown(pid: number): ThreadBreakdown | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const threads: ThreadSchedstat[] = [];
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
      if (Number.isFinite(run) && Number.isFinite(wait)) threads.push({ tid: Number(tid), runSeconds: run! / 1e9, waitSeconds: wait! / 1e9 });
    } catch {
      // the thread ended meanwhile
    }
  }
  if (threads.length === 0) return undefined;
  const training = threads.reduce((a, b) => (b.runSeconds > a.runSeconds ? b : a));
  const main = threads.find((t) => t.tid === pid && t !== training);
  const rest = threads.filter((t) => t !== training && t !== main);
  const sum = (list: ThreadSchedstat[], k: "runSeconds" | "waitSeconds") => list.reduce((n, t) => n + t[k], 0);
  return {
    training: { runSeconds: training.runSeconds, waitSeconds: training.waitSeconds },
    main: { runSeconds: main?.runSeconds ?? 0, waitSeconds: main?.waitSeconds ?? 0 },
    others: { count: rest.length, runSeconds: sum(rest, "runSeconds"), waitSeconds: sum(rest, "waitSeconds") },
  };
}

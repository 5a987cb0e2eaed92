import { readdirSync, readFileSync } from "node:fs";

export interface ThreadSchedstat {
  tid: number;
  /** Seconds on a CPU. */
  runSeconds: number;
  /** Seconds runnable but waiting for a CPU (another thread or process had it). */
  waitSeconds: number;
}

/** Percent of the thread's runnable time spent waiting for a CPU. */
export const waitPercent = (s: ThreadSchedstat) => (100 * s.waitSeconds) / (s.runSeconds + s.waitSeconds);

/** A process's threads by role: the training thread (the busiest), the main thread, and every other thread together. */
export interface ThreadBreakdown {
  training: ThreadSchedstat;
  main: { runSeconds: number; waitSeconds: number };
  /** V8's helper threads (garbage collection, compilation), libuv's pool and the like, summed. */
  others: { count: number; runSeconds: number; waitSeconds: number };
}

/**
 * A process's threads by role, from Linux's /proc/<pid>/task/<tid>/schedstat, whose first two fields are a thread's
 * nanoseconds on a CPU and waiting on a run queue. The busiest thread (the most time on a CPU) is the one that trains:
 * the main thread standalone (then it counts as training, and main is zero), the trainer's worker thread in apps/worker.
 *
 * Why the training thread's wait: wall times of the same run differ by 10-20% from one run to the next on the shared
 * 2-core machines these benchmarks run on, in both configurations, so a 2% difference drowns. The training thread's
 * share of time spent waiting for a CPU is a ratio within one run, so the machine's speed cancels out, and it is how
 * other processes on the machine (the API, Postgres, subscribers) take time from training.
 * Why the others: they show what shares the cores with training inside its own process. The ninth session found V8's
 * four helper threads each waiting as long for a CPU as they ran, beside the training thread (docs/benchmarks.md).
 * undefined where /proc has no schedstat.
 */
export function threadBreakdown(pid: number, threads = threadSchedstats(pid)): ThreadBreakdown | undefined {
  return threads && byRole(pid, threads);
}

/** Every thread's schedstat now (see threadBreakdown); undefined where /proc has none. */
export function threadSchedstats(pid: number): ThreadSchedstat[] | undefined {
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
  return threads.length > 0 ? threads : undefined;
}

/**
 * The process's threads by role over an interval: `now` minus `before` (threadSchedstats at its end and start), thread
 * by thread; a thread started since counts from zero. Startup and whatever came before the interval drop out.
 */
export function threadBreakdownSince(pid: number, before: ThreadSchedstat[] | undefined, now: ThreadSchedstat[] | undefined): ThreadBreakdown | undefined {
  if (!now || !before) return undefined;
  const then = new Map(before.map((t) => [t.tid, t]));
  const delta = now.map((t) => ({ tid: t.tid, runSeconds: t.runSeconds - (then.get(t.tid)?.runSeconds ?? 0), waitSeconds: t.waitSeconds - (then.get(t.tid)?.waitSeconds ?? 0) }));
  return byRole(pid, delta);
}

function byRole(pid: number, threads: ThreadSchedstat[]): ThreadBreakdown {
  const training = threads.reduce((a, b) => (b.runSeconds > a.runSeconds ? b : a));
  const main = threads.find((t) => t.tid === pid && t !== training);
  const rest = threads.filter((t) => t !== training && t !== main);
  const sum = (list: ThreadSchedstat[], k: "runSeconds" | "waitSeconds") => list.reduce((n, t) => n + t[k], 0);
  return {
    training,
    main: { runSeconds: main?.runSeconds ?? 0, waitSeconds: main?.waitSeconds ?? 0 },
    others: { count: rest.length, runSeconds: sum(rest, "runSeconds"), waitSeconds: sum(rest, "waitSeconds") },
  };
}

/**
 * Node flags every worker process runs with: `pnpm start` (package.json), the `tunelab-worker` bin, the container image
 * (infra/worker.Dockerfile), and bench/ (tracking-overhead, worker-memory). Tests check that each carries them.
 *
 * `--v8-pool-size=1`: one V8 helper thread instead of Node's four. The helpers run the garbage collector's parallel
 * and concurrent work (and background compilation) for the worker's two isolates; training is one busy thread, and
 * four helpers bursting beside it on a 2-core machine took it off its core: iris, CPU backend, 300 epochs, fineTune in
 * a plain process, the training thread waited for a CPU 1.5-2.2% of its runnable time with four helpers and 0.03-0.34%
 * with one, at the same training speed (the helpers' work, ~1.5 s per 9 s run, is the same, done by one thread at a
 * time). docs/benchmarks.md, "Ninth session".
 */
export const WORKER_NODE_FLAGS = ["--v8-pool-size=1"] as const;

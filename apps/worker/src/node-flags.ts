/**
 * Node flags every worker process runs with: `pnpm start` (package.json), the `tunelab-worker` bin, the container image
 * (infra/worker.Dockerfile), and bench/ (tracking-overhead, worker-memory). Tests check that each carries them.
 *
 * `--v8-pool-size=1`: one V8 helper thread instead of Node's four. The helpers run the garbage collector's parallel
 * and concurrent work (and background compilation) for the worker's two isolates; training is one busy thread, and
 * four helpers bursting beside it on a 2-core machine took it off its core: iris, CPU backend, 300 epochs, fineTune in
 * a plain process, the training thread waited for a CPU 1.5-2.2% of its runnable time with four helpers and 0.03-0.34%
 * with one, at the same training speed (the helpers' work, ~1.5 s per 9 s run, is the same, done by one thread at a
 * time).
 *
 * `--max-semi-space-size=64`: a young generation of up to 64 MiB per semi-space instead of 16. Training allocates
 * small short-lived objects (tensors' wrappers, kernels' temporaries) at a high rate; a larger nursery scavenges less
 * often and copies the same survivors: the same iris run trained in 8.2-8.7 s instead of 9.8-10.1 s, with the same
 * peak RSS (188-192 MiB against 187-190). V8 grows the nursery only under that allocation rate, so the main thread's
 * stays small.
 *
 * docs/benchmarks.md, "Ninth session".
 */
export const WORKER_NODE_FLAGS = ["--v8-pool-size=1", "--max-semi-space-size=64"] as const;

/**
 * Node flags every worker process runs with: `pnpm start` (package.json), the `tunelab-worker` bin, the container image
 * (infra/worker.Dockerfile), and bench/ (tracking-overhead, worker-memory). Tests check that each carries them.
 *
 * `--v8-pool-size=1`: one V8 helper thread instead of Node's four. The helpers run the garbage collector's parallel
 * and concurrent work (and background compilation) for the worker's two isolates; training is one busy thread, and
 * four helpers bursting beside it on a 2-core machine took it off its core: iris, CPU backend, 300 epochs, fineTune in
 * a plain process, the training thread waited for a CPU 1.6-2.3% of its runnable time with four helpers and 0.3-0.7%
 * with one, at the same training speed (the helpers' work, ~1.5 s per 9 s run, is the same, done by one thread at a
 * time).
 *
 * `--max-semi-space-size=64`: a young generation of up to 64 MiB per semi-space instead of 16. Training allocates
 * small short-lived objects (tensors' wrappers, kernels' temporaries) at a high rate, and a larger nursery is
 * scavenged less often: the same iris run trained in 8.2-8.7 s instead of 9.8-10.1 s (one helper thread in both), at
 * the same peak RSS (188-192 MiB against 187-190); the real worker's RSS grew 2.3% from epoch 5 to 50 (worker-memory).
 *
 * docs/benchmarks.md, "Ninth session".
 */
export const WORKER_NODE_FLAGS = ["--v8-pool-size=1", "--max-semi-space-size=64"] as const;

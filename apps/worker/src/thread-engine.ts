import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker as Thread } from "node:worker_threads";
import type { BackendProbe, EngineEvent, TrainInput, TrainOutput, TrainingEngine } from "./engine";
import type { ThreadReply, ThreadRequest } from "./engine-thread";
import type { Backend } from "./env";
import type { Logger } from "./log";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; onEvent?: (e: EngineEvent) => void };

/**
 * Runs the trainer in a worker thread. On the CPU backends a training loop never yields to the event loop (its awaits
 * resolve as microtasks), so on the main thread heartbeats, reports and signals would wait until training ended; here
 * the main thread stays free and cancels through a shared flag the trainer reads before every batch. A crashed thread
 * fails the run in progress and is restarted for the next one.
 */
export class ThreadEngine implements TrainingEngine {
  private thread: Thread | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly logger: Logger) {}

  private start(): Thread {
    if (this.thread) return this.thread;
    const fromSource = import.meta.url.endsWith(".ts");
    const url = new URL(fromSource ? "./engine-thread.ts" : "./engine-thread.mjs", import.meta.url);
    // From source the thread registers tsx's loader first (execArgv --import does not reach worker threads on Node 20).
    const thread = fromSource
      ? new Thread(
          `import(${JSON.stringify(tsxEsmApi())})` +
            `.then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
          { eval: true, env: process.env },
        )
      : new Thread(url, { env: process.env });
    thread.on("message", (reply: ThreadReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      if (reply.kind === "event") return void pending.onEvent?.(reply.event as EngineEvent);
      this.pending.delete(reply.id);
      // An idle thread must not keep the process alive; a busy one must (the main thread may be waiting on nothing else).
      if (this.pending.size === 0) thread.unref();
      if (reply.kind === "ok") pending.resolve(reply.value);
      else pending.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, stack: reply.error.stack }));
    });
    const fail = (error: Error) => {
      this.logger.error({ err: error }, "trainer thread died");
      this.thread = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`trainer thread died: ${error.message}`));
      this.pending.clear();
    };
    thread.on("error", fail);
    thread.on("exit", (code) => {
      if (this.thread === thread) fail(new Error(`exit code ${code}`));
    });
    this.thread = thread;
    return thread;
  }

  private call<T>(request: DistributiveOmit<ThreadRequest, "id">, onEvent?: (e: EngineEvent) => void, transfer: ArrayBuffer[] = []): Promise<T> {
    const thread = this.start();
    const id = this.nextId++;
    thread.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent });
      thread.postMessage({ ...request, id }, transfer);
    });
  }

  detect(): Promise<BackendProbe[]> {
    return this.call({ op: "detect" });
  }

  use(backend: Backend): Promise<{ backend: Backend; device: string; kernels?: string[] }> {
    return this.call({ op: "use", backend });
  }

  async train(input: TrainInput): Promise<TrainOutput> {
    const abortFlag = new SharedArrayBuffer(4);
    const flag = new Int32Array(abortFlag);
    const onAbort = () => Atomics.store(flag, 0, 1);
    if (input.signal.aborted) onAbort();
    input.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const output = await this.call<TrainOutput>(
        { op: "train", input: { claim: input.claim, datasetBytes: input.datasetBytes, modelBytes: input.modelBytes, backend: input.backend }, abortFlag },
        (event) => void input.onEvent(event),
      );
      return { ...output, bundle: new Uint8Array(output.bundle) };
    } finally {
      input.signal.removeEventListener("abort", onAbort);
    }
  }

  /** Ends the thread (tests; the process exit ends it otherwise). */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }
}

/** URL of tsx's ESM register API (its "import" export, which createRequire cannot pick). */
function tsxEsmApi(): string {
  const pkg = createRequire(import.meta.url).resolve("tsx/package.json");
  return pathToFileURL(pkg.replace(/package\.json$/, "dist/esm/api/index.mjs")).href;
}

/** The worker's engine: @tunelab/trainer in a worker thread. */
export async function createTrainerEngine(logger: Logger): Promise<TrainingEngine> {
  return new ThreadEngine(logger);
}

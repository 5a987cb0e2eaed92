// Worker-thread side of the threaded engine: owns TensorFlow.js and runs @tunelab/trainer. See thread-engine.ts.
import { parentPort } from "node:worker_threads";
import type { TrainInput } from "./engine";
import type { Backend } from "./env";
import { createLogger } from "./log";
import { createDirectTrainerEngine } from "./trainer-engine";

export type ThreadRequest =
  | { id: number; op: "detect" }
  | { id: number; op: "use"; backend: Backend }
  | { id: number; op: "train"; input: Omit<TrainInput, "signal" | "onEvent">; abortFlag: SharedArrayBuffer };

export type ThreadReply =
  | { id: number; kind: "event"; event: unknown }
  | { id: number; kind: "ok"; value: unknown }
  | { id: number; kind: "error"; error: { name: string; message: string; stack?: string } };

/**
 * An AbortSignal that also turns aborted when the main thread sets `flag[0]`: training on the CPU backends keeps this
 * thread busy, so a postMessage would only arrive after training ends, while the trainer reads `signal.aborted` before
 * every batch.
 */
export function sharedAbortSignal(flag: Int32Array): AbortSignal {
  const controller = new AbortController();
  const signal = controller.signal;
  const nativeAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")!.get!;
  Object.defineProperty(signal, "aborted", {
    configurable: true,
    get() {
      if (!nativeAborted.call(signal) && Atomics.load(flag, 0) !== 0) controller.abort(new Error("run stopped"));
      return nativeAborted.call(signal);
    },
  });
  return signal;
}

const port = parentPort;
if (port) {
  const logger = createLogger(process.env.LOG_LEVEL ?? "info", { thread: "trainer" });
  const enginePromise = createDirectTrainerEngine(logger);
  port.on("message", (request: ThreadRequest) => {
    void (async () => {
      try {
        const engine = await enginePromise;
        let value: unknown;
        if (request.op === "detect") value = await engine.detect();
        else if (request.op === "use") value = await engine.use(request.backend);
        else {
          const output = await engine.train({
            ...request.input,
            signal: sharedAbortSignal(new Int32Array(request.abortFlag)),
            onEvent: (event) => port.postMessage({ id: request.id, kind: "event", event } satisfies ThreadReply),
          });
          port.postMessage({ id: request.id, kind: "ok", value: output } satisfies ThreadReply, [output.bundle.buffer as ArrayBuffer]);
          return;
        }
        port.postMessage({ id: request.id, kind: "ok", value } satisfies ThreadReply);
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        port.postMessage({ id: request.id, kind: "error", error: { name: e.name, message: e.message, stack: e.stack } } satisfies ThreadReply);
      }
    })();
  });
}

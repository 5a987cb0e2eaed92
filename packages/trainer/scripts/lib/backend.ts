// Backend choice for the scripts: the project's selectBackend (src/backends) when it exists, else wasm with the
// project's gradient kernels (src/kernels), else the stock cpu backend. fineTune itself never picks a backend.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import type { TrainerEvent } from "../../src/types";

export async function useScriptBackend(preferred = process.env.TRAINER_BACKEND): Promise<string> {
  try {
    const mod = (await import("../../src/backends/index")) as unknown as {
      selectBackend?: (p?: string[]) => Promise<{ backend: string; device?: string }>;
    };
    if (mod.selectBackend) {
      const r = await mod.selectBackend(preferred ? [preferred] : ["WEBGPU", "WASM", "CPU"]);
      return `${r.backend}${r.device ? ` (${r.device})` : ""}`;
    }
  } catch {
    // src/backends not there yet
  }
  if (preferred !== "CPU") {
    try {
      await import("@tensorflow/tfjs-backend-wasm");
      const kernels = (await import("../../src/kernels/index")) as unknown as { registerFastKernels: (b: string) => { kernels: string[] } };
      if (await tf.setBackend("wasm")) {
        const reg = kernels.registerFastKernels("wasm");
        return `wasm + ${reg.kernels.join(", ")}`;
      }
    } catch (e) {
      console.warn(`wasm backend unavailable (${(e as Error).message}); using cpu`);
    }
  }
  await tf.setBackend("cpu");
  return "cpu";
}

/** A one-line progress bar on stderr for fineTune events. */
export function progressPrinter(label: string) {
  const start = Date.now();
  let epochs = 0;
  return {
    setEpochs(n: number) {
      epochs = n;
    },
    onEvent(e: TrainerEvent) {
      if (e.type === "progress" && e.phase === "train") {
        const width = 30;
        const filled = Math.round((e.done / e.total) * width);
        const s = ((Date.now() - start) / 1000).toFixed(0);
        process.stderr.write(`\r${label} epoch ${e.epoch}/${epochs} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${e.done}/${e.total} batches ${s}s   `);
      } else if (e.type === "epoch") {
        const m = e.metrics;
        process.stderr.write(
          `\r${label} epoch ${e.epoch}/${epochs} loss ${m.loss.toFixed(4)} acc ${m.acc.toFixed(4)} val_loss ${m.val_loss?.toFixed(4) ?? "-"} val_acc ${m.val_acc?.toFixed(4) ?? "-"} (${((Date.now() - start) / 1000).toFixed(0)}s)          \n`,
        );
      } else if (e.type === "log") process.stderr.write(`${label} ${e.level}: ${e.message}\n`);
    },
  };
}

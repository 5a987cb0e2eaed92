import { createHash } from "node:crypto";
import type { BackendProbe, TrainInput, TrainOutput, TrainingEngine } from "../../src/engine";

/** A stand-in trainer: `batches` batches of `batchMs` per epoch, checking the signal before each batch like the real one. */
export class FakeEngine implements TrainingEngine {
  batchesRun = 0;
  failAt: { epoch: number; message: string } | undefined;
  /** Runs while the fake "evaluates" (after its evaluate step started, before train() returns). */
  evaluate: (() => Promise<void>) | undefined;
  constructor(
    private readonly batchMs = 20,
    private readonly batches = 5,
  ) {}

  async detect(): Promise<BackendProbe[]> {
    return [
      { backend: "WEBGPU", available: false, reason: "no GPU adapter" },
      { backend: "CPU", available: true, device: "cpu x2 (fake)" },
    ];
  }

  /** Backends asked for, in order. */
  readonly uses: string[] = [];
  /** Runs inside use(), before it answers (a slow or failing backend load). */
  onUse: ((backend: string) => Promise<void>) | undefined;

  async use(backend: "CPU") {
    this.uses.push(backend);
    await this.onUse?.(backend);
    return { backend, device: "cpu x2 (fake)" };
  }

  async train({ claim, signal, onEvent }: TrainInput): Promise<TrainOutput> {
    onEvent({ type: "step", step: "prepare", status: "started" });
    onEvent({ type: "step", step: "freeze", status: "started" });
    void onEvent({ type: "ready", frozenLayers: [], trainableParams: 10, frozenParams: 0 });
    onEvent({ type: "step", step: "train", status: "started" });
    for (let epoch = 1; epoch <= claim.run.config.epochs; epoch++) {
      for (let b = 0; b < this.batches; b++) {
        if (signal.aborted) throw Object.assign(new Error("cancelled"), { name: "AbortError" });
        if (this.failAt?.epoch === epoch) throw new Error(this.failAt.message);
        await new Promise((r) => setTimeout(r, this.batchMs));
        this.batchesRun++;
        onEvent({ type: "progress", phase: "train", done: b + 1, total: this.batches });
      }
      onEvent({ type: "epoch", epoch, metrics: { loss: 1 / epoch, acc: epoch / 10, val_loss: null, val_acc: null } });
    }
    onEvent({ type: "step", step: "evaluate", status: "started" });
    await this.evaluate?.();
    const bundle = new TextEncoder().encode(`model of ${claim.run.id}`);
    return {
      evaluation: { split: "test", numExamples: 2, loss: 0.5, accuracy: 1, macroF1: 1, classNames: ["a", "b"], perClass: [], confusionMatrix: [[1, 0], [0, 1]] },
      bundle,
      sha256: createHash("sha256").update(bundle).digest("hex"),
      layers: [],
      classNames: ["a", "b"],
      inputShape: [1],
      metadata: {},
    };
  }
}

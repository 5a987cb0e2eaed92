/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL variables of a test double */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ClaimedRun } from "../../src/api/types";

/**
 * A small in-process stand-in for the worker side of the API (same operations, same error codes), for unit tests of
 * the worker's lifecycle. The integration tests use the real API.
 */
export interface FakeRun {
  claim: Omit<ClaimedRun, "attempt" | "leaseExpiresAt" | "recordedEpochs" | "backend">;
  status: "QUEUED" | "PREPARING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
  attempt: number;
  workerId?: string;
  leaseExpiresAt?: number;
  cancelRequested: boolean;
  epochs: Map<number, Record<string, number>>;
  epochReports: number;
  error?: string;
  errorStep?: string | null;
  started?: Record<string, unknown>;
  evaluation?: unknown;
  completed?: Record<string, unknown>;
  releases: number;
}

export class FakeApi {
  server!: Server;
  url = "";
  token = "test-token-0123456789";
  leaseSeconds = 5;
  heartbeatSeconds = 1;
  runs = new Map<string, FakeRun>();
  workers = new Map<string, { name: string; backends: string[]; unregistered: boolean }>();
  artifacts = new Map<string, Uint8Array>();
  downloads = 0;
  /** Milliseconds each artifact download waits before its bytes go out, and the most downloads seen at once. */
  downloadDelayMs = 0;
  downloadsInFlight = 0;
  maxDownloadsInFlight = 0;
  /** While true, every request is answered 503 (an API restarting). */
  down = false;
  calls: string[] = [];
  /** Every request as it arrives: operation name, or "upload" for POST /artifacts, with Date.now(). */
  received: { name: string; at: number }[] = [];
  /** Milliseconds to wait before answering, by operation name ("upload" for POST /artifacts). */
  delays: Record<string, number> = {};
  /** Errors to answer instead, by operation name; "upload" answers HTTP 400 with the message. */
  failures: Record<string, { message: string; code: string }> = {};

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks);
        const isUpload = req.method === "POST" && req.url === "/artifacts";
        const name = isUpload ? "upload" : req.method === "POST" ? (JSON.parse(body.toString()) as { operationName?: string }).operationName ?? "" : "";
        if (name) this.received.push({ name, at: Date.now() });
        if (this.delays[name]) await new Promise((r) => setTimeout(r, this.delays[name]));
        const send = (status: number, payload: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(payload));
        };
        if (this.down) return send(503, { error: "restarting" });
        if (req.method === "GET" && req.url?.startsWith("/artifacts/")) {
          const bytes = this.artifacts.get(req.url.slice("/artifacts/".length));
          if (!bytes) return send(404, { error: "not found" });
          this.downloadsInFlight++;
          this.maxDownloadsInFlight = Math.max(this.maxDownloadsInFlight, this.downloadsInFlight);
          if (this.downloadDelayMs) await new Promise((r) => setTimeout(r, this.downloadDelayMs));
          this.downloadsInFlight--;
          if (res.destroyed) return; // the worker gave the download up
          this.downloads++;
          res.writeHead(200, { "content-length": bytes.byteLength });
          return res.end(bytes);
        }
        if (isUpload) {
          const failure = this.failures.upload;
          if (failure) return send(400, { error: failure.message });
          const a = this.addArtifact(new Uint8Array(body));
          return send(201, a);
        }
        if (req.headers.authorization !== `Bearer ${this.token}`) return send(200, { data: null, errors: [{ message: "bad token", extensions: { code: "UNAUTHENTICATED" } }] });
        const { operationName, variables } = JSON.parse(body.toString()) as { operationName: string; variables: Record<string, any> };
        this.calls.push(operationName);
        try {
          const failure = this.failures[operationName];
          if (failure) throw Object.assign(new Error(failure.message), { code: failure.code });
          send(200, { data: this.handle(operationName, variables) });
        } catch (error) {
          const e = error as Error & { code?: string };
          send(200, { data: null, errors: [{ message: e.message, extensions: { code: e.code ?? "INTERNAL_SERVER_ERROR" } }] });
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  addArtifact(bytes: Uint8Array) {
    const id = randomUUID();
    this.artifacts.set(id, bytes);
    return { id, sha256: createHash("sha256").update(bytes).digest("hex"), sizeBytes: bytes.byteLength, downloadUrl: `/artifacts/${id}` };
  }

  /** Gives a run a base model to download (a bundle of `bytes`; the fake engine does not read it). */
  withBaseModel(run: FakeRun, bytes = new TextEncoder().encode("base model bundle")): FakeRun {
    run.claim.baseModel = { id: "m1", name: "tiny-base", version: 1, task: "TABULAR_CLASSIFICATION", classNames: ["a", "b"], layers: [], artifact: this.addArtifact(bytes) };
    return run;
  }

  addRun(epochs = 3, datasetBytes = new TextEncoder().encode("x,label\n1,a\n2,b\n")): FakeRun {
    const id = randomUUID();
    const artifact = this.addArtifact(datasetBytes);
    const run: FakeRun = {
      claim: {
        run: { id, name: `run-${this.runs.size + 1}`, frozenLayers: [], extraConfig: {}, config: { learningRate: 0.01, epochs, batchSize: 4, optimizer: "ADAM", validationSplit: 0.2, seed: 1, earlyStoppingPatience: null } },
        dataset: { source: "upload", format: "csv", options: {}, dataset: { id: "d1", name: "tiny", version: 1, task: "TABULAR_CLASSIFICATION", numExamples: 2, classNames: ["a", "b"], sha256: "x" }, artifact },
        baseModel: null,
      },
      status: "QUEUED",
      attempt: 0,
      cancelRequested: false,
      epochs: new Map(),
      epochReports: 0,
      releases: 0,
    };
    this.runs.set(id, run);
    return run;
  }

  private held(workerId: string, runId: string): FakeRun {
    const run = this.runs.get(runId);
    if (!run || run.workerId !== workerId || !["PREPARING", "RUNNING"].includes(run.status)) throw Object.assign(new Error("lease lost"), { code: "LEASE_LOST" });
    return run;
  }

  private handle(op: string, v: Record<string, any>): unknown {
    const now = Date.now();
    switch (op) {
      case "RegisterWorker": {
        const id = randomUUID();
        const input = v.input as { name: string; backends: string[] };
        this.workers.set(id, { name: input.name, backends: input.backends, unregistered: false });
        return { registerWorker: { worker: { id, name: input.name }, leaseSeconds: this.leaseSeconds, heartbeatSeconds: this.heartbeatSeconds } };
      }
      case "ClaimRun": {
        for (const run of this.runs.values()) {
          if (["PREPARING", "RUNNING"].includes(run.status) && run.leaseExpiresAt! < now) {
            run.status = "QUEUED";
            run.workerId = undefined;
          }
        }
        const run = [...this.runs.values()].find((r) => r.status === "QUEUED");
        if (!run) return { claimRun: null };
        run.status = "PREPARING";
        run.attempt++;
        run.workerId = v.workerId;
        run.leaseExpiresAt = now + this.leaseSeconds * 1000;
        return { claimRun: { ...run.claim, attempt: run.attempt, leaseExpiresAt: new Date(run.leaseExpiresAt).toISOString(), backend: "CPU", recordedEpochs: [...run.epochs.keys()] } };
      }
      case "Heartbeat": {
        if (!v.runId) return { heartbeat: { leaseExpiresAt: null, cancelRequested: false, leaseLost: false } };
        const run = this.runs.get(v.runId);
        const held = run && run.workerId === v.workerId && ["PREPARING", "RUNNING"].includes(run.status);
        if (held) run.leaseExpiresAt = now + this.leaseSeconds * 1000;
        return { heartbeat: { leaseExpiresAt: held ? new Date(run.leaseExpiresAt!).toISOString() : null, cancelRequested: !!(held && run.cancelRequested), leaseLost: !held } };
      }
      case "StartRun": {
        const run = this.held(v.workerId, v.runId);
        run.status = "RUNNING";
        run.started = v.input;
        return { startRun: { id: v.runId, status: "RUNNING" } };
      }
      case "ReportProgress":
        this.held(v.workerId, v.runId);
        return { reportProgress: true };
      case "ReportLogs":
        this.held(v.workerId, v.runId);
        return { reportLogs: true };
      case "ReportEpochs": {
        const run = this.held(v.workerId, v.runId);
        if (run.status !== "RUNNING") throw Object.assign(new Error("run not started"), { code: "CONFLICT" });
        for (const e of v.epochs as { epoch: number; metrics: Record<string, number> }[]) {
          run.epochReports++;
          if (!run.epochs.has(e.epoch)) run.epochs.set(e.epoch, e.metrics);
        }
        return { reportEpochs: true };
      }
      case "ReportEvaluation":
        this.held(v.workerId, v.runId).evaluation = v.input;
        return { reportEvaluation: true };
      case "CompleteRun": {
        const run = this.held(v.workerId, v.runId);
        run.status = "SUCCEEDED";
        run.completed = v.input;
        return { completeRun: { id: v.runId, status: run.status } };
      }
      case "FailRun": {
        const run = this.held(v.workerId, v.runId);
        run.status = "FAILED";
        run.error = v.error;
        run.errorStep = v.step;
        return { failRun: { id: v.runId, status: run.status } };
      }
      case "FinishCancelledRun": {
        const run = this.held(v.workerId, v.runId);
        if (!run.cancelRequested) throw Object.assign(new Error("no cancel requested"), { code: "CONFLICT" });
        run.status = "CANCELLED";
        return { finishCancelledRun: { id: v.runId, status: run.status } };
      }
      case "ReleaseRun": {
        const run = this.held(v.workerId, v.runId);
        run.status = "QUEUED";
        run.attempt--;
        run.workerId = undefined;
        run.releases++;
        return { releaseRun: true };
      }
      case "UnregisterWorker":
        this.workers.get(v.workerId)!.unregistered = true;
        return { unregisterWorker: true };
      default:
        throw Object.assign(new Error(`unknown operation ${op}`), { code: "BAD_USER_INPUT" });
    }
  }
}

import { type TestApi, tinyModelBundle, uploadArtifact } from "./helpers";

/** A test worker: the worker protocol driven over real HTTP, with a fake trained result. */
export class TestWorker {
  id = "";
  constructor(
    private readonly api: TestApi,
    private readonly backends: string[] = ["CPU"],
    private readonly name = "test-worker",
  ) {}

  async register() {
    const d = await this.api.q<any>(
      `mutation($i: RegisterWorkerInput!) { registerWorker(input: $i) { worker { id name backend } leaseSeconds heartbeatSeconds } }`,
      { i: { name: this.name, backends: this.backends, device: "cpu x2 (test)", info: { pid: process.pid } } },
    );
    this.id = d.registerWorker.worker.id;
    return d.registerWorker;
  }

  async claim() {
    const d = await this.api.q<any>(
      `mutation($w: ID!) { claimRun(workerId: $w) { attempt leaseExpiresAt backend recordedEpochs
          run { id name status config { epochs } frozenLayers }
          dataset { source format options dataset { id name numExamples } artifact { id } }
          baseModel { id name artifact { downloadUrl sha256 } layers { name } } } }`,
      { w: this.id },
    );
    return d.claimRun;
  }

  heartbeat(runId?: string) {
    return this.api.gql<any>(`mutation($w: ID!, $r: ID) { heartbeat(workerId: $w, runId: $r) { leaseExpiresAt cancelRequested leaseLost } }`, {
      w: this.id,
      r: runId ?? null,
    });
  }

  start(runId: string) {
    return this.api.gql<any>(
      `mutation($w: ID!, $r: ID!, $i: RunStartedInput!) { startRun(workerId: $w, runId: $r, input: $i) { id status backend device } }`,
      { w: this.id, r: runId, i: { backend: this.backends[0], device: "cpu x2 (test)", frozenLayers: ["hidden"], trainableParams: 15, frozenParams: 20 } },
    );
  }

  progress(runId: string, phase: string, done: number, total: number | null) {
    return this.api.gql<any>(`mutation($w: ID!, $r: ID!, $i: ProgressInput!) { reportProgress(workerId: $w, runId: $r, input: $i) }`, {
      w: this.id,
      r: runId,
      i: { phase, done, total },
    });
  }

  log(runId: string, message: string) {
    return this.logs(runId, [{ level: "info", message }]);
  }

  logs(runId: string, lines: { level: string; message: string; seq?: number }[]) {
    return this.api.gql<any>(`mutation($w: ID!, $r: ID!, $l: [LogInput!]!) { reportLogs(workerId: $w, runId: $r, lines: $l) }`, {
      w: this.id,
      r: runId,
      l: lines,
    });
  }

  epochs(runId: string, epochs: { epoch: number; metrics: Record<string, number> }[]) {
    return this.api.gql<any>(`mutation($w: ID!, $r: ID!, $e: [EpochInput!]!) { reportEpochs(workerId: $w, runId: $r, epochs: $e) }`, {
      w: this.id,
      r: runId,
      e: epochs,
    });
  }

  evaluate(runId: string, split = "test") {
    return this.api.gql<any>(`mutation($w: ID!, $r: ID!, $i: EvaluationInput!) { reportEvaluation(workerId: $w, runId: $r, input: $i) }`, {
      w: this.id,
      r: runId,
      i: {
        split,
        numExamples: 30,
        loss: 0.2,
        accuracy: 0.9,
        macroF1: 0.89,
        classNames: ["setosa", "versicolor", "virginica"],
        perClass: [
          { className: "setosa", precision: 1, recall: 1, f1: 1, support: 10 },
          { className: "versicolor", precision: 0.8, recall: 0.9, f1: 0.85, support: 10 },
          { className: "virginica", precision: 0.9, recall: 0.8, f1: 0.85, support: 10 },
        ],
        confusionMatrix: [
          [10, 0, 0],
          [0, 9, 1],
          [0, 2, 8],
        ],
      },
    });
  }

  async complete(runId: string, bundle: Uint8Array = tinyModelBundle(7, { baseModel: "tiny", preprocessing: { vocabulary: ["a", "b"] } })) {
    const up = await uploadArtifact(this.api, bundle);
    return this.api.gql<any>(
      `mutation($w: ID!, $r: ID!, $i: CompleteRunInput!) { completeRun(workerId: $w, runId: $r, input: $i) { id status outputModel { id kind version parent { id } sourceRun { id } artifact { sha256 downloadUrl } } } }`,
      {
        w: this.id,
        r: runId,
        i: {
          modelArtifactId: up.body.id,
          layers: [
            { index: 0, name: "hidden", className: "Dense", outputShape: [null, 4], params: 20 },
            { index: 1, name: "head", className: "Dense", outputShape: [null, 3], params: 15 },
          ],
          classNames: ["setosa", "versicolor", "virginica"],
          inputShape: [4],
          metadata: { test: true, baseModel: "overridden by the bundle" },
        },
      },
    );
  }

  fail(runId: string, error: string, step?: string) {
    return this.api.gql<any>(`mutation($w: ID!, $r: ID!, $e: String!, $s: String) { failRun(workerId: $w, runId: $r, error: $e, step: $s) { id status error } }`, {
      w: this.id,
      r: runId,
      e: error,
      s: step ?? null,
    });
  }

  finishCancelled(runId: string) {
    return this.api.gql<any>(`mutation($w: ID!, $r: ID!) { finishCancelledRun(workerId: $w, runId: $r) { id status } }`, { w: this.id, r: runId });
  }

  release(runId: string) {
    return this.api.gql<any>(`mutation($w: ID!, $r: ID!) { releaseRun(workerId: $w, runId: $r) }`, { w: this.id, r: runId });
  }
}

export const LAUNCH = `mutation($i: LaunchRunInput!) { launchRun(input: $i) { id name status attempt frozenLayers trainableParams frozenParams tags } }`;

export const RUN_EVENTS = `subscription($id: ID!) { runEvents(runId: $id) {
  __typename
  ... on StatusChanged { runId status error seq }
  ... on EpochCompleted { runId epoch metrics seq }
  ... on Progress { runId phase done total seq }
  ... on LogLine { runId level message seq }
} }`;

export const RUN_EVENTS_AFTER = RUN_EVENTS.replace("($id: ID!)", "($id: ID!, $after: Float!)").replace("runEvents(runId: $id)", "runEventsAfter(runId: $id, afterSeq: $after)");

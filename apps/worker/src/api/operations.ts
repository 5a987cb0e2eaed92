// The GraphQL documents the worker sends; see apps/api/src/schema/worker.graphql for their meaning.

const ARTIFACT = "id sha256 sizeBytes downloadUrl";

export const REGISTER_WORKER = /* GraphQL */ `
  mutation RegisterWorker($input: RegisterWorkerInput!) {
    registerWorker(input: $input) {
      worker { id name }
      leaseSeconds
      heartbeatSeconds
    }
  }
`;

export const CLAIM_RUN = /* GraphQL */ `
  mutation ClaimRun($workerId: ID!) {
    claimRun(workerId: $workerId) {
      attempt
      leaseExpiresAt
      backend
      recordedEpochs
      run {
        id
        name
        frozenLayers
        extraConfig
        config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }
      }
      dataset {
        source
        format
        options
        dataset { id name version task numExamples classNames sha256 }
        artifact { ${ARTIFACT} }
      }
      baseModel {
        id
        name
        version
        task
        classNames
        layers { index name className outputShape params }
        artifact { ${ARTIFACT} }
      }
    }
  }
`;

export const HEARTBEAT = /* GraphQL */ `
  mutation Heartbeat($workerId: ID!, $runId: ID) {
    heartbeat(workerId: $workerId, runId: $runId) { leaseExpiresAt cancelRequested leaseLost }
  }
`;

export const START_RUN = /* GraphQL */ `
  mutation StartRun($workerId: ID!, $runId: ID!, $input: RunStartedInput!) {
    startRun(workerId: $workerId, runId: $runId, input: $input) { id status }
  }
`;

export const REPORT_PROGRESS = /* GraphQL */ `
  mutation ReportProgress($workerId: ID!, $runId: ID!, $input: ProgressInput!) {
    reportProgress(workerId: $workerId, runId: $runId, input: $input)
  }
`;

export const REPORT_LOGS = /* GraphQL */ `
  mutation ReportLogs($workerId: ID!, $runId: ID!, $lines: [LogInput!]!) {
    reportLogs(workerId: $workerId, runId: $runId, lines: $lines)
  }
`;

export const REPORT_EPOCHS = /* GraphQL */ `
  mutation ReportEpochs($workerId: ID!, $runId: ID!, $epochs: [EpochInput!]!) {
    reportEpochs(workerId: $workerId, runId: $runId, epochs: $epochs)
  }
`;

export const REPORT_EVALUATION = /* GraphQL */ `
  mutation ReportEvaluation($workerId: ID!, $runId: ID!, $input: EvaluationInput!) {
    reportEvaluation(workerId: $workerId, runId: $runId, input: $input)
  }
`;

export const COMPLETE_RUN = /* GraphQL */ `
  mutation CompleteRun($workerId: ID!, $runId: ID!, $input: CompleteRunInput!) {
    completeRun(workerId: $workerId, runId: $runId, input: $input) { id status }
  }
`;

export const FAIL_RUN = /* GraphQL */ `
  mutation FailRun($workerId: ID!, $runId: ID!, $error: String!, $step: String) {
    failRun(workerId: $workerId, runId: $runId, error: $error, step: $step) { id status }
  }
`;

export const FINISH_CANCELLED_RUN = /* GraphQL */ `
  mutation FinishCancelledRun($workerId: ID!, $runId: ID!) {
    finishCancelledRun(workerId: $workerId, runId: $runId) { id status }
  }
`;

export const RELEASE_RUN = /* GraphQL */ `
  mutation ReleaseRun($workerId: ID!, $runId: ID!) {
    releaseRun(workerId: $workerId, runId: $runId)
  }
`;

export const UNREGISTER_WORKER = /* GraphQL */ `
  mutation UnregisterWorker($workerId: ID!) {
    unregisterWorker(workerId: $workerId)
  }
`;

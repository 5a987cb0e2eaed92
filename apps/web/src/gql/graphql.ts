/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Backend =
  | 'CPU'
  | 'TENSORFLOW'
  | 'TENSORFLOW_GPU'
  | 'WASM'
  | 'WEBGPU';

export type BadRowPolicy =
  /** Reject the whole file and list every bad row (default). */
  | 'FAIL'
  /** Drop bad rows and report them in skippedRows. */
  | 'SKIP';

export type DatasetFileFormat =
  | 'CSV'
  | 'JSONL';

export type FreezeInput = {
  layers?: Array<string> | null | undefined;
  upToIndex?: number | null | undefined;
};

export type LaunchRunInput = {
  backends?: Array<Backend> | null | undefined;
  baseModelId?: string | number | null | undefined;
  config: RunConfigInput;
  datasetId: string | number;
  freeze?: FreezeInput | null | undefined;
  name?: string | null | undefined;
  projectId?: string | number | null | undefined;
  tags?: Array<string> | null | undefined;
};

export type MetricFilter = {
  gt?: number | null | undefined;
  gte?: number | null | undefined;
  key: string;
  lt?: number | null | undefined;
  lte?: number | null | undefined;
};

export type ModelKind =
  | 'BASE'
  | 'FINE_TUNED';

export type Optimizer =
  | 'ADAM'
  | 'MOMENTUM'
  | 'RMSPROP'
  | 'SGD';

export type RegisterDatasetInput = {
  /** Id from POST /artifacts (the uploaded file). Give this or content. */
  artifactId?: string | number | null | undefined;
  /** The file's text inline (small files only, e.g. from GraphiQL). Give this or artifactId. */
  content?: string | null | undefined;
  description?: string | null | undefined;
  format: DatasetFileFormat;
  /** Column (CSV) or key (JSONL) with the class label; default label. */
  labelColumn?: string | null | undefined;
  /** Re-registering an existing name creates version + 1. */
  name: string;
  onBadRow?: BadRowPolicy | null | undefined;
  task: TaskType;
  /** Column/key with the text of text datasets; default text. */
  textColumn?: string | null | undefined;
};

export type RunConfigInput = {
  batchSize: number;
  earlyStoppingPatience?: number | null | undefined;
  epochs: number;
  learningRate: number;
  optimizer?: Optimizer | null | undefined;
  seed?: number | null | undefined;
  validationSplit?: number | null | undefined;
};

export type RunFilter = {
  baseModelId?: string | number | null | undefined;
  createdAfter?: string | null | undefined;
  createdBefore?: string | null | undefined;
  datasetId?: string | number | null | undefined;
  learningRateGte?: number | null | undefined;
  learningRateLte?: number | null | undefined;
  metric?: Array<MetricFilter> | null | undefined;
  nameContains?: string | null | undefined;
  projectId?: string | number | null | undefined;
  status?: Array<RunStatus> | null | undefined;
  tagsAny?: Array<string> | null | undefined;
};

export type RunOrder = {
  direction: SortDirection;
  field: RunOrderField;
  metricKey?: string | null | undefined;
};

export type RunOrderField =
  | 'CREATED_AT'
  | 'METRIC'
  | 'NAME'
  | 'STATUS';

export type RunStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'PREPARING'
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED';

export type SortDirection =
  | 'ASC'
  | 'DESC';

export type TaskType =
  | 'IMAGE_CLASSIFICATION'
  | 'TABULAR_CLASSIFICATION'
  | 'TEXT_CLASSIFICATION';

export type RunRowFragment = { id: string, name: string, status: RunStatus, createdAt: string, startedAt: string | null, finishedAt: string | null, tags: Array<string>, backend: Backend | null, frozenLayers: Array<string>, dataset: { id: string, name: string, version: number }, baseModel: { id: string, name: string, version: number } | null, config: { learningRate: number, epochs: number }, summary: Array<{ key: string, last: number, min: number, max: number, lastStep: number }> };

export type RunsQueryVariables = Exact<{
  filter?: RunFilter | null | undefined;
  orderBy?: RunOrder | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type RunsQuery = { runs: { totalCount: number, pageInfo: { endCursor: string | null, hasNextPage: boolean }, edges: Array<{ cursor: string, node: { id: string, name: string, status: RunStatus, createdAt: string, startedAt: string | null, finishedAt: string | null, tags: Array<string>, backend: Backend | null, frozenLayers: Array<string>, dataset: { id: string, name: string, version: number }, baseModel: { id: string, name: string, version: number } | null, config: { learningRate: number, epochs: number }, summary: Array<{ key: string, last: number, min: number, max: number, lastStep: number }> } }> } };

export type RunFilterOptionsQueryVariables = Exact<{ [key: string]: never; }>;


export type RunFilterOptionsQuery = { datasets: Array<{ id: string, name: string, version: number, task: TaskType }>, models: Array<{ id: string, name: string, version: number }> };

export type RunUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type RunUpdatedSubscription = { runUpdated: { id: string, name: string, status: RunStatus, createdAt: string, startedAt: string | null, finishedAt: string | null, tags: Array<string>, backend: Backend | null, frozenLayers: Array<string>, dataset: { id: string, name: string, version: number }, baseModel: { id: string, name: string, version: number } | null, config: { learningRate: number, epochs: number }, summary: Array<{ key: string, last: number, min: number, max: number, lastStep: number }> } };

export type LaunchOptionsQueryVariables = Exact<{ [key: string]: never; }>;


export type LaunchOptionsQuery = { datasets: Array<{ id: string, name: string, version: number, task: TaskType, numExamples: number, classNames: Array<string>, source: string, createdAt: string }>, models: Array<{ id: string, name: string, version: number, kind: ModelKind, task: TaskType, classNames: Array<string>, createdAt: string, totalParams: number, inputShape: Array<number>, layers: Array<{ index: number, name: string, className: string, outputShape: Array<number | null> | null, params: number }> }>, workers: Array<{ id: string, name: string, backend: Backend, backends: Array<Backend>, device: string, alive: boolean, lastHeartbeatAt: string }> };

export type LaunchFromRunQueryVariables = Exact<{
  id: string | number;
}>;


export type LaunchFromRunQuery = { run: { id: string, name: string, tags: Array<string>, frozenLayers: Array<string>, requestedBackends: Array<Backend>, dataset: { id: string }, baseModel: { id: string } | null, config: { learningRate: number, epochs: number, batchSize: number, optimizer: Optimizer, validationSplit: number, seed: number, earlyStoppingPatience: number | null } } | null };

export type LaunchRunMutationVariables = Exact<{
  input: LaunchRunInput;
}>;


export type LaunchRunMutation = { launchRun: { id: string } };

export type RunDetailFragment = { id: string, name: string, status: RunStatus, error: string | null, attempt: number, tags: Array<string>, backend: Backend | null, device: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, frozenLayers: Array<string>, trainableParams: number, frozenParams: number, errorStep: string | null, cancelRequested: boolean, waitingReason: string | null, requestedBackends: Array<Backend>, lastEventSeq: number, worker: { id: string, name: string } | null, dataset: { id: string, name: string, version: number, task: TaskType, classNames: Array<string>, numExamples: number }, baseModel: { id: string, name: string, version: number, layers: Array<{ index: number, name: string, className: string, outputShape: Array<number | null> | null, params: number }> } | null, config: { learningRate: number, epochs: number, batchSize: number, optimizer: Optimizer, validationSplit: number, seed: number, earlyStoppingPatience: number | null }, metrics: Array<{ key: string, points: Array<{ step: number, value: number, min: number, max: number }> }>, summary: Array<{ key: string, last: number, min: number, max: number, lastStep: number }>, evaluation: { split: string, numExamples: number, loss: number, accuracy: number, macroF1: number, confusionMatrix: Array<Array<number>>, classNames: Array<string>, perClass: Array<{ className: string, precision: number, recall: number, f1: number, support: number }> } | null, outputModel: { id: string, name: string, version: number, classNames: Array<string>, artifact: { id: string, sha256: string, sizeBytes: number, downloadUrl: string } } | null };

export type RunQueryVariables = Exact<{
  id: string | number;
}>;


export type RunQuery = { run: { id: string, name: string, status: RunStatus, error: string | null, attempt: number, tags: Array<string>, backend: Backend | null, device: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, frozenLayers: Array<string>, trainableParams: number, frozenParams: number, errorStep: string | null, cancelRequested: boolean, waitingReason: string | null, requestedBackends: Array<Backend>, lastEventSeq: number, worker: { id: string, name: string } | null, dataset: { id: string, name: string, version: number, task: TaskType, classNames: Array<string>, numExamples: number }, baseModel: { id: string, name: string, version: number, layers: Array<{ index: number, name: string, className: string, outputShape: Array<number | null> | null, params: number }> } | null, config: { learningRate: number, epochs: number, batchSize: number, optimizer: Optimizer, validationSplit: number, seed: number, earlyStoppingPatience: number | null }, metrics: Array<{ key: string, points: Array<{ step: number, value: number, min: number, max: number }> }>, summary: Array<{ key: string, last: number, min: number, max: number, lastStep: number }>, evaluation: { split: string, numExamples: number, loss: number, accuracy: number, macroF1: number, confusionMatrix: Array<Array<number>>, classNames: Array<string>, perClass: Array<{ className: string, precision: number, recall: number, f1: number, support: number }> } | null, outputModel: { id: string, name: string, version: number, classNames: Array<string>, artifact: { id: string, sha256: string, sizeBytes: number, downloadUrl: string } } | null } | null };

export type RunEventsSubscriptionVariables = Exact<{
  runId: string | number;
  afterSeq: number;
}>;


export type RunEventsSubscription = { runEventBatches: { lastSeq: number, events: Array<
      | { __typename: 'EpochCompleted', runId: string, epoch: number, metrics: unknown, at: string, seq: number | null }
      | { __typename: 'LogLine', runId: string, level: string, message: string, at: string, seq: number | null }
      | { __typename: 'Progress', runId: string, phase: string, done: number, total: number | null, at: string, seq: number | null }
      | { __typename: 'StatusChanged', runId: string, status: RunStatus, error: string | null, at: string, seq: number | null }
    > } };

export type CancelRunMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelRunMutation = { cancelRun: { id: string, status: RunStatus } };

export type SetRunTagsMutationVariables = Exact<{
  id: string | number;
  tags: Array<string> | string;
}>;


export type SetRunTagsMutation = { setRunTags: { id: string, tags: Array<string> } };

export type CompareRunsQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
  maxPoints?: number | null | undefined;
}>;


export type CompareRunsQuery = { compareRuns: { differences: Array<{ key: string, values: Array<unknown> }>, runs: Array<{ id: string, name: string, status: RunStatus, frozenLayers: Array<string>, dataset: { id: string, name: string, version: number, classNames: Array<string> }, baseModel: { id: string, name: string, version: number } | null, config: { learningRate: number, epochs: number, batchSize: number, optimizer: Optimizer, validationSplit: number, seed: number, earlyStoppingPatience: number | null }, metrics: Array<{ key: string, columns: { steps: number[], values: number[], mins: number[], maxs: number[] } }>, summary: Array<{ key: string, last: number, min: number, max: number, lastStep: number }>, evaluation: { split: string, numExamples: number, loss: number, accuracy: number, macroF1: number, confusionMatrix: Array<Array<number>>, perClass: Array<{ className: string, precision: number, recall: number, f1: number, support: number }> } | null }> } };

export type ModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelsQuery = { models: Array<{ id: string, name: string, version: number, kind: ModelKind, task: TaskType, classNames: Array<string>, createdAt: string, totalParams: number, inputShape: Array<number>, description: string | null, parent: { id: string, name: string, version: number } | null, sourceRun: { id: string, name: string, status: RunStatus, dataset: { id: string, name: string, version: number } } | null, children: Array<{ id: string }>, artifact: { id: string, sha256: string, sizeBytes: number, downloadUrl: string } }> };

export type DatasetsQueryVariables = Exact<{ [key: string]: never; }>;


export type DatasetsQuery = { datasets: Array<{ id: string, name: string, version: number, task: TaskType, numExamples: number, classNames: Array<string>, classCounts: Array<number>, sha256: string, source: string, format: string, sizeBytes: number, description: string | null, createdAt: string }> };

export type RegisterDatasetMutationVariables = Exact<{
  input: RegisterDatasetInput;
}>;


export type RegisterDatasetMutation = { registerDataset: { created: boolean, skippedRows: Array<{ line: number, reason: string }>, dataset: { id: string, name: string, version: number, numExamples: number } } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const RunRowFragmentDoc = new TypedDocumentString(`
    fragment RunRow on Run {
  id
  name
  status
  createdAt
  startedAt
  finishedAt
  tags
  backend
  frozenLayers
  dataset {
    id
    name
    version
  }
  baseModel {
    id
    name
    version
  }
  config {
    learningRate
    epochs
  }
  summary {
    key
    last
    min
    max
    lastStep
  }
}
    `, {"fragmentName":"RunRow"}) as unknown as TypedDocumentString<RunRowFragment, unknown>;
export const RunDetailFragmentDoc = new TypedDocumentString(`
    fragment RunDetail on Run {
  id
  name
  status
  error
  attempt
  tags
  backend
  device
  createdAt
  startedAt
  finishedAt
  frozenLayers
  trainableParams
  frozenParams
  worker {
    id
    name
  }
  dataset {
    id
    name
    version
    task
    classNames
    numExamples
  }
  baseModel {
    id
    name
    version
    layers {
      index
      name
      className
      outputShape
      params
    }
  }
  config {
    learningRate
    epochs
    batchSize
    optimizer
    validationSplit
    seed
    earlyStoppingPatience
  }
  metrics(maxPoints: 2000) {
    key
    points {
      step
      value
      min
      max
    }
  }
  summary {
    key
    last
    min
    max
    lastStep
  }
  evaluation {
    split
    numExamples
    loss
    accuracy
    macroF1
    perClass {
      className
      precision
      recall
      f1
      support
    }
    confusionMatrix
    classNames
  }
  outputModel {
    id
    name
    version
    classNames
    artifact {
      id
      sha256
      sizeBytes
      downloadUrl
    }
  }
  errorStep
  cancelRequested
  waitingReason
  requestedBackends
  lastEventSeq
}
    `, {"fragmentName":"RunDetail"}) as unknown as TypedDocumentString<RunDetailFragment, unknown>;
export const RunsDocument = new TypedDocumentString(`
    query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {
  runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo {
      endCursor
      hasNextPage
    }
    edges {
      cursor
      node {
        ...RunRow
      }
    }
  }
}
    fragment RunRow on Run {
  id
  name
  status
  createdAt
  startedAt
  finishedAt
  tags
  backend
  frozenLayers
  dataset {
    id
    name
    version
  }
  baseModel {
    id
    name
    version
  }
  config {
    learningRate
    epochs
  }
  summary {
    key
    last
    min
    max
    lastStep
  }
}`) as unknown as TypedDocumentString<RunsQuery, RunsQueryVariables>;
export const RunFilterOptionsDocument = new TypedDocumentString(`
    query RunFilterOptions {
  datasets {
    id
    name
    version
    task
  }
  models(kind: BASE) {
    id
    name
    version
  }
}
    `) as unknown as TypedDocumentString<RunFilterOptionsQuery, RunFilterOptionsQueryVariables>;
export const RunUpdatedDocument = new TypedDocumentString(`
    subscription RunUpdated {
  runUpdated {
    ...RunRow
  }
}
    fragment RunRow on Run {
  id
  name
  status
  createdAt
  startedAt
  finishedAt
  tags
  backend
  frozenLayers
  dataset {
    id
    name
    version
  }
  baseModel {
    id
    name
    version
  }
  config {
    learningRate
    epochs
  }
  summary {
    key
    last
    min
    max
    lastStep
  }
}`) as unknown as TypedDocumentString<RunUpdatedSubscription, RunUpdatedSubscriptionVariables>;
export const LaunchOptionsDocument = new TypedDocumentString(`
    query LaunchOptions {
  datasets {
    id
    name
    version
    task
    numExamples
    classNames
    source
    createdAt
  }
  models {
    id
    name
    version
    kind
    task
    classNames
    createdAt
    totalParams
    inputShape
    layers {
      index
      name
      className
      outputShape
      params
    }
  }
  workers {
    id
    name
    backend
    backends
    device
    alive
    lastHeartbeatAt
  }
}
    `) as unknown as TypedDocumentString<LaunchOptionsQuery, LaunchOptionsQueryVariables>;
export const LaunchFromRunDocument = new TypedDocumentString(`
    query LaunchFromRun($id: ID!) {
  run(id: $id) {
    id
    name
    tags
    frozenLayers
    requestedBackends
    dataset {
      id
    }
    baseModel {
      id
    }
    config {
      learningRate
      epochs
      batchSize
      optimizer
      validationSplit
      seed
      earlyStoppingPatience
    }
  }
}
    `) as unknown as TypedDocumentString<LaunchFromRunQuery, LaunchFromRunQueryVariables>;
export const LaunchRunDocument = new TypedDocumentString(`
    mutation LaunchRun($input: LaunchRunInput!) {
  launchRun(input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<LaunchRunMutation, LaunchRunMutationVariables>;
export const RunDocument = new TypedDocumentString(`
    query Run($id: ID!) {
  run(id: $id) {
    ...RunDetail
  }
}
    fragment RunDetail on Run {
  id
  name
  status
  error
  attempt
  tags
  backend
  device
  createdAt
  startedAt
  finishedAt
  frozenLayers
  trainableParams
  frozenParams
  worker {
    id
    name
  }
  dataset {
    id
    name
    version
    task
    classNames
    numExamples
  }
  baseModel {
    id
    name
    version
    layers {
      index
      name
      className
      outputShape
      params
    }
  }
  config {
    learningRate
    epochs
    batchSize
    optimizer
    validationSplit
    seed
    earlyStoppingPatience
  }
  metrics(maxPoints: 2000) {
    key
    points {
      step
      value
      min
      max
    }
  }
  summary {
    key
    last
    min
    max
    lastStep
  }
  evaluation {
    split
    numExamples
    loss
    accuracy
    macroF1
    perClass {
      className
      precision
      recall
      f1
      support
    }
    confusionMatrix
    classNames
  }
  outputModel {
    id
    name
    version
    classNames
    artifact {
      id
      sha256
      sizeBytes
      downloadUrl
    }
  }
  errorStep
  cancelRequested
  waitingReason
  requestedBackends
  lastEventSeq
}`) as unknown as TypedDocumentString<RunQuery, RunQueryVariables>;
export const RunEventsDocument = new TypedDocumentString(`
    subscription RunEvents($runId: ID!, $afterSeq: Float!) {
  runEventBatches(runId: $runId, afterSeq: $afterSeq) {
    lastSeq
    events {
      __typename
      ... on StatusChanged {
        runId
        status
        error
        at
        seq
      }
      ... on EpochCompleted {
        runId
        epoch
        metrics
        at
        seq
      }
      ... on Progress {
        runId
        phase
        done
        total
        at
        seq
      }
      ... on LogLine {
        runId
        level
        message
        at
        seq
      }
    }
  }
}
    `) as unknown as TypedDocumentString<RunEventsSubscription, RunEventsSubscriptionVariables>;
export const CancelRunDocument = new TypedDocumentString(`
    mutation CancelRun($id: ID!) {
  cancelRun(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<CancelRunMutation, CancelRunMutationVariables>;
export const SetRunTagsDocument = new TypedDocumentString(`
    mutation SetRunTags($id: ID!, $tags: [String!]!) {
  setRunTags(id: $id, tags: $tags) {
    id
    tags
  }
}
    `) as unknown as TypedDocumentString<SetRunTagsMutation, SetRunTagsMutationVariables>;
export const CompareRunsDocument = new TypedDocumentString(`
    query CompareRuns($ids: [ID!]!, $maxPoints: Int) {
  compareRuns(ids: $ids) {
    differences {
      key
      values
    }
    runs {
      id
      name
      status
      dataset {
        id
        name
        version
        classNames
      }
      baseModel {
        id
        name
        version
      }
      config {
        learningRate
        epochs
        batchSize
        optimizer
        validationSplit
        seed
        earlyStoppingPatience
      }
      frozenLayers
      metrics(maxPoints: $maxPoints) {
        key
        columns {
          steps
          values
          mins
          maxs
        }
      }
      summary {
        key
        last
        min
        max
        lastStep
      }
      evaluation {
        split
        numExamples
        loss
        accuracy
        macroF1
        perClass {
          className
          precision
          recall
          f1
          support
        }
        confusionMatrix
      }
    }
  }
}
    `) as unknown as TypedDocumentString<CompareRunsQuery, CompareRunsQueryVariables>;
export const ModelsDocument = new TypedDocumentString(`
    query Models {
  models {
    id
    name
    version
    kind
    task
    classNames
    createdAt
    totalParams
    inputShape
    description
    parent {
      id
      name
      version
    }
    sourceRun {
      id
      name
      status
      dataset {
        id
        name
        version
      }
    }
    children {
      id
    }
    artifact {
      id
      sha256
      sizeBytes
      downloadUrl
    }
  }
}
    `) as unknown as TypedDocumentString<ModelsQuery, ModelsQueryVariables>;
export const DatasetsDocument = new TypedDocumentString(`
    query Datasets {
  datasets {
    id
    name
    version
    task
    numExamples
    classNames
    classCounts
    sha256
    source
    format
    sizeBytes
    description
    createdAt
  }
}
    `) as unknown as TypedDocumentString<DatasetsQuery, DatasetsQueryVariables>;
export const RegisterDatasetDocument = new TypedDocumentString(`
    mutation RegisterDataset($input: RegisterDatasetInput!) {
  registerDataset(input: $input) {
    created
    skippedRows {
      line
      reason
    }
    dataset {
      id
      name
      version
      numExamples
    }
  }
}
    `) as unknown as TypedDocumentString<RegisterDatasetMutation, RegisterDatasetMutationVariables>;
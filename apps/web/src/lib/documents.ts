// Every GraphQL operation the dashboard sends; types are generated into src/gql by `pnpm codegen`.
import { graphql } from "@/gql";

export const RunRowFields = graphql(`
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
    dataset { id name version }
    baseModel { id name version }
    config { learningRate epochs }
    summary { key last min max lastStep }
  }
`);

export const RunsQuery = graphql(`
  query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {
    runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { endCursor hasNextPage }
      edges { cursor node { ...RunRow } }
    }
  }
`);

export const RunFilterOptionsQuery = graphql(`
  query RunFilterOptions {
    datasets { id name version task }
    models(kind: BASE) { id name version }
  }
`);

export const RunUpdatedSubscription = graphql(`
  subscription RunUpdated {
    runUpdated { ...RunRow }
  }
`);

export const LaunchOptionsQuery = graphql(`
  query LaunchOptions {
    datasets { id name version task numExamples classNames source createdAt }
    models { id name version kind task classNames createdAt totalParams inputShape layers { index name className outputShape params } }
    workers { id name backend backends device alive lastHeartbeatAt }
  }
`);

export const LaunchFromRunQuery = graphql(`
  query LaunchFromRun($id: ID!) {
    run(id: $id) {
      id
      name
      tags
      frozenLayers
      requestedBackends
      dataset { id }
      baseModel { id }
      config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }
    }
  }
`);

export const LaunchRunMutation = graphql(`
  mutation LaunchRun($input: LaunchRunInput!) {
    launchRun(input: $input) { id }
  }
`);

export const RunDetailFields = graphql(`
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
    worker { id name }
    dataset { id name version task classNames numExamples }
    baseModel { id name version layers { index name className outputShape params } }
    config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }
    metrics(maxPoints: 2000) { key points { step value min max } }
    summary { key last min max lastStep }
    evaluation {
      split
      numExamples
      loss
      accuracy
      macroF1
      perClass { className precision recall f1 support }
      confusionMatrix
      classNames
    }
    outputModel { id name version classNames artifact { id sha256 sizeBytes downloadUrl } }
    errorStep
    cancelRequested
    waitingReason
    requestedBackends
    lastEventSeq
  }
`);

export const RunQuery = graphql(`
  query Run($id: ID!) {
    run(id: $id) { ...RunDetail }
  }
`);

// Several events to a message (one per worker report): a fast run's page gets one message and one render per report,
// not one per epoch.
export const RunEventsSubscription = graphql(`
  subscription RunEvents($runId: ID!, $afterSeq: Float!) {
    runEventBatches(runId: $runId, afterSeq: $afterSeq) {
      lastSeq
      events {
        __typename
        ... on StatusChanged { runId status error at seq }
        ... on EpochCompleted { runId epoch metrics at seq }
        ... on Progress { runId phase done total at seq }
        ... on LogLine { runId level message at seq }
      }
    }
  }
`);

export const CancelRunMutation = graphql(`
  mutation CancelRun($id: ID!) {
    cancelRun(id: $id) { id status }
  }
`);

export const SetRunTagsMutation = graphql(`
  mutation SetRunTags($id: ID!, $tags: [String!]!) {
    setRunTags(id: $id, tags: $tags) { id tags }
  }
`);

export const CompareRunsQuery = graphql(`
  query CompareRuns($ids: [ID!]!, $maxPoints: Int) {
    compareRuns(ids: $ids) {
      differences { key values }
      runs {
        id
        name
        status
        dataset { id name version classNames }
        baseModel { id name version }
        config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }
        frozenLayers
        metrics(maxPoints: $maxPoints) { key columns { steps values mins maxs } }
        summary { key last min max lastStep }
        evaluation {
          split
          numExamples
          loss
          accuracy
          macroF1
          perClass { className precision recall f1 support }
          confusionMatrix
        }
      }
    }
  }
`);

export const ModelsQuery = graphql(`
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
      parent { id name version }
      sourceRun { id name status dataset { id name version } }
      children { id }
      artifact { id sha256 sizeBytes downloadUrl }
    }
  }
`);

export const DatasetsQuery = graphql(`
  query Datasets {
    datasets { id name version task numExamples classNames classCounts sha256 source format sizeBytes description createdAt }
  }
`);

export const RegisterDatasetMutation = graphql(`
  mutation RegisterDataset($input: RegisterDatasetInput!) {
    registerDataset(input: $input) {
      created
      skippedRows { line reason }
      dataset { id name version numExamples }
    }
  }
`);

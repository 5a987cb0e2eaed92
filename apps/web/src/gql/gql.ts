/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment RunRow on Run {\n    id\n    name\n    status\n    createdAt\n    startedAt\n    finishedAt\n    tags\n    backend\n    frozenLayers\n    dataset { id name version }\n    baseModel { id name version }\n    config { learningRate epochs }\n    summary { key last min max lastStep }\n  }\n": typeof types.RunRowFragmentDoc,
    "\n  query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {\n    runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {\n      totalCount\n      pageInfo { endCursor hasNextPage }\n      edges { cursor node { ...RunRow } }\n    }\n  }\n": typeof types.RunsDocument,
    "\n  query RunFilterOptions {\n    datasets { id name version task }\n    models(kind: BASE) { id name version }\n  }\n": typeof types.RunFilterOptionsDocument,
    "\n  subscription RunUpdated {\n    runUpdated { ...RunRow }\n  }\n": typeof types.RunUpdatedDocument,
    "\n  query LaunchOptions {\n    datasets { id name version task numExamples classNames source createdAt }\n    models { id name version kind task classNames createdAt totalParams inputShape layers { index name className outputShape params } }\n    workers { id name backend backends device alive lastHeartbeatAt }\n  }\n": typeof types.LaunchOptionsDocument,
    "\n  query LaunchFromRun($id: ID!) {\n    run(id: $id) {\n      id\n      name\n      tags\n      frozenLayers\n      requestedBackends\n      dataset { id }\n      baseModel { id }\n      config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n    }\n  }\n": typeof types.LaunchFromRunDocument,
    "\n  mutation LaunchRun($input: LaunchRunInput!) {\n    launchRun(input: $input) { id }\n  }\n": typeof types.LaunchRunDocument,
    "\n  fragment RunDetail on Run {\n    id\n    name\n    status\n    error\n    attempt\n    tags\n    backend\n    device\n    createdAt\n    startedAt\n    finishedAt\n    frozenLayers\n    trainableParams\n    frozenParams\n    worker { id name }\n    dataset { id name version task classNames numExamples }\n    baseModel { id name version layers { index name className outputShape params } }\n    config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n    metrics(maxPoints: 2000) { key points { step value min max } }\n    summary { key last min max lastStep }\n    evaluation {\n      split\n      numExamples\n      loss\n      accuracy\n      macroF1\n      perClass { className precision recall f1 support }\n      confusionMatrix\n      classNames\n    }\n    outputModel { id name version classNames artifact { id sha256 sizeBytes downloadUrl } }\n    errorStep\n    cancelRequested\n    waitingReason\n    requestedBackends\n    lastEventSeq\n  }\n": typeof types.RunDetailFragmentDoc,
    "\n  query Run($id: ID!) {\n    run(id: $id) { ...RunDetail }\n  }\n": typeof types.RunDocument,
    "\n  subscription RunEvents($runId: ID!, $afterSeq: Float!) {\n    runEventBatches(runId: $runId, afterSeq: $afterSeq) {\n      lastSeq\n      events {\n        __typename\n        ... on StatusChanged { runId status error at seq }\n        ... on EpochCompleted { runId epoch metrics at seq }\n        ... on Progress { runId phase done total at seq }\n        ... on LogLine { runId level message at seq }\n      }\n    }\n  }\n": typeof types.RunEventsDocument,
    "\n  mutation CancelRun($id: ID!) {\n    cancelRun(id: $id) { id status }\n  }\n": typeof types.CancelRunDocument,
    "\n  mutation SetRunTags($id: ID!, $tags: [String!]!) {\n    setRunTags(id: $id, tags: $tags) { id tags }\n  }\n": typeof types.SetRunTagsDocument,
    "\n  query CompareRuns($ids: [ID!]!, $maxPoints: Int) {\n    compareRuns(ids: $ids) {\n      differences { key values }\n      runs {\n        id\n        name\n        status\n        dataset { id name version classNames }\n        baseModel { id name version }\n        config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n        frozenLayers\n        metrics(maxPoints: $maxPoints) { key columns { steps values mins maxs } }\n        summary { key last min max lastStep }\n        evaluation {\n          split\n          numExamples\n          loss\n          accuracy\n          macroF1\n          perClass { className precision recall f1 support }\n          confusionMatrix\n        }\n      }\n    }\n  }\n": typeof types.CompareRunsDocument,
    "\n  query Models {\n    models {\n      id\n      name\n      version\n      kind\n      task\n      classNames\n      createdAt\n      totalParams\n      inputShape\n      description\n      parent { id name version }\n      sourceRun { id name status dataset { id name version } }\n      children { id }\n      artifact { id sha256 sizeBytes downloadUrl }\n    }\n  }\n": typeof types.ModelsDocument,
    "\n  query Datasets {\n    datasets { id name version task numExamples classNames classCounts sha256 source format sizeBytes description createdAt }\n  }\n": typeof types.DatasetsDocument,
    "\n  mutation RegisterDataset($input: RegisterDatasetInput!) {\n    registerDataset(input: $input) {\n      created\n      skippedRows { line reason }\n      dataset { id name version numExamples }\n    }\n  }\n": typeof types.RegisterDatasetDocument,
};
const documents: Documents = {
    "\n  fragment RunRow on Run {\n    id\n    name\n    status\n    createdAt\n    startedAt\n    finishedAt\n    tags\n    backend\n    frozenLayers\n    dataset { id name version }\n    baseModel { id name version }\n    config { learningRate epochs }\n    summary { key last min max lastStep }\n  }\n": types.RunRowFragmentDoc,
    "\n  query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {\n    runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {\n      totalCount\n      pageInfo { endCursor hasNextPage }\n      edges { cursor node { ...RunRow } }\n    }\n  }\n": types.RunsDocument,
    "\n  query RunFilterOptions {\n    datasets { id name version task }\n    models(kind: BASE) { id name version }\n  }\n": types.RunFilterOptionsDocument,
    "\n  subscription RunUpdated {\n    runUpdated { ...RunRow }\n  }\n": types.RunUpdatedDocument,
    "\n  query LaunchOptions {\n    datasets { id name version task numExamples classNames source createdAt }\n    models { id name version kind task classNames createdAt totalParams inputShape layers { index name className outputShape params } }\n    workers { id name backend backends device alive lastHeartbeatAt }\n  }\n": types.LaunchOptionsDocument,
    "\n  query LaunchFromRun($id: ID!) {\n    run(id: $id) {\n      id\n      name\n      tags\n      frozenLayers\n      requestedBackends\n      dataset { id }\n      baseModel { id }\n      config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n    }\n  }\n": types.LaunchFromRunDocument,
    "\n  mutation LaunchRun($input: LaunchRunInput!) {\n    launchRun(input: $input) { id }\n  }\n": types.LaunchRunDocument,
    "\n  fragment RunDetail on Run {\n    id\n    name\n    status\n    error\n    attempt\n    tags\n    backend\n    device\n    createdAt\n    startedAt\n    finishedAt\n    frozenLayers\n    trainableParams\n    frozenParams\n    worker { id name }\n    dataset { id name version task classNames numExamples }\n    baseModel { id name version layers { index name className outputShape params } }\n    config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n    metrics(maxPoints: 2000) { key points { step value min max } }\n    summary { key last min max lastStep }\n    evaluation {\n      split\n      numExamples\n      loss\n      accuracy\n      macroF1\n      perClass { className precision recall f1 support }\n      confusionMatrix\n      classNames\n    }\n    outputModel { id name version classNames artifact { id sha256 sizeBytes downloadUrl } }\n    errorStep\n    cancelRequested\n    waitingReason\n    requestedBackends\n    lastEventSeq\n  }\n": types.RunDetailFragmentDoc,
    "\n  query Run($id: ID!) {\n    run(id: $id) { ...RunDetail }\n  }\n": types.RunDocument,
    "\n  subscription RunEvents($runId: ID!, $afterSeq: Float!) {\n    runEventBatches(runId: $runId, afterSeq: $afterSeq) {\n      lastSeq\n      events {\n        __typename\n        ... on StatusChanged { runId status error at seq }\n        ... on EpochCompleted { runId epoch metrics at seq }\n        ... on Progress { runId phase done total at seq }\n        ... on LogLine { runId level message at seq }\n      }\n    }\n  }\n": types.RunEventsDocument,
    "\n  mutation CancelRun($id: ID!) {\n    cancelRun(id: $id) { id status }\n  }\n": types.CancelRunDocument,
    "\n  mutation SetRunTags($id: ID!, $tags: [String!]!) {\n    setRunTags(id: $id, tags: $tags) { id tags }\n  }\n": types.SetRunTagsDocument,
    "\n  query CompareRuns($ids: [ID!]!, $maxPoints: Int) {\n    compareRuns(ids: $ids) {\n      differences { key values }\n      runs {\n        id\n        name\n        status\n        dataset { id name version classNames }\n        baseModel { id name version }\n        config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n        frozenLayers\n        metrics(maxPoints: $maxPoints) { key columns { steps values mins maxs } }\n        summary { key last min max lastStep }\n        evaluation {\n          split\n          numExamples\n          loss\n          accuracy\n          macroF1\n          perClass { className precision recall f1 support }\n          confusionMatrix\n        }\n      }\n    }\n  }\n": types.CompareRunsDocument,
    "\n  query Models {\n    models {\n      id\n      name\n      version\n      kind\n      task\n      classNames\n      createdAt\n      totalParams\n      inputShape\n      description\n      parent { id name version }\n      sourceRun { id name status dataset { id name version } }\n      children { id }\n      artifact { id sha256 sizeBytes downloadUrl }\n    }\n  }\n": types.ModelsDocument,
    "\n  query Datasets {\n    datasets { id name version task numExamples classNames classCounts sha256 source format sizeBytes description createdAt }\n  }\n": types.DatasetsDocument,
    "\n  mutation RegisterDataset($input: RegisterDatasetInput!) {\n    registerDataset(input: $input) {\n      created\n      skippedRows { line reason }\n      dataset { id name version numExamples }\n    }\n  }\n": types.RegisterDatasetDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RunRow on Run {\n    id\n    name\n    status\n    createdAt\n    startedAt\n    finishedAt\n    tags\n    backend\n    frozenLayers\n    dataset { id name version }\n    baseModel { id name version }\n    config { learningRate epochs }\n    summary { key last min max lastStep }\n  }\n"): typeof import('./graphql').RunRowFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {\n    runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {\n      totalCount\n      pageInfo { endCursor hasNextPage }\n      edges { cursor node { ...RunRow } }\n    }\n  }\n"): typeof import('./graphql').RunsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RunFilterOptions {\n    datasets { id name version task }\n    models(kind: BASE) { id name version }\n  }\n"): typeof import('./graphql').RunFilterOptionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RunUpdated {\n    runUpdated { ...RunRow }\n  }\n"): typeof import('./graphql').RunUpdatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LaunchOptions {\n    datasets { id name version task numExamples classNames source createdAt }\n    models { id name version kind task classNames createdAt totalParams inputShape layers { index name className outputShape params } }\n    workers { id name backend backends device alive lastHeartbeatAt }\n  }\n"): typeof import('./graphql').LaunchOptionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LaunchFromRun($id: ID!) {\n    run(id: $id) {\n      id\n      name\n      tags\n      frozenLayers\n      requestedBackends\n      dataset { id }\n      baseModel { id }\n      config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n    }\n  }\n"): typeof import('./graphql').LaunchFromRunDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LaunchRun($input: LaunchRunInput!) {\n    launchRun(input: $input) { id }\n  }\n"): typeof import('./graphql').LaunchRunDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RunDetail on Run {\n    id\n    name\n    status\n    error\n    attempt\n    tags\n    backend\n    device\n    createdAt\n    startedAt\n    finishedAt\n    frozenLayers\n    trainableParams\n    frozenParams\n    worker { id name }\n    dataset { id name version task classNames numExamples }\n    baseModel { id name version layers { index name className outputShape params } }\n    config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n    metrics(maxPoints: 2000) { key points { step value min max } }\n    summary { key last min max lastStep }\n    evaluation {\n      split\n      numExamples\n      loss\n      accuracy\n      macroF1\n      perClass { className precision recall f1 support }\n      confusionMatrix\n      classNames\n    }\n    outputModel { id name version classNames artifact { id sha256 sizeBytes downloadUrl } }\n    errorStep\n    cancelRequested\n    waitingReason\n    requestedBackends\n    lastEventSeq\n  }\n"): typeof import('./graphql').RunDetailFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Run($id: ID!) {\n    run(id: $id) { ...RunDetail }\n  }\n"): typeof import('./graphql').RunDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RunEvents($runId: ID!, $afterSeq: Float!) {\n    runEventBatches(runId: $runId, afterSeq: $afterSeq) {\n      lastSeq\n      events {\n        __typename\n        ... on StatusChanged { runId status error at seq }\n        ... on EpochCompleted { runId epoch metrics at seq }\n        ... on Progress { runId phase done total at seq }\n        ... on LogLine { runId level message at seq }\n      }\n    }\n  }\n"): typeof import('./graphql').RunEventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelRun($id: ID!) {\n    cancelRun(id: $id) { id status }\n  }\n"): typeof import('./graphql').CancelRunDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetRunTags($id: ID!, $tags: [String!]!) {\n    setRunTags(id: $id, tags: $tags) { id tags }\n  }\n"): typeof import('./graphql').SetRunTagsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CompareRuns($ids: [ID!]!, $maxPoints: Int) {\n    compareRuns(ids: $ids) {\n      differences { key values }\n      runs {\n        id\n        name\n        status\n        dataset { id name version classNames }\n        baseModel { id name version }\n        config { learningRate epochs batchSize optimizer validationSplit seed earlyStoppingPatience }\n        frozenLayers\n        metrics(maxPoints: $maxPoints) { key columns { steps values mins maxs } }\n        summary { key last min max lastStep }\n        evaluation {\n          split\n          numExamples\n          loss\n          accuracy\n          macroF1\n          perClass { className precision recall f1 support }\n          confusionMatrix\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').CompareRunsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Models {\n    models {\n      id\n      name\n      version\n      kind\n      task\n      classNames\n      createdAt\n      totalParams\n      inputShape\n      description\n      parent { id name version }\n      sourceRun { id name status dataset { id name version } }\n      children { id }\n      artifact { id sha256 sizeBytes downloadUrl }\n    }\n  }\n"): typeof import('./graphql').ModelsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Datasets {\n    datasets { id name version task numExamples classNames classCounts sha256 source format sizeBytes description createdAt }\n  }\n"): typeof import('./graphql').DatasetsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegisterDataset($input: RegisterDatasetInput!) {\n    registerDataset(input: $input) {\n      created\n      skippedRows { line reason }\n      dataset { id name version numExamples }\n    }\n  }\n"): typeof import('./graphql').RegisterDatasetDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

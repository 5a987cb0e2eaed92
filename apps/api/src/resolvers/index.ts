import type { RunRow } from "@tunelab/db";
import type { Context } from "../context";
import { cancelRun } from "../domain/cancel-run";
import { claimRun } from "../domain/claim-run";
import { compareRuns } from "../domain/compare-runs";
import { completeRun } from "../domain/complete-run";
import { createProject, listDatasets, listModels, listProjects, listWorkers, waitingReason } from "../domain/list-entities";
import { findRuns } from "../domain/find-runs";
import { heartbeat } from "../domain/heartbeat";
import { importModel } from "../domain/import-model";
import { launchRun } from "../domain/launch-run";
import { registerDataset } from "../domain/register-dataset";
import { registerWorker, unregisterWorker } from "../domain/register-worker";
import {
  failRun,
  finishCancelledRun,
  releaseRun,
  reportEpochs,
  reportEvaluation,
  reportLogs,
  reportProgress,
  startRun,
} from "../domain/report-run";
import type { RunEventBatchModel, RunEventModel } from "../domain/run-event-types";
import { setRunTags } from "../domain/set-run-tags";
import { listRunEvents, streamRunEventBatches, streamRunEvents, streamRunUpdates } from "../domain/stream-run-events";
import { getRun } from "../domain/get-entities";
import { badInput, unauthenticated } from "../errors";
import type { Resolvers } from "../generated/resolvers-types";
import { metricPoints } from "../domain/get-run-metrics";
import { plainPointFields, pointsJson, responsePath } from "../domain/metric-points-json";
import { DateTime, JSONScalar, NumberList } from "./scalars";

const artifactUrl = (ctx: Context, id: string) => `${ctx.baseUrl}/artifacts/${id}`;

function requireWorkerAuth(ctx: Context) {
  if (!ctx.workerTokenId) throw unauthenticated(ctx);
}

function preferredEvaluation<T extends { split: string }>(list: T[]): T | null {
  return list.find((e) => e.split === "test") ?? list.find((e) => e.split === "validation") ?? list[list.length - 1] ?? null;
}

const eventField = (e: RunEventModel, key: string) => e.payload[key] as never;

/** Thin resolvers: argument plumbing and field mapping only; the work happens in src/domain/<verb>-<noun>.ts. */
export const resolvers: Resolvers = {
  DateTime,
  JSON: JSONScalar,
  NumberList,

  Query: {
    projects: (_p, _a, ctx) => listProjects(ctx),
    project: (_p, { id }, ctx) => ctx.loaders.project.load(id),
    datasets: (_p, { task }, ctx) => listDatasets(ctx, task ?? null),
    dataset: (_p, { id }, ctx) => ctx.loaders.dataset.load(id),
    models: (_p, { kind, task }, ctx) => listModels(ctx, kind ?? null, task ?? null),
    model: (_p, { id }, ctx) => ctx.loaders.model.load(id),
    workers: (_p, _a, ctx) => listWorkers(ctx),
    worker: (_p, { id }, ctx) => ctx.loaders.worker.load(id),
    run: (_p, { id }, ctx) => ctx.loaders.run.load(id),
    runs: (_p, args, ctx) => findRuns(ctx, args),
    compareRuns: (_p, { ids }, ctx) => compareRuns(ctx, ids),
    runEventLog: (_p, { runId, afterSeq, first }, ctx) => listRunEvents(ctx, runId, afterSeq ?? 0, first ?? 500),
  },

  Mutation: {
    launchRun: (_p, { input }, ctx) => launchRun(ctx, input),
    cancelRun: (_p, { id }, ctx) => cancelRun(ctx, id),
    setRunTags: (_p, { id, tags }, ctx) => setRunTags(ctx, id, tags),
    createProject: (_p, { name }, ctx) => createProject(ctx, name),
    registerDataset: (_p, { input }, ctx) => registerDataset(ctx, input),
    importModel: (_p, { input }, ctx) => importModel(ctx, input),

    registerWorker: (_p, { input }, ctx) => registerWorker(ctx, input),
    claimRun: (_p, { workerId }, ctx) => (requireWorkerAuth(ctx), claimRun(ctx, workerId)),
    heartbeat: (_p, { workerId, runId }, ctx) => (requireWorkerAuth(ctx), heartbeat(ctx, workerId, runId)),
    startRun: (_p, { workerId, runId, input }, ctx) => (requireWorkerAuth(ctx), startRun(ctx, workerId, runId, input)),
    reportProgress: (_p, { workerId, runId, input }, ctx) => (requireWorkerAuth(ctx), reportProgress(ctx, workerId, runId, input)),
    reportLogs: (_p, { workerId, runId, lines }, ctx) => (requireWorkerAuth(ctx), reportLogs(ctx, workerId, runId, lines)),
    reportEpochs: (_p, { workerId, runId, epochs }, ctx) => (requireWorkerAuth(ctx), reportEpochs(ctx, workerId, runId, epochs)),
    reportEvaluation: (_p, { workerId, runId, input }, ctx) => (requireWorkerAuth(ctx), reportEvaluation(ctx, workerId, runId, input)),
    completeRun: (_p, { workerId, runId, input }, ctx) => (requireWorkerAuth(ctx), completeRun(ctx, workerId, runId, input)),
    failRun: (_p, { workerId, runId, error, step }, ctx) => (requireWorkerAuth(ctx), failRun(ctx, workerId, runId, error, step)),
    finishCancelledRun: (_p, { workerId, runId }, ctx) => (requireWorkerAuth(ctx), finishCancelledRun(ctx, workerId, runId)),
    releaseRun: (_p, { workerId, runId }, ctx) => (requireWorkerAuth(ctx), releaseRun(ctx, workerId, runId)),
    unregisterWorker: (_p, { workerId }, ctx) => (requireWorkerAuth(ctx), unregisterWorker(ctx, workerId)),
  },

  Subscription: {
    runEvents: {
      subscribe: (_p, { runId }, ctx) => streamRunEvents(ctx, runId),
      resolve: (e: RunEventModel) => e,
    },
    runEventsAfter: {
      subscribe: (_p, { runId, afterSeq }, ctx) => {
        if (!Number.isInteger(afterSeq) || afterSeq < 0) throw badInput("afterSeq must be an integer >= 0.");
        return streamRunEvents(ctx, runId, afterSeq);
      },
      resolve: (e: RunEventModel) => e,
    },
    runEventBatches: {
      subscribe: (_p, { runId, afterSeq }, ctx) => {
        if (afterSeq != null && (!Number.isInteger(afterSeq) || afterSeq < 0)) throw badInput("afterSeq must be an integer >= 0, or omitted.");
        return streamRunEventBatches(ctx, runId, afterSeq ?? undefined);
      },
      resolve: (b: RunEventBatchModel) => b,
    },
    runUpdated: {
      subscribe: (_p, { projectId }, ctx) => streamRunUpdates(ctx, projectId),
      resolve: (r: RunRow) => r,
    },
  },

  RunEvent: {
    __resolveType: (e) => {
      switch (e.type) {
        case "STATUS":
          return "StatusChanged";
        case "EPOCH":
          return "EpochCompleted";
        case "PROGRESS":
          return "Progress";
        case "LOG":
          return "LogLine";
      }
    },
  },
  StatusChanged: {
    status: (e) => eventField(e, "status"),
    error: (e) => (e.payload.error as string | null) ?? null,
  },
  EpochCompleted: {
    epoch: (e) => eventField(e, "epoch"),
    metrics: (e) => e.payload.metrics,
  },
  Progress: {
    phase: (e) => eventField(e, "phase"),
    done: (e) => eventField(e, "done"),
    total: (e) => (e.payload.total as number | null) ?? null,
  },
  LogLine: {
    level: (e) => eventField(e, "level"),
    message: (e) => eventField(e, "message"),
  },

  Project: {
    runCount: (p, _a, ctx) => ctx.loaders.projectRunCount.load(p.id),
  },
  Artifact: {
    downloadUrl: (a, _a, ctx) => artifactUrl(ctx, a.id),
  },
  Dataset: {
    classCounts: (d) => d.classCounts,
    artifact: (d, _a, ctx) => (d.artifactId ? ctx.loaders.artifact.load(d.artifactId) : null),
  },
  DatasetSource: {
    dataset: (d) => d,
    artifact: (d, _a, ctx) => (d.artifactId ? ctx.loaders.artifact.load(d.artifactId) : null),
    options: (d) => d.options,
  },
  Model: {
    parent: (m, _a, ctx) => (m.parentId ? ctx.loaders.model.load(m.parentId) : null),
    sourceRun: (m, _a, ctx) => (m.sourceRunId ? ctx.loaders.run.load(m.sourceRunId) : null),
    artifact: async (m, _a, ctx) => (await ctx.loaders.artifact.load(m.artifactId))!,
    children: (m, _a, ctx) => ctx.loaders.childModels.load(m.id),
  },
  Run: {
    project: async (r, _a, ctx) => (await ctx.loaders.project.load(r.projectId))!,
    dataset: async (r, _a, ctx) => (await ctx.loaders.dataset.load(r.datasetId))!,
    baseModel: (r, _a, ctx) => (r.baseModelId ? ctx.loaders.model.load(r.baseModelId) : null),
    outputModel: (r, _a, ctx) => (r.outputModelId ? ctx.loaders.model.load(r.outputModelId) : null),
    worker: (r, _a, ctx) => (r.workerId ? ctx.loaders.worker.load(r.workerId) : null),
    config: (r) => r,
    metrics: (r, { keys, maxPoints }, ctx) => {
      if (maxPoints != null && (maxPoints < 0 || maxPoints > 100_000)) throw badInput("maxPoints must be from 0 to 100000.");
      return ctx.loaders.metrics.load(JSON.stringify([r.id, keys ?? null, maxPoints && maxPoints > 0 ? maxPoints : null]));
    },
    summary: async (r, _a, ctx) => ctx.loaders.summaries.load(r.id),
    evaluation: async (r, _a, ctx) => preferredEvaluation(await ctx.loaders.evaluations.load(r.id)),
    evaluations: (r, _a, ctx) => ctx.loaders.evaluations.load(r.id),
    cancelRequested: (r) => r.cancelRequestedAt != null,
    waitingReason: (r, _a, ctx) => (r.status === "QUEUED" ? waitingReason(ctx, r) : null),
  },
  RunConfig: {
    optimizer: (r) => r.optimizer,
  },
  RunConnection: {
    totalCount: (c) => c.totalCount(),
  },
  Evaluation: {
    perClass: (e) => e.perClass,
    confusionMatrix: (e) => e.confusionMatrix,
  },
  Worker: {
    currentRun: (w, _a, ctx) => (w.currentRunId ? ctx.loaders.run.load(w.currentRunId) : null),
    alive: (w, _a, ctx) => w.stoppedAt == null && Date.now() - w.lastHeartbeatAt.getTime() < ctx.env.heartbeatSeconds * 2000 + 5000,
  },
  ClaimedRun: {
    dataset: (c) => c.dataset,
  },
  MetricSeries: {
    points: (s, _a, ctx, info) => {
      // A plain selection over HTTP: the points as JSON text, put in place after execution (metric-points-json.ts).
      const fields = ctx.splices ? plainPointFields(info) : null;
      const text = fields && pointsJson(s.columns, fields);
      if (!text) return metricPoints(s.columns);
      ctx.splices!.push({ path: responsePath(info.path), value: text });
      return [];
    },
    columns: (s) => s.columns,
  },
};

export { getRun };

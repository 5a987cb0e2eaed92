import { relations } from "drizzle-orm";
import { artifacts } from "./artifacts";
import { datasets } from "./datasets";
import { evaluations } from "./evaluations";
import { runEvents } from "./events";
import { metricPoints, metricSummaries } from "./metrics";
import { models } from "./models";
import { projects } from "./projects";
import { runs } from "./runs";
import { workers } from "./workers";

export const projectsRelations = relations(projects, ({ many }) => ({ runs: many(runs) }));

export const datasetsRelations = relations(datasets, ({ one, many }) => ({
  artifact: one(artifacts, { fields: [datasets.artifactId], references: [artifacts.id] }),
  runs: many(runs),
}));

export const modelsRelations = relations(models, ({ one }) => ({
  artifact: one(artifacts, { fields: [models.artifactId], references: [artifacts.id] }),
  parent: one(models, { fields: [models.parentId], references: [models.id], relationName: "lineage" }),
  sourceRun: one(runs, { fields: [models.sourceRunId], references: [runs.id], relationName: "producedBy" }),
}));

export const runsRelations = relations(runs, ({ one, many }) => ({
  project: one(projects, { fields: [runs.projectId], references: [projects.id] }),
  dataset: one(datasets, { fields: [runs.datasetId], references: [datasets.id] }),
  baseModel: one(models, { fields: [runs.baseModelId], references: [models.id], relationName: "baseModel" }),
  outputModel: one(models, { fields: [runs.outputModelId], references: [models.id], relationName: "outputModel" }),
  worker: one(workers, { fields: [runs.workerId], references: [workers.id] }),
  metricPoints: many(metricPoints),
  metricSummaries: many(metricSummaries),
  evaluations: many(evaluations),
  events: many(runEvents),
}));

export const metricPointsRelations = relations(metricPoints, ({ one }) => ({
  run: one(runs, { fields: [metricPoints.runId], references: [runs.id] }),
}));

export const metricSummariesRelations = relations(metricSummaries, ({ one }) => ({
  run: one(runs, { fields: [metricSummaries.runId], references: [runs.id] }),
}));

export const evaluationsRelations = relations(evaluations, ({ one }) => ({
  run: one(runs, { fields: [evaluations.runId], references: [runs.id] }),
}));

export const runEventsRelations = relations(runEvents, ({ one }) => ({
  run: one(runs, { fields: [runEvents.runId], references: [runs.id] }),
}));

export const workersRelations = relations(workers, ({ one }) => ({
  currentRun: one(runs, { fields: [workers.currentRunId], references: [runs.id] }),
}));

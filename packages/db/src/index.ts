export { createDb, defaultDataDir, type CreateDbOptions } from "./create-db";
export type { Db, DbDriver, DbHandle, NotificationHandler, Tx } from "./client";
export { DatabaseConnectionError, describeDatabaseUrl, sqlErrorOf } from "./errors";
export { migrationsFolder } from "./migrations";
export { openPglite, type PgliteOptions } from "./pglite";
export { openPostgres, type PostgresOptions } from "./postgres";
export * from "./schema";
export { rowsOf, toPgArray, toPgNumberArray } from "./sql-values";
export {
  rebuildMetricRollups,
  recordMetricPoints,
  type MetricPointInput,
  type RecordMetricPointsOptions,
  type RecordMetricPointsResult,
} from "./writes/metrics";
export { appendRunEvents, type RunEventInput } from "./writes/events";
export { reportEventsAtomically, type ReportedEvent, type ReportEventsInput } from "./writes/report-events";
export { EpochOutOfRangeError, reportEpochsAtomically, reportEpochsBatch, type EpochReport, type ReportEpochsInput } from "./writes/report-epochs";
export { ReportQueue, type ReportQueueOptions } from "./writes/report-queue";

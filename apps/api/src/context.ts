import type { DbHandle, ReportQueue } from "@tunelab/db";
import type { ArtifactStore } from "./artifacts/store";
import type { RunEventBatchModel, RunEventModel } from "./domain/run-event-types";
import type { Env } from "./env";
import type { EventBus } from "./pubsub";
import type { Loaders } from "./loaders";
import type { Logger } from "./logger";
import type { ResultSplice } from "./json-text";

/** What every API process shares: configuration, database, artifact store, pub/sub, logger. */
export interface Services {
  env: Env;
  handle: DbHandle;
  store: ArtifactStore;
  bus: EventBus;
  log: Logger;
  /** Workers' epoch reports to the database, several per statement under load (reportEpochs). */
  reports: ReportQueue;
}

/** Per-operation context handed to resolvers. */
export interface Context extends Services {
  loaders: Loaders;
  /** Set when the request carried a valid worker token (Authorization: Bearer ...). */
  workerTokenId: string | null;
  /** True when an Authorization header was sent but its token is unknown or revoked. */
  invalidToken?: boolean;
  /** Base URL for absolute download links, e.g. http://localhost:4000. */
  baseUrl: string;
  /**
   * Only on a runEvents/runEventsAfter/runEventBatches subscription over a WebSocket (createSharedSubscribe in
   * pubsub.ts): sends the leading root values (events, or batches of them) to the subscriber at once, one `next`
   * message each, and returns how many it sent; the rest must go through the subscription's iterator.
   */
  deliverNow?: (rootValues: readonly (RunEventModel | RunEventBatchModel)[]) => number;
  /**
   * Only on an HTTP request: parts of the result written as JSON text after execution (json-text.ts), e.g. a metric
   * series' points (metric-points-json.ts). Elsewhere resolvers return the values themselves.
   */
  splices?: ResultSplice[];
}

import { readFile } from "node:fs/promises";
import type { WorkerConfig } from "../env";
import { retry, type BackoffOptions } from "../retry";
import { ApiError, LeaseLostError, isTransient } from "./errors";
import * as ops from "./operations";
import type {
  Artifact,
  ClaimedRun,
  CompleteRunInput,
  EpochInput,
  EvaluationInput,
  HeartbeatResult,
  LogInput,
  ProgressInput,
  Registration,
  RunStartedInput,
} from "./types";

export interface ApiClientOptions {
  apiUrl: string;
  token: WorkerConfig["token"];
  /** Per-request timeout (default 30 s; downloads and uploads use `transferTimeoutMs`). */
  requestTimeoutMs?: number;
  transferTimeoutMs?: number;
  /** Retry policy of every call unless the call overrides it (default: transient errors for up to 10 minutes). */
  retry?: BackoffOptions;
  onRetry?: (operation: string, error: unknown, attempt: number, delayMs: number) => void;
  fetch?: typeof fetch;
}

export type CallOptions = BackoffOptions & {
  /** Timeout of each try (default: requestTimeoutMs of the client, 30 s). */
  timeoutMs?: number;
};

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * The worker's only door to Tunelab: GraphQL over HTTP plus the artifact routes. Every call is retried with
 * exponential backoff on transient failures (network errors, 5xx, timeouts); the API makes every report idempotent, so
 * a retry after a lost response is safe. LEASE_LOST is thrown as LeaseLostError and never retried.
 */
export class ApiClient {
  readonly apiUrl: string;
  private token: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ApiClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? fetch;
    if (options.token.kind === "value") this.token = options.token.value;
  }

  /** Reads the token file when the token comes from one (the embedded API writes it when it starts). */
  private async currentToken(reload = false): Promise<string> {
    const source = this.options.token;
    if (source.kind === "value") return source.value;
    if (this.token !== undefined && !reload) return this.token;
    try {
      const value = (await readFile(source.path, "utf8")).trim();
      if (!value) throw new Error("empty");
      this.token = value;
      return value;
    } catch {
      // Transient: in embedded mode the API creates the file when it starts, which may be after the worker.
      throw new ApiError(`no worker token yet: ${source.path} does not exist or is empty (pass --token or WORKER_TOKEN)`, "NO_TOKEN", true);
    }
  }

  /** One GraphQL request, no retry. */
  async request<T>(query: string, variables: Record<string, unknown>, signal?: AbortSignal, timeoutMs?: number): Promise<T> {
    const operation = /(?:mutation|query)\s+(\w+)/.exec(query)?.[1] ?? "graphql";
    let token = await this.currentToken();
    for (let authTry = 0; ; authTry++) {
      try {
        return await this.requestOnce<T>(operation, query, variables, token, signal, timeoutMs);
      } catch (error) {
        // A token file may have been rewritten (the embedded API re-created its data directory): re-read it once.
        if (authTry === 0 && error instanceof ApiError && error.code === "UNAUTHENTICATED" && this.options.token.kind === "file") {
          const fresh = await this.currentToken(true);
          if (fresh !== token) {
            token = fresh;
            continue;
          }
        }
        throw error;
      }
    }
  }

  private async requestOnce<T>(operation: string, query: string, variables: Record<string, unknown>, token: string, signal?: AbortSignal, timeoutMs?: number): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs ?? this.options.requestTimeoutMs ?? 30_000);
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.apiUrl}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ operationName: operation, query, variables }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw new ApiError(`${operation}: API unreachable at ${this.apiUrl} (${describe(error)})`, "NETWORK", !signal?.aborted, undefined, { cause: error });
    }
    let body: GraphQLResponse<T> | undefined;
    const text = await response.text().catch(() => "");
    try {
      body = JSON.parse(text) as GraphQLResponse<T>;
    } catch {
      body = undefined;
    }
    const firstError = body?.errors?.[0];
    if (firstError) {
      const code = firstError.extensions?.code ?? "UNKNOWN";
      const message = `${operation}: ${firstError.message}`;
      if (code === "LEASE_LOST") throw new LeaseLostError(message);
      // Internal errors (e.g. the database restarting behind the API) are worth retrying; validation errors are not.
      const transient = code === "INTERNAL_SERVER_ERROR" || response.status >= 500;
      throw new ApiError(message, code, transient, response.status);
    }
    if (!response.ok || !body || body.data == null) {
      const transient = response.status >= 500 || response.status === 429 || response.status === 408;
      throw new ApiError(`${operation}: HTTP ${response.status} ${text.slice(0, 200)}`, "HTTP", transient, response.status);
    }
    return body.data;
  }

  private call<T>(query: string, variables: Record<string, unknown>, options: CallOptions = {}): Promise<T> {
    const operation = /(?:mutation|query)\s+(\w+)/.exec(query)?.[1] ?? "graphql";
    return retry(() => this.request<T>(query, variables, options.signal, options.timeoutMs), {
      maxElapsedMs: 10 * 60_000,
      ...this.options.retry,
      ...options,
      retryable: options.retryable ?? isTransient,
      onRetry: (error, attempt, delay) => {
        options.onRetry?.(error, attempt, delay);
        this.options.onRetry?.(operation, error, attempt, delay);
      },
    });
  }

  async registerWorker(input: { name: string; backends: string[]; device: string; info?: unknown }, options?: CallOptions): Promise<Registration> {
    return (await this.call<{ registerWorker: Registration }>(ops.REGISTER_WORKER, { input }, options)).registerWorker;
  }

  async claimRun(workerId: string, options?: CallOptions): Promise<ClaimedRun | null> {
    return (await this.call<{ claimRun: ClaimedRun | null }>(ops.CLAIM_RUN, { workerId }, options)).claimRun;
  }

  async heartbeat(workerId: string, runId: string | null, options?: CallOptions): Promise<HeartbeatResult> {
    return (await this.call<{ heartbeat: HeartbeatResult }>(ops.HEARTBEAT, { workerId, runId }, options)).heartbeat;
  }

  async startRun(workerId: string, runId: string, input: RunStartedInput, options?: CallOptions): Promise<void> {
    await this.call(ops.START_RUN, { workerId, runId, input }, options);
  }

  async reportProgress(workerId: string, runId: string, input: ProgressInput, options?: CallOptions): Promise<void> {
    await this.call(ops.REPORT_PROGRESS, { workerId, runId, input }, options);
  }

  async reportLogs(workerId: string, runId: string, lines: LogInput[], options?: CallOptions): Promise<void> {
    await this.call(ops.REPORT_LOGS, { workerId, runId, lines }, options);
  }

  async reportEpochs(workerId: string, runId: string, epochs: EpochInput[], options?: CallOptions): Promise<void> {
    await this.call(ops.REPORT_EPOCHS, { workerId, runId, epochs }, options);
  }

  async reportEvaluation(workerId: string, runId: string, input: EvaluationInput, options?: CallOptions): Promise<void> {
    await this.call(ops.REPORT_EVALUATION, { workerId, runId, input }, options);
  }

  async completeRun(workerId: string, runId: string, input: CompleteRunInput, options?: CallOptions): Promise<void> {
    await this.call(ops.COMPLETE_RUN, { workerId, runId, input }, options);
  }

  async failRun(workerId: string, runId: string, error: string, step: string | null, options?: CallOptions): Promise<void> {
    await this.call(ops.FAIL_RUN, { workerId, runId, error, step }, options);
  }

  async finishCancelledRun(workerId: string, runId: string, options?: CallOptions): Promise<void> {
    await this.call(ops.FINISH_CANCELLED_RUN, { workerId, runId }, options);
  }

  async releaseRun(workerId: string, runId: string, options?: CallOptions): Promise<void> {
    await this.call(ops.RELEASE_RUN, { workerId, runId }, options);
  }

  async unregisterWorker(workerId: string, options?: CallOptions): Promise<void> {
    await this.call(ops.UNREGISTER_WORKER, { workerId }, options);
  }

  /** Absolute URL of an artifact's downloadUrl (which may be API-relative). */
  resolveUrl(downloadUrl: string): string {
    return new URL(downloadUrl, `${this.apiUrl}/`).toString();
  }

  /**
   * Downloads an artifact, reporting bytes done/total as they arrive. One try; wrap in retry() for more. The bytes are
   * checked against `expectedSha256` by the caller (the cache).
   */
  async download(downloadUrl: string, onProgress?: (done: number, total: number | null) => void, signal?: AbortSignal): Promise<Uint8Array> {
    const url = this.resolveUrl(downloadUrl);
    const headers: Record<string, string> = {};
    const token = await this.currentToken().catch(() => undefined);
    if (token && url.startsWith(this.apiUrl)) headers.authorization = `Bearer ${token}`;
    const timeout = AbortSignal.timeout(this.options.transferTimeoutMs ?? 10 * 60_000);
    let response: Response;
    try {
      response = await this.fetchImpl(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      throw new ApiError(`download ${url}: ${describe(error)}`, "NETWORK", !signal?.aborted, undefined, { cause: error });
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => "");
      throw new ApiError(`download ${url}: HTTP ${response.status} ${text.slice(0, 200)}`, response.status === 404 ? "NOT_FOUND" : "HTTP", response.status >= 500, response.status);
    }
    const lengthHeader = response.headers.get("content-length");
    const total = lengthHeader ? Number(lengthHeader) : null;
    const chunks: Uint8Array[] = [];
    let done = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        chunks.push(chunk);
        done += chunk.byteLength;
        onProgress?.(done, total);
      }
    } catch (error) {
      throw new ApiError(`download ${url}: connection dropped after ${done} bytes (${describe(error)})`, "NETWORK", !signal?.aborted, undefined, { cause: error });
    }
    if (total !== null && done !== total) throw new ApiError(`download ${url}: got ${done} of ${total} bytes`, "NETWORK", true);
    return concat(chunks, done);
  }

  /** POST /artifacts: stores bytes and returns the artifact. One try; wrap in retry() for more. */
  async upload(bytes: Uint8Array, contentType: string, filename: string, signal?: AbortSignal): Promise<Artifact> {
    const token = await this.currentToken();
    const timeout = AbortSignal.timeout(this.options.transferTimeoutMs ?? 10 * 60_000);
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.apiUrl}/artifacts`, {
        method: "POST",
        headers: {
          "content-type": contentType,
          "content-disposition": `attachment; filename="${filename.replace(/"/g, "")}"`,
          authorization: `Bearer ${token}`,
        },
        body: bytes,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw new ApiError(`upload: API unreachable at ${this.apiUrl} (${describe(error)})`, "NETWORK", !signal?.aborted, undefined, { cause: error });
    }
    const text = await response.text().catch(() => "");
    if (response.status !== 201 && response.status !== 200) {
      throw new ApiError(`upload: HTTP ${response.status} ${text.slice(0, 300)}`, response.status === 401 ? "UNAUTHENTICATED" : "HTTP", response.status >= 500, response.status);
    }
    try {
      return JSON.parse(text) as Artifact;
    } catch {
      throw new ApiError(`upload: unexpected answer ${text.slice(0, 200)}`, "HTTP", true, response.status);
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

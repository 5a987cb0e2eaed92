import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { DbDriver, DbHandle } from "@tunelab/db";
import { createTestDb, type TestDb } from "@tunelab/db/testing";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { readEnv } from "../src/env";
import { createLogger } from "../src/logger";
import { type ApiServer, startApiServer } from "../src/server";

export const WORKER_TOKEN = "test-worker-token-0123456789abcdef";

export interface GqlResult<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

export interface TestApi {
  server: ApiServer;
  url: string;
  handle: DbHandle;
  dataDir: string;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, opts?: { token?: string | null }): Promise<GqlResult<T>>;
  /** Like gql, but throws on errors and returns data. */
  q<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, opts?: { token?: string | null }): Promise<T>;
  ws(): Client;
  close(): Promise<void>;
}

/** Starts the real server on a free port against the given database handle (or a fresh test database). */
export async function startTestApi(
  options: { driver?: DbDriver; db?: TestDb | DbHandle; env?: Record<string, string>; dataDir?: string; ownsDb?: boolean } = {},
): Promise<TestApi> {
  const db = options.db ?? (await createTestDb(options.driver ?? "pglite"));
  const ownsDb = options.ownsDb ?? !options.db;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), "tunelab-api-test-")));
  const env = readEnv({
    API_PORT: "0",
    API_HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    WORKER_TOKEN,
    LEASE_SECONDS: "30",
    REAPER_INTERVAL_MS: "250",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    NODE_ENV: "test",
    ...options.env,
  });
  const server = await startApiServer({ env, handle: db, log: createLogger(env.logLevel) });
  const clients: Client[] = [];
  const gql = async <T,>(query: string, variables?: Record<string, unknown>, opts: { token?: string | null } = {}): Promise<GqlResult<T>> => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    const token = opts.token === undefined ? WORKER_TOKEN : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${server.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as GqlResult<T>;
    return { ...body, status: res.status };
  };
  return {
    server,
    url: server.url,
    handle: db,
    dataDir,
    gql,
    q: async <T,>(query: string, variables?: Record<string, unknown>, opts?: { token?: string | null }) => {
      const r = await gql<T>(query, variables, opts);
      if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
      return r.data as T;
    },
    ws: () => {
      const c = createClient({ url: server.url.replace("http", "ws") + "/graphql", webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(c);
      return c;
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.dispose()));
      await server.close();
      if (ownsDb) await db.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects a subscription's events until `until` returns true (or it completes), with a timeout. */
export function collect<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  until: (events: T[]) => boolean = () => false,
  timeoutMs = 20_000,
): { events: T[]; done: Promise<T[]>; stop: () => void } {
  const events: T[] = [];
  let stop = () => {};
  const done = new Promise<T[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`subscription timed out after ${timeoutMs} ms with ${events.length} events: ${JSON.stringify(events).slice(0, 2000)}`));
    }, timeoutMs);
    const unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (v) => {
          if (v.errors) {
            clearTimeout(timer);
            reject(new Error(JSON.stringify(v.errors)));
            return;
          }
          events.push(v.data as T);
          if (until(events)) {
            clearTimeout(timer);
            unsubscribe();
            resolve(events);
          }
        },
        error: (e) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(JSON.stringify(e)));
        },
        complete: () => {
          clearTimeout(timer);
          resolve(events);
        },
      },
    );
    stop = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve(events);
    };
  });
  return { events, done, stop: () => stop() };
}

/** A tiny tfjs LayersModel bundle (tar of model.json + weights.bin): Dense(4) -> Dense(3), 35 weights. */
export function tinyModelBundle(seed = 1, userDefinedMetadata?: Record<string, unknown>): Uint8Array {
  const modelJson = {
    ...(userDefinedMetadata ? { userDefinedMetadata } : {}),
    format: "layers-model",
    generatedBy: "tunelab-test",
    convertedBy: null,
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "tiny",
        layers: [
          { class_name: "Dense", config: { name: "hidden", units: 4, activation: "relu", batch_input_shape: [null, 4] } },
          { class_name: "Dense", config: { name: "head", units: 3, activation: "softmax" } },
        ],
      },
    },
    weightsManifest: [
      {
        paths: ["weights.bin"],
        weights: [
          { name: "hidden/kernel", shape: [4, 4], dtype: "float32" },
          { name: "hidden/bias", shape: [4], dtype: "float32" },
          { name: "head/kernel", shape: [4, 3], dtype: "float32" },
          { name: "head/bias", shape: [3], dtype: "float32" },
        ],
      },
    ],
  };
  const weights = new Float32Array(35).map((_, i) => Math.sin(i + seed));
  return writeTarForTest([
    { name: "model.json", data: new TextEncoder().encode(JSON.stringify(modelJson)) },
    { name: "weights.bin", data: new Uint8Array(weights.buffer) },
  ]);
}

import { packTar as writeTarForTest } from "@tunelab/trainer/models";

export async function uploadArtifact(api: TestApi, bytes: Uint8Array, contentType = "application/x-tar", token: string | null = WORKER_TOKEN) {
  const res = await fetch(`${api.url}/artifacts`, {
    method: "POST",
    headers: { "content-type": contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Imports the tiny model as a BASE model for tabular tasks (iris has 3 classes and 4 features). */
export async function importTinyModel(api: TestApi, name = "tiny-mlp") {
  const up = await uploadArtifact(api, tinyModelBundle());
  const data = await api.q<{ importModel: { id: string; layers: { name: string }[] } }>(
    `mutation($i: ImportModelInput!) { importModel(input: $i) { id layers { name } } }`,
    { i: { name, task: "TABULAR_CLASSIFICATION", artifactId: up.body.id, classNames: ["setosa", "versicolor", "virginica"] } },
  );
  return data.importModel;
}

export async function datasetId(api: TestApi, name = "iris"): Promise<string> {
  const d = await api.q<{ datasets: { id: string; name: string }[] }>(`{ datasets { id name } }`);
  return d.datasets.find((x) => x.name === name)!.id;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

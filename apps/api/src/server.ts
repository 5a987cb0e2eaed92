import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { ApolloServer, HeaderMap } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import { makeExecutableSchema } from "@graphql-tools/schema";
import { artifacts, type DbHandle, ReportQueue } from "@tunelab/db";
import { eq } from "drizzle-orm";
import { createSourceEventStream, execute, GraphQLError, type GraphQLSchema, specifiedRules } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { type WebSocket, WebSocketServer } from "ws";
import { type ArtifactStore, LocalArtifactStore } from "./artifacts/store";
import type { Context, Services } from "./context";
import { startReaper } from "./domain/reap-leases";
import { seed } from "./domain/seed";
import { storeArtifact } from "./domain/store-artifact";
import { ensureWorkerToken, TokenVerifier } from "./domain/worker-tokens";
import type { Env } from "./env";
import { AppError, formatError, httpStatusFor, isUuid, nulCharacterError } from "./errors";
import { applySplices, stringifyResult } from "./json-text";
import { coalesceSends, textChannelOf } from "./http/coalesce-sends";
import { graphiqlPage, serveGraphiqlAsset } from "./http/graphiql";
import { cachedDocuments } from "./http/ws-document-cache";
import { createLoaders } from "./loaders";
import type { Logger } from "./logger";
import { createSharedSubscribe, EventBus, type Subscriber } from "./pubsub";
import { resolvers } from "./resolvers";
import { loadTypeDefs } from "./schema/load-schema";

export interface ApiServer {
  url: string;
  port: number;
  services: Services;
  close(): Promise<void>;
}

export interface StartOptions {
  env: Env;
  handle: DbHandle;
  log: Logger;
  store?: ArtifactStore;
}

export async function buildSchema(): Promise<GraphQLSchema> {
  return makeExecutableSchema({ typeDefs: await loadTypeDefs(), resolvers: resolvers as never });
}

/**
 * Report statements in flight at once (ReportQueue): on Postgres, further ones beside the first once what waits is
 * large (its default parallelAboveValues: one 100-epoch report), so large reports use several backends as before while
 * small ones wait and share a statement. Measured with 4 simulated workers and 100-epoch reports: 61% of raw before
 * the queue, 50-54% with at most 2 statements, 57% (52-64%) with 4 (docs/benchmarks.md, "Tenth session"). PGlite has
 * one connection.
 */
function reportStatementsInFlight(handle: DbHandle): number {
  return handle.driver === "postgres" ? 4 : 1;
}

/** Starts the one HTTP server: GraphQL over HTTP and WebSocket at /graphql, artifact routes, GraphiQL, /healthz. */
export async function startApiServer(opts: StartOptions): Promise<ApiServer> {
  const { env, handle, log } = opts;
  const store = opts.store ?? new LocalArtifactStore(path.join(env.dataDir, "artifacts"));
  const bus = new EventBus(handle, log);
  const reports = new ReportQueue(handle.db, { maxInFlight: reportStatementsInFlight(handle) });
  const services: Services = { env, handle, store, bus, log, reports };
  const tokens = new TokenVerifier(handle.db);

  await ensureWorkerToken(handle.db, env.dataDir, env.workerToken, log);
  if (env.seed) await seed(services);
  await bus.start();
  const stopReaper = startReaper(services);

  const schema = await buildSchema();
  // graphql-ws gets its own schema instance: Apollo wraps every field resolver of the schema it is given (plugin
  // instrumentation), which would otherwise run once per field per subscriber per event.
  const wsSchema = await buildSchema();
  const httpServer = createServer();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
  });
  const corsAllowed = (origin: string | undefined) => {
    if (!origin) return true;
    if (env.corsOrigins) return env.corsOrigins.includes("*") || env.corsOrigins.includes(origin);
    try {
      const host = new URL(origin).hostname;
      return host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host === "::1";
    } catch {
      return false;
    }
  };
  httpServer.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/graphql" || !corsAllowed(req.headers.origin)) {
      socket.write("HTTP/1.1 403 Forbidden\r\n\r\n");
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A burst of events (one notification, several epochs) goes to each subscriber in one write.
      coalesceSends(ws, env.wsMaxBufferedBytes);
      wss.emit("connection", ws, req);
    });
  });

  const armor = new ApolloArmor({
    maxDepth: { n: env.maxQueryDepth },
    costLimit: { maxCost: env.maxQueryCost },
    maxAliases: { n: 30 },
    maxDirectives: { n: 50 },
    maxTokens: { n: 5000 },
    blockFieldSuggestion: { enabled: true },
  });
  const protection = armor.protect();

  const subsPerSocket = new WeakMap<object, number>();
  // Each WebSocket operation's context -> its socket and subscription id, for createSharedSubscribe's deliverNow.
  const subscribers = new WeakMap<object, Subscriber>();
  const wsCleanup = useServer<Record<string, unknown>, { ws?: unknown }>(
    {
      schema: wsSchema,
      // Use this module's graphql functions: graphql-ws may resolve another copy (ESM/CJS) of graphql-js.
      execute,
      // Executes each shared event once per distinct operation instead of once per subscriber (see pubsub.ts).
      subscribe: createSharedSubscribe(
        { createSourceEventStream, execute },
        { subscriberOf: (context) => (typeof context === "object" && context !== null ? subscribers.get(context) : undefined) },
      ),
      ...cachedDocuments([...specifiedRules, ...protection.validationRules]),
      context: async (ctx, id) => {
        const { request: req, socket } = ctx.extra as { request?: IncomingMessage; socket?: WebSocket };
        const auth = (ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization) as string | undefined;
        const context: Context = {
          ...services,
          loaders: createLoaders(handle.db, { cache: false }),
          workerTokenId: await tokens.verify(auth ?? req?.headers.authorization),
          baseUrl: baseUrlOf(env, req),
        };
        if (socket) subscribers.set(context, { id, ...textChannelOf(socket) });
        return context;
      },
      onSubscribe: (ctx) => {
        const n = (subsPerSocket.get(ctx.extra) ?? 0) + 1;
        subsPerSocket.set(ctx.extra, n);
        if (n > env.maxSubscriptionsPerSocket)
          return [new GraphQLError(`At most ${env.maxSubscriptionsPerSocket} subscriptions per connection.`, { extensions: { code: "BAD_USER_INPUT" } })];
        return undefined;
      },
      onComplete: (ctx) => {
        subsPerSocket.set(ctx.extra, Math.max(0, (subsPerSocket.get(ctx.extra) ?? 1) - 1));
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!("errors" in result) || !result.errors?.length) return undefined;
        return {
          ...result,
          errors: result.errors.map((e) => {
            const f = formatError(e.toJSON(), e, (err) => log.error({ err }, "error in a subscription event"));
            return new GraphQLError(f.message, { path: f.path, extensions: f.extensions });
          }),
        };
      },
      onError: (_ctx, _id, _payload, errors) => {
        return errors.map((e) => {
          // Validation errors (no originalError) are safe to show as they are, like Apollo does over HTTP.
          if (!e.originalError) return new GraphQLError(e.message, { extensions: { code: "GRAPHQL_VALIDATION_FAILED", ...e.extensions } });
          const f = formatError(e.toJSON(), e, (err) => log.error({ err }, "subscription error"));
          return new GraphQLError(f.message, { extensions: f.extensions });
        });
      },
    },
    wss,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    plugins: [
      ...protection.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // The default cache-control plugin wraps every field resolver (willResolveField) to collect cache hints that
      // nothing here sets: a third of the CPU of a 30,000-point compareRuns response.
      ApolloServerPluginCacheControlDisabled(),
      {
        // What resolvers left to write as JSON text (Context.splices) goes into the result before stringifyResult.
        async requestDidStart() {
          return {
            async willSendResponse({ contextValue, response }) {
              const splices = contextValue.splices;
              if (!splices?.length) return;
              // graphql 16 never answers incrementally; should a later one, the splices must not be dropped silently.
              if (response.body.kind !== "single") throw new Error("result splices need a single (non-incremental) response");
              if (response.body.singleResult.data) applySplices(response.body.singleResult.data, splices);
            },
          };
        },
      },
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
    validationRules: protection.validationRules,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGINT/SIGTERM and drains everything in order; Apollo's own handlers would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    formatError: (formatted, error) => formatError(formatted, error, (err) => log.error({ err }, "unexpected error in a GraphQL request")),
    // Metric columns go into the response as the JSON text Postgres wrote (json-text.ts).
    stringifyResult,
  });
  await apollo.start();

  const handleGraphql = async (req: IncomingMessage, res: ServerResponse) => {
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    let body: unknown = undefined;
    if (req.method === "POST") {
      const raw = await readBody(req, env.bodyLimitBytes);
      const type = (req.headers["content-type"] ?? "").toLowerCase();
      if (type.includes("application/json") || type.includes("application/graphql-response+json")) {
        try {
          body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
        } catch (e) {
          throw new AppError("BAD_USER_INPUT", `The request body is not valid JSON: ${(e as Error).message}`);
        }
      } else body = raw.toString("utf8");
    }
    const url = new URL(req.url ?? "/", "http://x");
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? "GET", headers, search: url.search, body },
      context: async () => {
        const workerTokenId = await tokens.verify(req.headers.authorization);
        return {
          ...services,
          loaders: createLoaders(handle.db),
          splices: [],
          workerTokenId,
          invalidToken: Boolean(req.headers.authorization) && !workerTokenId,
          baseUrl: baseUrlOf(env, req),
        };
      },
    });
    for (const [k, v] of response.headers) res.setHeader(k, v);
    res.statusCode = response.status ?? 200;
    // One UTF-8 encoding of the body: ending with the string would measure its byte length and then encode it (two passes
    // over a comparison's several MB).
    if (response.body.kind === "complete") res.end(Buffer.from(response.body.string, "utf8"));
    else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  };

  const handleUpload = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization && !(await tokens.verify(req.headers.authorization)))
      throw new AppError("UNAUTHENTICATED", "The worker token in Authorization is not valid.");
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > env.uploadLimitBytes)
      throw new AppError("PAYLOAD_TOO_LARGE", `The upload is ${declared} bytes, above the limit of ${env.uploadLimitBytes} bytes (UPLOAD_LIMIT_BYTES).`, { limitBytes: env.uploadLimitBytes });
    const type = (req.headers["content-type"] ?? "application/octet-stream").split(";")[0]!.trim().slice(0, 100);
    const row = await storeArtifact(handle.db, store, req, type, env.uploadLimitBytes);
    json(res, 201, { id: row.id, sha256: row.sha256, sizeBytes: row.sizeBytes, downloadUrl: `${baseUrlOf(env, req)}/artifacts/${row.id}` });
  };

  const handleDownload = async (id: string, req: IncomingMessage, res: ServerResponse) => {
    if (!isUuid(id)) throw new AppError("NOT_FOUND", `No artifact with id ${JSON.stringify(id)}.`);
    const [row] = await handle.db.select().from(artifacts).where(eq(artifacts.id, id));
    if (!row) throw new AppError("NOT_FOUND", `No artifact with id ${JSON.stringify(id)}.`);
    const etag = `"${row.sha256}"`;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    if (!(await store.exists(row.storageKey))) throw new AppError("NOT_FOUND", `Artifact ${id} is registered but its bytes are missing from the store.`);
    const ext = row.contentType.includes("tar") ? ".tar" : row.contentType.includes("csv") ? ".csv" : row.contentType.includes("ndjson") ? ".jsonl" : "";
    res.writeHead(200, {
      "content-type": row.contentType,
      "content-length": String(row.sizeBytes),
      etag,
      "x-sha256": row.sha256,
      "content-disposition": `attachment; filename="${row.sha256.slice(0, 12)}${ext}"`,
    });
    if (req.method === "HEAD") return void res.end();
    (await store.open(row.storageKey)).pipe(res);
  };

  // While draining, every response asks the client to close its keep-alive connection, so shutdown does not wait for
  // idle sockets to time out (a polling worker would otherwise keep one open until the force timer).
  let draining = false;
  httpServer.on("request", (req, res) => {
    if (draining) res.setHeader("connection", "close");
    const origin = req.headers.origin;
    if (origin && corsAllowed(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "Origin");
      res.setHeader("access-control-allow-credentials", "true");
      res.setHeader("access-control-expose-headers", "etag, content-disposition, x-sha256");
    }
    const url = new URL(req.url ?? "/", "http://x");
    const route = async () => {
      if (req.method === "OPTIONS") {
        res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
        res.setHeader("access-control-allow-headers", req.headers["access-control-request-headers"] ?? "content-type, authorization, apollo-require-preflight");
        res.setHeader("access-control-max-age", "600");
        res.writeHead(204);
        return void res.end();
      }
      if (url.pathname === "/healthz") {
        await handle.query("SELECT 1");
        return json(res, 200, { ok: true, database: handle.driver });
      }
      if (url.pathname === "/graphiql" || (url.pathname === "/graphql" && req.method === "GET" && (req.headers.accept ?? "").includes("text/html"))) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        return void res.end(graphiqlPage());
      }
      if (url.pathname.startsWith("/graphiql/assets/") && serveGraphiqlAsset(url.pathname.slice("/graphiql/assets/".length), res)) return;
      if (url.pathname === "/graphql") return handleGraphql(req, res);
      if (url.pathname === "/artifacts" && req.method === "POST") return handleUpload(req, res);
      const m = /^\/artifacts\/([^/]+)$/.exec(url.pathname);
      if (m && (req.method === "GET" || req.method === "HEAD")) return handleDownload(decodeURIComponent(m[1]!), req, res);
      json(res, 404, { error: { code: "NOT_FOUND", message: `No route ${req.method} ${url.pathname}. Try POST /graphql, GET /graphiql, POST /artifacts, GET /artifacts/:id, GET /healthz.` } });
    };
    route().catch((caught: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Drain what is left of the request so the client reads our answer instead of a reset.
      req.resume();
      const error = nulCharacterError(caught) ?? caught;
      if (error instanceof AppError) {
        const status = httpStatusFor(error.code);
        if (url.pathname === "/graphql")
          return json(res, status, { errors: [{ message: error.message, extensions: error.extensions }] }, true);
        return json(res, status, { error: { code: error.code, message: error.message, ...error.extensions } }, status === 413);
      }
      log.error({ err: error, path: url.pathname }, "request failed");
      json(res, 500, { error: { code: "INTERNAL_SERVER_ERROR", message: "Internal server error: the API logged the details." } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(env.port, env.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  log.info({ url: `${url}/graphql`, graphiql: `${url}/graphiql`, database: handle.location, driver: handle.driver }, "api listening");

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    services,
    close: () =>
      (closing ??= (async () => {
        stopReaper();
        draining = true;
        httpServer.closeIdleConnections();
        for (const client of wss.clients) client.close(1001, "server shutting down");
        const force = setTimeout(() => httpServer.closeAllConnections(), 5000);
        await apollo.stop();
        clearTimeout(force);
        wss.close();
        await bus.close();
      })()),
  };
}

function baseUrlOf(env: Env, req: IncomingMessage | undefined): string {
  if (env.publicUrl) return env.publicUrl;
  const host = req?.headers.host ?? `localhost:${env.port}`;
  const proto = (req?.headers["x-forwarded-proto"] as string | undefined)?.split(",")[0] ?? "http";
  return `${proto}://${host}`;
}

function json(res: ServerResponse, status: number, body: unknown, closeConnection = false) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...(closeConnection ? { connection: "close" } : {}),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  const tooLarge = () =>
    new AppError("PAYLOAD_TOO_LARGE", `The request body is larger than the limit of ${limit} bytes (BODY_LIMIT_BYTES); upload files with POST /artifacts.`, { limitBytes: limit });
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

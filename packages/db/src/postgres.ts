import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type { Db, DbHandle, NotificationHandler } from "./client";
import { assertValidDatabaseUrl, describeDatabaseUrl, explainPostgresError } from "./errors";
import { MIGRATION_LOCK_ID, migrationsFolder } from "./migrations";
import * as schema from "./schema";

export interface PostgresOptions {
  url: string;
  migrate?: boolean;
  /** Pool size; the API's default of 10 suits one process on a small Postgres. */
  maxConnections?: number;
}

/** Opens a node-postgres pool, migrating first under an advisory lock so concurrent API processes don't race. */
export async function openPostgres(options: PostgresOptions): Promise<DbHandle> {
  assertValidDatabaseUrl(options.url);
  const target = describeDatabaseUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 10_000,
    application_name: "tunelab",
  });
  // An idle client that dies (server restart) must not crash the process; the pool replaces it.
  pool.on("error", () => {});

  let first: pg.PoolClient;
  try {
    first = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => {});
    throw explainPostgresError(error, target);
  }
  try {
    if (options.migrate ?? true) {
      await first.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
      try {
        await migrate(drizzle({ client: first, schema }), { migrationsFolder });
      } finally {
        await first.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]);
      }
    }
  } catch (error) {
    first.release();
    await pool.end().catch(() => {});
    throw explainPostgresError(error, target);
  }
  first.release();

  const db = drizzle({ client: pool, schema }) as unknown as Db;
  const listener = new ListenConnection(options.url);
  return {
    db,
    driver: "postgres",
    location: target,
    pool,
    listen: (channel, onNotification) => listener.listen(channel, onNotification),
    notify: async (channel, payload) => {
      await pool.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    query: async <T extends Record<string, unknown>>(text: string, params?: unknown[]) =>
      (await pool.query<T>(text, params)).rows,
    close: async () => {
      await listener.close();
      await pool.end();
    },
  };
}

/**
 * One dedicated connection for LISTEN (a pooled one would lose its subscriptions when returned). It reconnects with
 * backoff after a server restart and re-issues every LISTEN, so subscribers across processes keep receiving.
 */
class ListenConnection {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private readonly handlers = new Map<string, Set<NotificationHandler>>();
  private closed = false;

  constructor(private readonly url: string) {}

  async listen(channel: string, handler: NotificationHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    const isNew = !set;
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    const client = await this.connection();
    if (isNew) await client.query(`LISTEN ${quoteIdent(channel)}`);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) {
        this.handlers.delete(channel);
        await this.client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, application_name: "tunelab-listen" });
    client.on("notification", (msg) => {
      for (const handler of this.handlers.get(msg.channel) ?? []) handler(msg.payload ?? "");
    });
    client.on("error", () => this.reconnectSoon(client));
    client.on("end", () => this.reconnectSoon(client));
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    this.client = client;
    return client;
  }

  private reconnectSoon(dead: pg.Client, delayMs = 500): void {
    if (this.client !== dead || this.closed) return;
    this.client = null;
    setTimeout(() => {
      if (this.closed || this.handlers.size === 0) return;
      this.connection().catch(() => this.retryLater(Math.min(delayMs * 2, 10_000)));
    }, delayMs).unref();
  }

  private retryLater(delayMs: number): void {
    setTimeout(() => {
      if (this.closed) return;
      this.connection().catch(() => this.retryLater(Math.min(delayMs * 2, 10_000)));
    }, delayMs).unref();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

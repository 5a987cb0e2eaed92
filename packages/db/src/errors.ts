/** Thrown when the database cannot be opened or migrated; the message says what to check. */
export class DatabaseConnectionError extends Error {
  override readonly name = "DatabaseConnectionError";
  constructor(
    message: string,
    readonly target: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `postgres://user:secret@host:5432/db` -> `host:5432/db`, so a log line never carries the password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const db = u.pathname.replace(/^\//, "") || "(default database)";
    return `${u.hostname || "localhost"}:${u.port || "5432"}/${db}`;
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

/** Checks the URL shape before any connection attempt so a typo is reported as a typo. */
export function assertValidDatabaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseConnectionError(
      `DATABASE_URL is not a valid URL. Expected postgres://user:password@host:5432/database, or unset DATABASE_URL to use the embedded database.`,
      "(invalid URL)",
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new DatabaseConnectionError(
      `DATABASE_URL must start with postgres:// or postgresql:// (got ${parsed.protocol}//).`,
      describeDatabaseUrl(url),
    );
  }
}

/** Turns a node-postgres connection failure into a message that names the host and what to check. */
export function explainPostgresError(error: unknown, target: string): DatabaseConnectionError {
  const e = error as { code?: string; message?: string };
  const hint = (() => {
    switch (e.code) {
      case "ECONNREFUSED":
        return "connection refused: is PostgreSQL running there and listening on that port?";
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return "the host name does not resolve: check the host part of DATABASE_URL.";
      case "ETIMEDOUT":
      case "ECONNRESET":
        return "the connection timed out or was reset: check the host, port and any firewall in between.";
      case "28P01":
      case "28000":
        return "authentication failed: check the user and password in DATABASE_URL.";
      case "3D000":
        return "the database does not exist: create it (createdb) or fix the database name in DATABASE_URL.";
      case "57P03":
        return "the server is starting up or shutting down: try again in a moment.";
      default:
        return e.message ?? String(error);
    }
  })();
  return new DatabaseConnectionError(
    `Cannot open PostgreSQL at ${target}: ${hint} (Unset DATABASE_URL to use the embedded database instead.)`,
    target,
    { cause: error },
  );
}

/** The driver's error inside Drizzle's wrapper (walking `cause`): its SQLSTATE code and message, if there is one. */
export function sqlErrorOf(error: unknown): { code: string; message: string } | undefined {
  let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let i = 0; e && i < 5; i++, e = e.cause as typeof e) if (typeof e.code === "string") return { code: e.code, message: String(e.message) };
  return undefined;
}

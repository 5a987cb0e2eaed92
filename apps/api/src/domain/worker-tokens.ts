import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Db, workerTokens } from "@tunelab/db";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Logger } from "../logger";

export const sha256Hex = (s: string | Uint8Array) => createHash("sha256").update(s).digest("hex");

/**
 * Makes sure a worker can authenticate. WORKER_TOKEN set: its sha256 is stored (idempotent). Otherwise, when no token
 * exists at all, one is generated and written to <DATA_DIR>/worker-token (mode 600) for the embedded local worker.
 * Runs under an advisory lock so two API processes starting together create at most one token.
 */
export async function ensureWorkerToken(db: Db, dataDir: string, configured: string | undefined, log: Logger): Promise<void> {
  const file = path.join(dataDir, "worker-token");
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(727003)`);
    if (configured) {
      await tx
        .insert(workerTokens)
        .values({ name: "WORKER_TOKEN", tokenSha256: sha256Hex(configured) })
        .onConflictDoNothing({ target: workerTokens.tokenSha256 });
      return;
    }
    const onDisk = (await readFile(file, "utf8").catch(() => "")).trim();
    if (onDisk) {
      // The local token file is the embedded worker's credential: make sure the database knows it.
      await tx.insert(workerTokens).values({ name: "local", tokenSha256: sha256Hex(onDisk) }).onConflictDoNothing({ target: workerTokens.tokenSha256 });
      return;
    }
    const existing = await tx.select({ id: workerTokens.id }).from(workerTokens).where(isNull(workerTokens.revokedAt)).limit(1);
    if (existing.length > 0) {
      log.info("worker tokens exist; not generating a local one (set WORKER_TOKEN to add one)");
      return;
    }
    const token = randomBytes(32).toString("base64url");
    await tx.insert(workerTokens).values({ name: "local", tokenSha256: sha256Hex(token) });
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, token + "\n", { mode: 0o600 });
    await chmod(file, 0o600);
    log.info({ file }, "generated a worker token for the local worker");
  });
}

/** Token lookups are cached briefly: every worker call carries the token. */
export class TokenVerifier {
  private cache = new Map<string, { id: string | null; until: number }>();
  constructor(private readonly db: Db) {}

  async verify(authorization: string | undefined): Promise<string | null> {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!m) return null;
    const digest = sha256Hex(m[1]!);
    const hit = this.cache.get(digest);
    if (hit && hit.until > Date.now()) return hit.id;
    const [row] = await this.db
      .select({ id: workerTokens.id })
      .from(workerTokens)
      .where(and(eq(workerTokens.tokenSha256, digest), isNull(workerTokens.revokedAt)));
    const id = row?.id ?? null;
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(digest, { id, until: Date.now() + 10_000 });
    return id;
  }
}

import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Downloaded artifacts on disk, keyed by sha256 (`<dir>/<sha256>`), so a second run on the same dataset or base model
 * does not download again. Content-addressed: an entry is trusted only if its bytes hash to its name.
 */
export class ArtifactCache {
  /** @param maxBytes keep the cache under this size, evicting the least recently used entries (default: no limit). */
  constructor(
    readonly dir: string,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  private file(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.dir, sha256);
  }

  /** The cached bytes, or undefined (a corrupt entry is deleted). */
  async get(sha256: string): Promise<Uint8Array | undefined> {
    const file = this.file(sha256.toLowerCase());
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch {
      return undefined;
    }
    if (sha256Hex(bytes) === sha256.toLowerCase()) {
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined); // recency for eviction
      return bytes;
    }
    await rm(file, { force: true });
    return undefined;
  }

  /** Stores bytes under their own sha256 (write + rename, so concurrent workers sharing a cache never see half a file). */
  async put(bytes: Uint8Array): Promise<string> {
    const sha256 = sha256Hex(bytes);
    await mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${sha256}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    await writeFile(tmp, bytes);
    await rename(tmp, this.file(sha256));
    if (Number.isFinite(this.maxBytes)) await this.evict(sha256);
    return sha256;
  }

  /** Deletes least recently used entries until the cache fits maxBytes (never `keep`, the entry just written). */
  async evict(keep?: string): Promise<string[]> {
    const entries = [];
    for (const name of await readdir(this.dir)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const s = await stat(path.join(this.dir, name)).catch(() => undefined);
      if (s) entries.push({ name, size: s.size, mtime: s.mtimeMs });
    }
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    const evicted: string[] = [];
    for (const e of entries.sort((a, b) => a.mtime - b.mtime)) {
      if (total <= this.maxBytes) break;
      if (e.name === keep) continue;
      await rm(path.join(this.dir, e.name), { force: true });
      total -= e.size;
      evicted.push(e.name);
    }
    return evicted;
  }

  /**
   * Cached bytes for `sha256`, else `download()` them, check the digest and keep them. `hit` tells the caller which.
   */
  async fetch(sha256: string, download: () => Promise<Uint8Array>): Promise<{ bytes: Uint8Array; hit: boolean }> {
    const cached = await this.get(sha256);
    if (cached) return { bytes: cached, hit: true };
    const bytes = await download();
    const actual = sha256Hex(bytes);
    if (actual !== sha256.toLowerCase()) throw new CorruptDownloadError(`downloaded bytes hash to ${actual}, expected ${sha256}`);
    await this.put(bytes);
    return { bytes, hit: false };
  }
}

export class CorruptDownloadError extends Error {
  override name = "CorruptDownloadError";
}

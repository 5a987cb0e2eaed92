import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ArtifactCache, CorruptDownloadError, sha256Hex } from "./cache";

describe("ArtifactCache", () => {
  it("downloads once, then serves from disk by sha256", async () => {
    const cache = new ArtifactCache(await mkdtemp(path.join(os.tmpdir(), "tl-cache-")));
    const bytes = new TextEncoder().encode("a,b,label\n1,2,x\n");
    const sha = sha256Hex(bytes);
    let downloads = 0;
    const download = async () => {
      downloads++;
      return bytes;
    };
    expect((await cache.fetch(sha, download)).hit).toBe(false);
    const second = await cache.fetch(sha, download);
    expect(second.hit).toBe(true);
    expect(Buffer.from(second.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(downloads).toBe(1);
    expect((await readdir(cache.dir)).filter((f) => !f.startsWith("."))).toEqual([sha]);
  });

  it("rejects bytes that do not match the digest and drops corrupt entries", async () => {
    const cache = new ArtifactCache(await mkdtemp(path.join(os.tmpdir(), "tl-cache-")));
    const good = new TextEncoder().encode("good");
    const sha = sha256Hex(good);
    await expect(cache.fetch(sha, async () => new TextEncoder().encode("evil"))).rejects.toBeInstanceOf(CorruptDownloadError);
    await writeFile(path.join(cache.dir, sha), "tampered");
    expect(await cache.get(sha)).toBeUndefined();
    expect((await cache.fetch(sha, async () => good)).hit).toBe(false);
  });

  it("evicts the least recently used entries beyond maxBytes", async () => {
    const cache = new ArtifactCache(await mkdtemp(path.join(os.tmpdir(), "tl-cache-")), 25);
    const enc = (s: string) => new TextEncoder().encode(s);
    const a = await cache.put(enc("a".repeat(10)));
    await new Promise((r) => setTimeout(r, 20));
    const b = await cache.put(enc("b".repeat(10)));
    await new Promise((r) => setTimeout(r, 20));
    expect(await cache.get(a)).toBeDefined(); // a is now more recent than b
    await new Promise((r) => setTimeout(r, 20));
    const c = await cache.put(enc("c".repeat(10)));
    expect(await cache.get(b)).toBeUndefined();
    expect(await cache.get(a)).toBeDefined();
    expect(await cache.get(c)).toBeDefined();
  });
});

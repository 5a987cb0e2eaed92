import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "../errors";

export interface StoredBlob {
  sha256: string;
  sizeBytes: number;
  /** Where the store keeps the bytes (relative path on disk, object key on S3). */
  storageKey: string;
}

/** Where artifact bytes live. Local disk now; an S3-compatible store implements the same three methods. */
export interface ArtifactStore {
  /** Streams bytes in, hashing as they arrive; rejects with PAYLOAD_TOO_LARGE past maxBytes (nothing is kept). */
  put(source: Readable | Uint8Array, maxBytes: number): Promise<StoredBlob>;
  open(storageKey: string): Promise<Readable>;
  exists(storageKey: string): Promise<boolean>;
}

/** Content-addressed files under `<root>/<sha[0:2]>/<sha>`; a write goes to a temp file and is renamed into place. */
export class LocalArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  async put(source: Readable | Uint8Array, maxBytes: number): Promise<StoredBlob> {
    await mkdir(path.join(this.root, "tmp"), { recursive: true });
    const tmp = path.join(this.root, "tmp", `${process.pid}-${randomBytes(8).toString("hex")}`);
    const hash = createHash("sha256");
    let size = 0;
    try {
      if (source instanceof Uint8Array) {
        if (source.byteLength > maxBytes) throw tooLarge(maxBytes);
        hash.update(source);
        size = source.byteLength;
        const { writeFile } = await import("node:fs/promises");
        await writeFile(tmp, source);
      } else {
        const out = createWriteStream(tmp);
        await pipeline(
          source,
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              size += chunk.length;
              if (size > maxBytes) throw tooLarge(maxBytes);
              hash.update(chunk);
              yield chunk;
            }
          },
          out,
        );
      }
      const sha256 = hash.digest("hex");
      const storageKey = `${sha256.slice(0, 2)}/${sha256}`;
      await mkdir(path.join(this.root, sha256.slice(0, 2)), { recursive: true });
      await rename(tmp, path.join(this.root, storageKey));
      return { sha256, sizeBytes: size, storageKey };
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async open(storageKey: string): Promise<Readable> {
    return createReadStream(this.file(storageKey));
  }

  async exists(storageKey: string): Promise<boolean> {
    return stat(this.file(storageKey)).then(
      () => true,
      () => false,
    );
  }

  private file(storageKey: string): string {
    if (!/^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(storageKey)) throw new Error(`invalid storage key ${storageKey}`);
    return path.join(this.root, storageKey);
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `The upload is larger than the limit of ${maxBytes} bytes (UPLOAD_LIMIT_BYTES).`, {
    limitBytes: maxBytes,
  });
}

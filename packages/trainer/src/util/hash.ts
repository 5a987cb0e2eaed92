import { createHash } from "node:crypto";

export function sha256Hex(...parts: (Uint8Array | string)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/** Incremental hasher for canonical dataset content. */
export function createSha256() {
  const h = createHash("sha256");
  return {
    update(p: Uint8Array | string) {
      h.update(p);
      return this;
    },
    hex: () => h.digest("hex"),
  };
}

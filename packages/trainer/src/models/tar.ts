/** Minimal ustar writer/reader: regular files only, deterministic (mtime 0, uid/gid 0, mode 0644). */

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

function writeString(buf: Uint8Array, offset: number, length: number, value: string) {
  const bytes = enc.encode(value);
  if (bytes.length > length) throw new Error(`tar: '${value}' does not fit in ${length} bytes`);
  buf.set(bytes, offset);
}
function writeOctal(buf: Uint8Array, offset: number, length: number, value: number) {
  writeString(buf, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

export function packTar(files: { name: string; data: Uint8Array }[]): Uint8Array {
  const size = files.reduce((s, f) => s + BLOCK + Math.ceil(f.data.length / BLOCK) * BLOCK, 0) + 2 * BLOCK;
  const out = new Uint8Array(size);
  let off = 0;
  for (const f of files) {
    if (enc.encode(f.name).length > 100) throw new Error(`tar: file name too long: ${f.name}`);
    const h = out.subarray(off, off + BLOCK);
    writeString(h, 0, 100, f.name);
    writeOctal(h, 100, 8, 0o644);
    writeOctal(h, 108, 8, 0);
    writeOctal(h, 116, 8, 0);
    writeOctal(h, 124, 12, f.data.length);
    writeOctal(h, 136, 12, 0);
    h.fill(0x20, 148, 156); // checksum field counts as spaces
    h[156] = 0x30; // '0' regular file
    writeString(h, 257, 6, "ustar\0");
    writeString(h, 263, 2, "00");
    let sum = 0;
    for (const b of h) sum += b;
    writeString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    off += BLOCK;
    out.set(f.data, off);
    off += Math.ceil(f.data.length / BLOCK) * BLOCK;
  }
  return out;
}

function readString(buf: Uint8Array, offset: number, length: number): string {
  const slice = buf.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return dec.decode(end < 0 ? slice : slice.subarray(0, end));
}

/**
 * Reads regular files of a ustar/GNU tar archive (GNU long names included, as `tar` writes them for names over 100
 * bytes). Throws on a bad checksum or a truncated archive.
 */
export function unpackTar(bytes: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let longName: string | null = null;
  let off = 0;
  while (off + BLOCK <= bytes.length) {
    const h = bytes.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const stored = parseInt(readString(h, 148, 8).trim() || "0", 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== stored) throw new Error(`not a tar archive (header checksum mismatch at byte ${off})`);
    const prefix = readString(h, 345, 155);
    const name = (prefix ? `${prefix}/` : "") + readString(h, 0, 100);
    const size = parseInt(readString(h, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(h[156] || 0x30);
    off += BLOCK;
    if (off + size > bytes.length) throw new Error(`truncated tar archive: '${name}' needs ${size} bytes, ${bytes.length - off} left`);
    if (type === "L") longName = readString(bytes, off, size);
    else if (type === "0" || type === "\0") {
      files.set((longName ?? name).replace(/^\.\//, ""), bytes.slice(off, off + size));
      longName = null;
    }
    off += Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

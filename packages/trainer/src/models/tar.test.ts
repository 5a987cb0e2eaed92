import { describe, expect, it } from "vitest";
import { packTar, unpackTar } from "./tar";

describe("tar", () => {
  it("round-trips files", () => {
    const files = [
      { name: "model.json", data: new TextEncoder().encode('{"a":1}') },
      { name: "weights.bin", data: new Uint8Array(700).map((_, i) => i % 251) },
    ];
    const back = unpackTar(packTar(files));
    expect([...back.keys()]).toEqual(["model.json", "weights.bin"]);
    expect(back.get("weights.bin")).toEqual(files[1]!.data);
  });

  it("reads a GNU long name entry as the name of the file after it", () => {
    const longName = `${"deep/".repeat(30)}weights.bin`;
    const tar = packTar([
      { name: "././@LongLink", data: new TextEncoder().encode(`${longName}\0`) },
      { name: "truncated-name", data: new Uint8Array([1, 2, 3]) },
    ]);
    // Turn the first entry into GNU's 'L' (long name) record and fix its checksum.
    tar[156] = "L".charCodeAt(0);
    tar.fill(0x20, 148, 156);
    const sum = tar.subarray(0, 512).reduce((a, b) => a + b, 0);
    tar.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    const files = unpackTar(tar);
    expect([...files.keys()]).toEqual([longName]);
    expect(files.get(longName)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("rejects a header whose checksum does not match", () => {
    const tar = packTar([{ name: "a", data: new Uint8Array([1]) }]);
    tar[0] = "b".charCodeAt(0);
    expect(() => unpackTar(tar)).toThrow(/checksum/);
  });
});

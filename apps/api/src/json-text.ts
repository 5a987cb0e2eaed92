import { randomBytes } from "node:crypto";

/**
 * A value that is already JSON text (a metric column as Postgres wrote it: array_to_json of a float8[]). An HTTP
 * response written by stringifyResult below splices the text in as it is, so a comparison's several MB of numbers are
 * never parsed into JavaScript numbers and written out again (history-scale: that round trip and the garbage it left
 * were a third of a 50-run compareRuns). Anywhere else (graphql-ws, JSON.stringify of a result held in
 * memory) it serializes as the parsed value, so it is never wrong, only slower there.
 */
export class JsonText {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    if (splicing) return `${MARKER}${splicing.push(this.text) - 1}`;
    return JSON.parse(this.text);
  }
}

/**
 * What a JsonText becomes while stringifyResult runs: a string no other string of a result can serialize to, since it
 * starts with a NUL (which JSON escapes as \u0000) followed by a random nonce that never leaves the process. Made once:
 * random bytes cost ~6 us per call here, 20 times the whole stringify of a worker's small response.
 */
const MARKER = `\u0000jsontext-${randomBytes(12).toString("base64url")}-`;
/** The marker as JSON.stringify writes it (quoted, the NUL escaped), with the JsonText's index after it. */
const WRITTEN_MARKER = new RegExp(`"${JSON.stringify(MARKER).slice(1, -1).replace(/[\\^$.*+?()[\]{}|-]/g, "\\$&")}(\\d+)"`, "g");

/** The texts of the stringifyResult call in progress (JSON.stringify is synchronous, so one call at a time). */
let splicing: string[] | null = null;

/**
 * JSON.stringify for a GraphQL result (Apollo's `stringifyResult`, ending in a newline as Apollo's own) that writes each
 * JsonText's text in place of its marker.
 */
export function stringifyResult(value: unknown): string {
  const texts: string[] = [];
  splicing = texts;
  let json: string;
  try {
    json = JSON.stringify(value) + "\n";
  } finally {
    splicing = null;
  }
  if (texts.length === 0) return json;
  return json.replace(WRITTEN_MARKER, (_match, index: string) => texts[Number(index)]!);
}

/** A value to put into a GraphQL result at a response path once execution is done (see metric-points-json.ts). */
export interface ResultSplice {
  path: readonly (string | number)[];
  value: JsonText;
}

/**
 * Puts each splice's value at its path in `data`. A path whose parent is gone (an error elsewhere nulled it, as GraphQL
 * does up to the nearest nullable field) is skipped: that part of the result is null anyway.
 */
export function applySplices(data: unknown, splices: readonly ResultSplice[]): void {
  for (const { path, value } of splices) {
    let node: unknown = data;
    for (let i = 0; i < path.length - 1 && node != null; i++) node = (node as Record<string | number, unknown>)[path[i]!];
    if (node != null && typeof node === "object") (node as Record<string | number, unknown>)[path[path.length - 1]!] = value;
  }
}

import { randomBytes } from "node:crypto";

/**
 * A value that is already JSON text (a metric column as Postgres wrote it, migration-free: json_agg of a float8
 * column). An HTTP response written by stringifyResult below splices the text in as it is, so a comparison's several MB
 * of numbers are never parsed into JavaScript numbers and written out again (history-scale: that round trip and the
 * garbage it left were a third of a 50-run compareRuns). Anywhere else (graphql-ws, JSON.stringify of a result held in
 * memory) it serializes as the parsed value, so it is never wrong, only slower there.
 */
export class JsonText {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    if (splicing) return `${splicing.marker}${splicing.texts.push(this.text) - 1}`;
    return JSON.parse(this.text);
  }
}

/** The stringifyResult call in progress (JSON.stringify is synchronous, so one at a time). */
let splicing: { marker: string; texts: string[] } | null = null;

/**
 * JSON.stringify for a GraphQL result (Apollo's `stringifyResult`, ending in a newline as Apollo's own) that writes each
 * JsonText's text in place. Each JsonText first becomes a string that no other string of the result can serialize to
 * (a NUL, which JSON escapes as \u0000, then a per-call random nonce); those are then replaced by the texts.
 */
export function stringifyResult(value: unknown): string {
  const state = { marker: `\u0000jsontext-${randomBytes(9).toString("base64url")}-`, texts: [] as string[] };
  splicing = state;
  let json: string;
  try {
    json = JSON.stringify(value) + "\n";
  } finally {
    splicing = null;
  }
  if (state.texts.length === 0) return json;
  // As JSON.stringify wrote the marker: quoted, with the NUL escaped.
  const written = JSON.stringify(state.marker).slice(1, -1).replace(/[\\^$.*+?()[\]{}|-]/g, "\\$&");
  return json.replace(new RegExp(`"${written}(\\d+)"`, "g"), (_match, index: string) => state.texts[Number(index)]!);
}

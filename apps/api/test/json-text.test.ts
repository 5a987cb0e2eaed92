import { describe, expect, it } from "vitest";
import { JsonText, stringifyResult } from "../src/json-text";

describe("JsonText in GraphQL responses", () => {
  it("splices each text in place, anywhere in the result, and ends with a newline as Apollo does", () => {
    const result = { data: { a: new JsonText("[1,2.5,-3e-7]"), list: [{ b: new JsonText("[]") }, { b: new JsonText("[4]") }], s: "x" } };
    const text = stringifyResult(result);
    expect(text).toBe('{"data":{"a":[1,2.5,-3e-7],"list":[{"b":[]},{"b":[4]}],"s":"x"}}\n');
    expect(stringifyResult({ data: { s: "no texts" } })).toBe('{"data":{"s":"no texts"}}\n');
  });

  it("leaves alone a string of the result that looks like its marker", () => {
    const lookalike = "\u0000jsontext-AAAAAAAAAAAA-0";
    const text = stringifyResult({ data: { s: lookalike, t: `"${lookalike}"`, a: new JsonText("[7]") } });
    expect(JSON.parse(text)).toEqual({ data: { s: lookalike, t: `"${lookalike}"`, a: [7] } });
  });

  it("serializes as its parsed value anywhere else (graphql-ws, JSON.stringify)", () => {
    expect(JSON.stringify({ a: new JsonText("[1, 2]") })).toBe('{"a":[1,2]}');
  });
});

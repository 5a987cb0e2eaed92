import { type FieldNode, type OperationDefinitionNode, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { pointsJson } from "../src/domain/metric-points-json";
import { applySplices, JsonText, type ResultSplice, stringifyResult } from "../src/json-text";
import { resolvers } from "../src/resolvers";

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

describe("splices", () => {
  it("puts each value at its path and skips a path whose parent an error nulled", () => {
    const data: any = { compareRuns: { runs: [{ metrics: [{ key: "loss", points: [] }] }, null] } };
    applySplices(data, [
      { path: ["compareRuns", "runs", 0, "metrics", 0, "points"], value: new JsonText('[{"step":1}]') },
      { path: ["compareRuns", "runs", 1, "metrics", 0, "points"], value: new JsonText("[]") },
    ]);
    expect(stringifyResult({ data })).toBe('{"data":{"compareRuns":{"runs":[{"metrics":[{"key":"loss","points":[{"step":1}]}]},null]}}}\n');
  });

  it("builds a series' points from its column texts, and leaves a non-finite value to graphql-js", () => {
    const columns = { steps: new JsonText("[1,2]"), values: new JsonText("[0.5,-3e-07]"), mins: new JsonText("[0.25,-1]"), maxs: new JsonText("[1,2]") };
    expect(pointsJson(columns, ["step", "value", "min", "max"])?.text).toBe('[{"step":1,"value":0.5,"min":0.25,"max":1},{"step":2,"value":-3e-07,"min":-1,"max":2}]');
    expect(JSON.parse(pointsJson(columns, ["max", "step"])!.text)).toEqual([{ max: 1, step: 1 }, { max: 2, step: 2 }]);
    const empty = new JsonText("[]");
    expect(pointsJson({ steps: empty, values: empty, mins: empty, maxs: empty }, ["step"])?.text).toBe("[]");
    expect(pointsJson({ ...columns, values: new JsonText('[0.5,"NaN"]') }, ["step", "value"])).toBeNull();
    expect(pointsJson({ ...columns, values: new JsonText('[0.5,"NaN"]') }, ["step", "min"])).not.toBeNull();
  });
});

describe("MetricSeries.points", () => {
  const series = { key: "loss", columns: { steps: new JsonText("[1,2]"), values: new JsonText("[0.5,0.25]"), mins: new JsonText("[0.5,0.25]"), maxs: new JsonText("[0.5,0.25]") } };
  const infoFor = (query: string) => {
    const field = (parse(query).definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
    return { fieldNodes: [field], path: { prev: { prev: undefined, key: "metrics", typename: "Run" }, key: 0, typename: undefined } };
  };
  const points = (ctx: object, query: string) => (resolvers.MetricSeries as any).points(series, {}, ctx, infoFor(query));

  it("over HTTP, leaves a plain selection's points as text to splice in at its path", () => {
    const ctx = { splices: [] as ResultSplice[] };
    expect(points(ctx, "{ points { step value } }")).toEqual([]);
    expect(ctx.splices.map((s) => [s.path, s.value.text])).toEqual([[["metrics", 0], '[{"step":1,"value":0.5},{"step":2,"value":0.25}]']]);
  });

  it("returns the objects for graphql-js otherwise (a WebSocket, an alias, __typename)", () => {
    const objects = [{ step: 1, value: 0.5, min: 0.5, max: 0.5 }, { step: 2, value: 0.25, min: 0.25, max: 0.25 }];
    expect(points({}, "{ points { step value } }")).toEqual(objects);
    for (const query of ["{ points { step v: value } }", "{ points { step __typename } }", "{ points { ... on MetricPoint { step } } }"]) {
      const ctx = { splices: [] as ResultSplice[] };
      expect(points(ctx, query)).toEqual(objects);
      expect(ctx.splices).toEqual([]);
    }
  });
});

import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { JsonText } from "../json-text";

/** ISO-8601 date-times: Dates and strings out; ISO strings in (anything unparseable is a validation error). */
export const DateTime = new GraphQLScalarType({
  name: "DateTime",
  description: "ISO-8601 date-time string",
  serialize(value) {
    const d = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(d.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return d.toISOString();
  },
  parseValue(value) {
    if (typeof value !== "string" || Number.isNaN(new Date(value).getTime()))
      throw new GraphQLError(`DateTime must be an ISO-8601 string such as 2026-01-31T12:00:00Z (got ${JSON.stringify(value)}).`);
    return new Date(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime()))
      throw new GraphQLError("DateTime must be an ISO-8601 string such as 2026-01-31T12:00:00Z.");
    return new Date(ast.value);
  },
});

function literal(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literal(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new GraphQLError(`JSON cannot represent ${ast.kind}`);
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: "JSON",
  description: "Any JSON value",
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literal,
});

/**
 * Arrays of finite numbers, passed through as one value (MetricColumns). A non-finite number fails as it does for
 * Float (JSON would turn it into null without a word). A JsonText is a column as Postgres wrote it (get-run-metrics.ts),
 * spliced into the response as it is: Postgres writes a non-finite float8 as a JSON string ("NaN"), so a quote in the
 * text is the one thing to look for.
 */
export const NumberList = new GraphQLScalarType({
  name: "NumberList",
  description: "A list of numbers sent as one JSON array",
  serialize(value) {
    if (value instanceof JsonText) {
      if (!value.text.includes('"')) return value;
      value = JSON.parse(value.text);
    }
    if (!Array.isArray(value)) throw new GraphQLError(`NumberList cannot represent ${typeof value}`);
    for (const v of value as unknown[])
      if (typeof v !== "number" || !Number.isFinite(v)) throw new GraphQLError(`NumberList cannot represent ${String(v)}`);
    return value;
  },
  parseValue() {
    throw new GraphQLError("NumberList is an output type only.");
  },
  parseLiteral() {
    throw new GraphQLError("NumberList is an output type only.");
  },
});

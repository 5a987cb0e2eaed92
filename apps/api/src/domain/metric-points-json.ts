import { type FieldNode, type GraphQLResolveInfo, Kind } from "graphql";
import { JsonText } from "../json-text";
import type { MetricColumnsModel } from "./get-run-metrics";

/** MetricPoint's fields, each with the column that holds it. */
const COLUMN_OF = { step: "steps", value: "values", min: "mins", max: "maxs" } as const;
type PointField = keyof typeof COLUMN_OF;

/**
 * The fields a `points` selection asks for, in the order GraphQL writes them, when the selection is plain: only
 * MetricPoint's own fields, without aliases, arguments, directives, fragments or __typename. Anything else returns
 * null and goes through graphql-js as usual.
 */
export function plainPointFields(info: Pick<GraphQLResolveInfo, "fieldNodes">): PointField[] | null {
  const fields: PointField[] = [];
  for (const node of info.fieldNodes as readonly FieldNode[]) {
    for (const s of node.selectionSet?.selections ?? []) {
      if (s.kind !== Kind.FIELD || s.alias || s.arguments?.length || s.directives?.length || !(s.name.value in COLUMN_OF)) return null;
      const name = s.name.value as PointField;
      if (!fields.includes(name)) fields.push(name);
    }
  }
  return fields.length ? fields : null;
}

/**
 * A series' points as JSON text with the values and field order graphql-js would write for `points { <fields> }` (the
 * numbers as Postgres formats them: `1e-05` for JavaScript's `0.00001`), built from the column texts without parsing a
 * number: 78,200 points of a 50-run comparison as objects cost graphql-js most of the request
 * (history-scale). Null when a column holds a non-finite value (Postgres writes it as a JSON string), which must fail
 * as Float fails, through graphql-js.
 */
export function pointsJson(columns: MetricColumnsModel, fields: readonly PointField[]): JsonText | null {
  // A stored series shares one text for values, mins and maxs: each text is checked and split once.
  const split = new Map<JsonText, string[]>();
  const cells: string[][] = [];
  for (const f of fields) {
    const column = columns[COLUMN_OF[f]];
    let numbers = split.get(column);
    if (!numbers) {
      if (column.text.includes('"')) return null;
      // array_to_json writes `[1,2.5,-3e-07]`: the numbers themselves hold no comma.
      numbers = column.text.length <= 2 ? [] : column.text.slice(1, -1).split(",");
      split.set(column, numbers);
    }
    cells.push(numbers);
  }
  const n = cells[0]!.length;
  if (cells.some((c) => c.length !== n)) throw new Error("pointsJson: the series' columns differ in length");
  const keys = fields.map((f, j) => `${j === 0 ? "{" : ","}"${f}":`);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let o = "";
    for (let j = 0; j < keys.length; j++) o += keys[j]! + cells[j]![i]!;
    out[i] = o + "}";
  }
  return new JsonText(`[${out.join(",")}]`);
}

/** A resolver's response path (info.path) as keys from the root. */
export function responsePath(path: GraphQLResolveInfo["path"]): (string | number)[] {
  const keys: (string | number)[] = [];
  for (let p: GraphQLResolveInfo["path"] | undefined = path; p; p = p.prev) keys.push(p.key);
  return keys.reverse();
}

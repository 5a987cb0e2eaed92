import { type DocumentNode, type GraphQLError, type GraphQLSchema, parse, type Source, type ValidationRule, validate } from "graphql";

/** The most distinct operations kept; past it the cache starts over (clients send a handful of distinct documents). */
const MAX_DOCUMENTS = 1000;

/**
 * parse and validate for graphql-ws, with each operation's text parsed and validated once per process, as Apollo does
 * over HTTP. Without it every message on a WebSocket (a worker's epoch report over its socket, each subscription) is
 * parsed and validated again: measured, that made a report over a WebSocket cost the API more CPU than over HTTP.
 * Validation depends only on the document (the schema and the rules are fixed per server), so its errors are kept too.
 */
export function cachedDocuments(rules: readonly ValidationRule[]): {
  parse: (source: string | Source) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
} {
  const documents = new Map<string, DocumentNode>();
  const verdicts = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  return {
    parse: (source) => {
      if (typeof source !== "string") return parse(source);
      const hit = documents.get(source);
      if (hit) return hit;
      const document = parse(source); // a syntax error throws and is not kept
      if (documents.size >= MAX_DOCUMENTS) documents.clear();
      documents.set(source, document);
      return document;
    },
    validate: (schema, document) => {
      const hit = verdicts.get(document);
      if (hit) return hit;
      const errors = validate(schema, document, rules);
      verdicts.set(document, errors);
      return errors;
    },
  };
}

// Minimal typed GraphQL-over-HTTP client for the dashboard's generated documents.
import type { TypedDocumentString } from "@/gql/graphql";

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly errors: GraphQLErrorShape[] = [],
    readonly network = false,
  ) {
    super(message);
    this.name = "ApiError";
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export async function gqlRequest<TResult, TVariables>(
  apiUrl: string,
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
  signal?: AbortSignal,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
      signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(`Cannot reach the API at ${apiUrl} (${(err as Error).message}). Is it running?`, [], true);
  }
  let body: { data?: TResult | null; errors?: GraphQLErrorShape[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The API answered HTTP ${response.status} without a GraphQL response`, [], true);
  }
  if (body.errors?.length) {
    throw new ApiError(body.errors.map((e) => e.message).join("; "), body.errors);
  }
  if (!body.data) throw new ApiError(`The API answered HTTP ${response.status} with no data`);
  return body.data;
}

/** Absolute URL for an artifact download URL that may be API-relative. */
export function absoluteUrl(apiUrl: string, url: string): string {
  try {
    return new URL(url, `${apiUrl}/`).toString();
  } catch {
    return url;
  }
}

/**
 * Maps API errors to form fields: extensions.field (or argumentName / path hints) when given, else the first field
 * whose name or alias the message mentions. Unmatched errors go to "_form".
 */
export function fieldErrors(err: unknown, aliases: Record<string, string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (key: string, msg: string) => (out[key] = out[key] ? `${out[key]}; ${msg}` : msg);
  if (!(err instanceof ApiError) || err.errors.length === 0) {
    add("_form", err instanceof Error ? err.message : String(err));
    return out;
  }
  const fields = Object.keys(aliases);
  const norm = (x: string) => x.toLowerCase().replace(/[^a-z0-9]/g, "");
  // The API reports several problems in one error as extensions.fields = [{ field, message }].
  const errors = err.errors.flatMap((e): GraphQLErrorShape[] => {
    const list = e.extensions?.fields;
    if (Array.isArray(list) && list.every((f) => f && typeof f === "object" && "message" in f)) {
      return (list as { field?: string; message: string }[]).map((f) => ({ message: f.message, extensions: { field: f.field } }));
    }
    return [e];
  });
  for (const e of errors) {
    const ext = e.extensions ?? {};
    const hints = [ext.field, ext.argumentName, ext.path]
      .flat()
      .filter((x): x is string => typeof x === "string")
      .flatMap((h) => [h, h.split(".").pop() ?? h]);
    let field = fields.find((f) => hints.some((h) => norm(h) === norm(f) || aliases[f]!.some((a) => norm(a) === norm(h))));
    if (!field) {
      const msg = e.message.toLowerCase();
      const candidates = fields.flatMap((f) => [f, f.replace(/([A-Z])/g, " $1"), ...aliases[f]!].map((a) => [f, a.toLowerCase()] as const));
      candidates.sort((a, b) => b[1].length - a[1].length);
      field = candidates.find(([, a]) => msg.includes(a))?.[0];
    }
    add(field ?? "_form", e.message);
  }
  return out;
}

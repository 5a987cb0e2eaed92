import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildASTSchema, concatAST, type GraphQLSchema, parse, printSchema } from "graphql";

const schemaDir = path.dirname(fileURLToPath(import.meta.url));

/** The SDL files in a fixed order: the contract first, then the API's own modules alphabetically. */
export async function loadTypeDefs(): Promise<string[]> {
  const files = (await readdir(schemaDir)).filter((f) => f.endsWith(".graphql")).sort((a, b) => {
    if (a === "contract.graphql") return -1;
    if (b === "contract.graphql") return 1;
    return a.localeCompare(b);
  });
  return Promise.all(files.map((f) => readFile(path.join(schemaDir, f), "utf8")));
}

/** Builds the served schema (without resolvers) from the SDL modules, applying every `extend`. */
export async function buildMergedSchema(): Promise<GraphQLSchema> {
  const docs = (await loadTypeDefs()).map((t) => parse(t));
  return buildASTSchema(concatAST(docs));
}

export async function printMergedSchema(): Promise<string> {
  return printSchema(await buildMergedSchema());
}

/** The public contract as the shared folder defines it (copied verbatim into contract.graphql). */
export async function loadContractSchema(): Promise<GraphQLSchema> {
  return buildASTSchema(parse(await readFile(path.join(schemaDir, "contract.graphql"), "utf8")));
}

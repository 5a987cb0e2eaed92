import { existsSync } from "node:fs";
import type { CodegenConfig } from "@graphql-codegen/cli";

// The API commits its merged schema (contract + additions) at apps/api/schema.graphql.
const schema = process.env.TUNELAB_SCHEMA ?? "../api/schema.graphql";
if (!existsSync(schema)) throw new Error(`GraphQL schema not found at ${schema}`);

const config: CodegenConfig = {
  schema,
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**"],
  ignoreNoDocuments: true,
  generates: {
    "./src/gql/": {
      preset: "client",
      config: {
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", JSON: "unknown", NumberList: "number[]" },
        avoidOptionals: { field: true, inputValue: false, object: true },
        skipTypename: false,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;

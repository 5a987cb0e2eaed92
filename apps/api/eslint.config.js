import { config } from "@tunelab/eslint-config";

export default [
  ...config(),
  // Tests read untyped GraphQL responses (JSON); typing every shape would add noise, not safety.
  { files: ["test/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
];

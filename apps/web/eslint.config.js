import { config } from "@tunelab/eslint-config";
import globals from "globals";

export default [
  ...config({ ignores: ["src/gql/**", "next-env.d.ts"] }),
  { files: ["src/**/*.tsx", "src/**/*.ts"], languageOptions: { globals: { ...globals.browser } } },
];

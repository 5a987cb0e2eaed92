// Shared flat config: typescript-eslint's type-aware-free recommended rules plus a few that catch real bugs.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** @param {{ ignores?: string[] }} [options] */
export function config(options = {}) {
  return tseslint.config(
    { ignores: ["dist/**", ".next/**", "node_modules/**", "coverage/**", "**/*.gen.ts", "**/generated/**", ...(options.ignores ?? [])] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
      languageOptions: { globals: { ...globals.node } },
      rules: {
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        "@typescript-eslint/consistent-type-imports": "error",
        "no-console": "off",
        eqeqeq: ["error", "smart"],
      },
    },
  );
}

export default config();

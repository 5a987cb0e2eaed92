import { defineConfig } from "drizzle-kit";

// `drizzle-kit generate` works offline from the schema alone; migrations are committed and append-only.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema/index.ts",
  out: "./drizzle",
});

// Validates the shared configs: each file parses and every "extends" points at a file in this package.
import { readFileSync, existsSync } from "node:fs";

let failed = false;
for (const file of ["base.json", "node.json", "nextjs.json"]) {
  try {
    const config = JSON.parse(readFileSync(new URL(file, import.meta.url), "utf8"));
    if (config.extends && !existsSync(new URL(config.extends, import.meta.url))) throw new Error(`extends ${config.extends}, which does not exist`);
    if (!config.compilerOptions) throw new Error("has no compilerOptions");
  } catch (error) {
    failed = true;
    console.error(`${file}: ${error.message}`);
  }
}
if (failed) process.exit(1);
console.log("tsconfig: base.json, node.json, nextjs.json are valid");

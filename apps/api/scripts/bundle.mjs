/**
 * Bundles a Node entry of the API (default src/main.ts -> dist/main.mjs) into one ES module, so `pnpm start` runs
 * plain JavaScript instead of compiling TypeScript at run time: tsx's loader thread and its transpile caches cost the
 * embedded API 30-50 MiB of its peak RSS (docs/benchmarks.md). The workspace's TypeScript (@tunelab/*) goes into the
 * bundle; packages from node_modules stay external, imported by path so each resolves from the package that depends
 * on it (pnpm gives apps/api no direct access to, say, @electric-sql/pglite). `import.meta.url` in workspace sources
 * keeps meaning the source file, so paths next to it (migrations, the initdb script, schema files, builtin assets)
 * still resolve.
 *
 *   node scripts/bundle.mjs [entry.ts] [out.mjs]      (bench/ bundles its API child process the same way)
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Bundles `entry` to `outfile` (absolute or relative to the working directory). */
export async function bundleNodeEntry(entry, outfile) {
  const outDir = path.dirname(path.resolve(outfile));
  const fromOut = (file) => {
    const rel = path.relative(outDir, file).split(path.sep).join("/");
    return rel.startsWith(".") ? rel : `./${rel}`;
  };
  const workspaceSources = {
    name: "workspace-sources",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === "inner" || args.path.startsWith("node:") || args.path.startsWith("@tunelab/")) return undefined;
        const resolved = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: "inner" });
        if (resolved.errors.length > 0 || !resolved.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        return { path: fromOut(resolved.path), external: true };
      });
      b.onLoad({ filter: /[\\/](apps|packages)[\\/][^\\/]+[\\/]src[\\/].*\.(ts|mjs)$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        const contents = source.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromOut(args.path))}, import.meta.url).href`);
        return { contents, loader: args.path.endsWith(".ts") ? "ts" : "js" };
      });
    },
  };
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked", // run with NODE_OPTIONS=--enable-source-maps for TypeScript positions in stack traces
    plugins: [workspaceSources],
    logLevel: "warning",
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  await bundleNodeEntry(process.argv[2] ?? path.join(here, "../src/main.ts"), process.argv[3] ?? path.join(here, "../dist/main.mjs"));
}

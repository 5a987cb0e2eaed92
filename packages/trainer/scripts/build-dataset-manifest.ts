// Regenerates src/datasets/builtin-manifest.json (class counts, sizes and sha256 of each built-in dataset).
// pnpm --filter @tunelab/trainer exec tsx scripts/build-dataset-manifest.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { builtinDatasetNames, canonicalHash, loadBuiltinDataset } from "../src/datasets";

const out: Record<string, unknown> = {};
for (const name of builtinDatasetNames()) {
  const t0 = Date.now();
  const ds = loadBuiltinDataset(name);
  const { sizeBytes } = canonicalHash(ds.task, ds.classNames, ds.examples, ds.labels);
  out[name] = { classNames: ds.classNames, classCounts: ds.classCounts, numExamples: ds.numExamples, sha256: ds.sha256, sizeBytes };
  console.log(`${name}: ${ds.numExamples} examples, sha256 ${ds.sha256} (${Date.now() - t0} ms)`);
}
writeFileSync(fileURLToPath(new URL("../src/datasets/builtin-manifest.json", import.meta.url)), JSON.stringify(out, null, 2) + "\n");

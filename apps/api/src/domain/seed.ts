import { readFile } from "node:fs/promises";
import { datasets, models, projects } from "@tunelab/db";
import { and, eq, sql } from "drizzle-orm";
import type { Services } from "../context";
import { listBuiltinBaseModels, listBuiltinDatasets } from "../trainer";
import { storeArtifact } from "./store-artifact";

export const DEFAULT_PROJECT_NAME = "default";

/**
 * First-start data so a new user can launch a run at once: the default project, the trainer's builtin datasets and
 * its base models (bundles stored through the artifact store so Model.artifact.downloadUrl works). Idempotent, and
 * safe with two processes starting together (one transaction under an advisory lock).
 */
export async function seed(s: Services): Promise<void> {
  const builtinModels = await listBuiltinBaseModels();
  // Store bundles first (content-addressed, idempotent); the rows go in under the lock below.
  const bundles = new Map<string, string>();
  for (const m of builtinModels) {
    try {
      const a = await storeArtifact(s.handle.db, s.store, await readFile(m.bundlePath), "application/x-tar", Number.MAX_SAFE_INTEGER);
      bundles.set(m.name, a.id);
    } catch (error) {
      s.log.warn({ err: error, model: m.name }, "could not store a builtin base model bundle; skipping it");
    }
  }
  await s.handle.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(727002)`);
    await tx.insert(projects).values({ name: DEFAULT_PROJECT_NAME }).onConflictDoNothing({ target: projects.name });
    for (const d of listBuiltinDatasets()) {
      const [existing] = await tx
        .select({ id: datasets.id })
        .from(datasets)
        .where(and(eq(datasets.name, d.name), eq(datasets.sha256, d.sha256)));
      if (existing) continue;
      const [{ v } = { v: 0 }] = await tx
        .select({ v: sql<number>`coalesce(max(${datasets.version}), 0)::int` })
        .from(datasets)
        .where(eq(datasets.name, d.name));
      await tx.insert(datasets).values({
        name: d.name,
        version: Number(v) + 1,
        task: d.task,
        classNames: d.classNames,
        classCounts: d.classNames.map((c) => d.classCounts[c] ?? 0),
        numExamples: d.numExamples,
        sha256: d.sha256,
        sizeBytes: d.sizeBytes,
        source: `builtin:${d.name}`,
        format: "builtin",
        options: d.options,
        description: d.description,
      });
    }
    for (const m of builtinModels) {
      const artifactId = bundles.get(m.name);
      if (!artifactId) continue;
      const [existing] = await tx
        .select({ id: models.id })
        .from(models)
        .where(and(eq(models.name, m.name), eq(models.artifactId, artifactId)));
      if (existing) continue;
      const [{ v } = { v: 0 }] = await tx
        .select({ v: sql<number>`coalesce(max(${models.version}), 0)::int` })
        .from(models)
        .where(eq(models.name, m.name));
      await tx.insert(models).values({
        name: m.name,
        version: Number(v) + 1,
        kind: "BASE",
        task: m.task,
        layers: m.layers,
        classNames: m.classNames,
        totalParams: m.layers.reduce((acc, l) => acc + l.params, 0),
        inputShape: m.inputShape.map((d) => (d == null ? -1 : d)),
        artifactId,
        metadata: { builtin: true, recipe: m.recipe },
        description: m.description,
      });
    }
  });
  s.log.info({ datasets: listBuiltinDatasets().length, models: builtinModels.length }, "seed data present");
}

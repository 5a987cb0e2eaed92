import { artifacts, type ModelRow, models } from "@tunelab/db";
import { packTar } from "../trainer";
import { eq } from "drizzle-orm";
import type { Context } from "../context";
import { AppError, badInput, isUuid, notFound } from "../errors";
import { inspectModelBundle, isTar, parseModelJson } from "./model-bundle";
import { nextVersion } from "./next-version";
import { readAll } from "./register-dataset";
import { storeArtifact } from "./store-artifact";

export interface ImportModelInput {
  name: string;
  task: "IMAGE_CLASSIFICATION" | "TEXT_CLASSIFICATION" | "TABULAR_CLASSIFICATION";
  artifactId?: string | null;
  url?: string | null;
  classNames?: string[] | null;
  description?: string | null;
}

const FETCH_TIMEOUT_MS = 60_000;

async function fetchBytes(url: string, limit: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: "follow" });
  } catch (e) {
    throw new AppError("UPSTREAM_FAILED", `Could not download ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new AppError("UPSTREAM_FAILED", `Downloading ${url} answered HTTP ${res.status}.`);
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > limit) throw new AppError("PAYLOAD_TOO_LARGE", `${url} is ${declared} bytes, above the limit of ${limit} bytes.`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += c.length;
    if (size > limit) throw new AppError("PAYLOAD_TOO_LARGE", `${url} is larger than the limit of ${limit} bytes.`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/**
 * Imports a base model from an uploaded tar bundle (model.json + weights) or an http(s) URL (a bundle, or a
 * model.json whose weight files are fetched next to it and bundled). The bundle is checked and its layers described
 * before anything is stored; the model becomes a new immutable BASE version of the name.
 */
export async function importModel(ctx: Context, input: ImportModelInput): Promise<ModelRow> {
  const name = input.name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$/.test(name))
    throw badInput("name must be 1-100 characters: letters, digits, space, dot, dash, underscore.", { field: "name" });
  if ((input.artifactId == null) === (input.url == null)) throw badInput("Give exactly one of artifactId (from POST /artifacts) or url.");
  let bytes: Uint8Array;
  const metadata: Record<string, unknown> = {};
  if (input.artifactId != null) {
    if (!isUuid(input.artifactId)) throw notFound("artifact", input.artifactId);
    const [a] = await ctx.handle.db.select().from(artifacts).where(eq(artifacts.id, input.artifactId));
    if (!a) throw notFound("artifact", input.artifactId);
    bytes = await readAll(await ctx.store.open(a.storageKey));
    metadata.importedFrom = { artifactId: a.id };
  } else {
    let url: URL;
    try {
      url = new URL(input.url!);
    } catch {
      throw badInput(`url ${JSON.stringify(input.url)} is not a valid URL.`, { field: "url" });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw badInput("url must be http:// or https://.", { field: "url" });
    const first = await fetchBytes(url.toString(), ctx.env.uploadLimitBytes);
    if (isTar(first)) bytes = first;
    else {
      const json = parseModelJson(first);
      const paths = json.weightsManifest!.flatMap((g) => g.paths);
      const files = [{ name: "model.json", data: first }];
      for (const p of paths) {
        if (/^[a-z]+:|\.\./i.test(p)) throw badInput(`Weight path ${p} in model.json must be relative to it.`);
        files.push({ name: p.replace(/^\.\//, ""), data: await fetchBytes(new URL(p, url).toString(), ctx.env.uploadLimitBytes) });
      }
      try {
        bytes = packTar(files);
      } catch (e) {
        throw badInput(`The model files cannot be bundled: ${(e as Error).message}.`);
      }
    }
    metadata.importedFrom = { url: url.toString() };
  }
  const info = inspectModelBundle(bytes);
  let classNames = input.classNames ?? null;
  if (!classNames) {
    if (!info.outputUnits) throw badInput("Cannot tell the number of classes from the last layer: pass classNames.");
    classNames = Array.from({ length: info.outputUnits }, (_, i) => `class_${i}`);
  } else if (info.outputUnits != null && classNames.length !== info.outputUnits) {
    throw badInput(`classNames has ${classNames.length} names but the model's last layer has ${info.outputUnits} units.`, { field: "classNames" });
  }
  const artifact = await storeArtifact(ctx.handle.db, ctx.store, bytes, "application/x-tar", ctx.env.uploadLimitBytes);
  const model = await ctx.handle.db.transaction(async (tx) => {
    const version = await nextVersion(tx, "models", name);
    const [row] = await tx
      .insert(models)
      .values({
        name,
        version,
        kind: "BASE",
        task: input.task,
        layers: info.layers,
        classNames,
        totalParams: info.totalParams,
        inputShape: info.inputShape,
        artifactId: artifact.id,
        metadata,
        description: input.description ?? null,
      })
      .returning();
    return row!;
  });
  ctx.log.info({ modelId: model.id, name, version: model.version }, "model imported");
  return model;
}

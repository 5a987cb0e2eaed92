// Seeding helpers: tests create their own data through the public GraphQL API.
import { randomUUID } from "node:crypto";

export function apiUrl(): string {
  const url = process.env.E2E_API_URL;
  if (!url) throw new Error("E2E_API_URL is not set: the global setup did not start the system");
  return url;
}

export async function gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${apiUrl()}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
  if (!body.data) throw new Error(`GraphQL: HTTP ${res.status} without data`);
  return body.data;
}

export interface SeedDataset {
  id: string;
  name: string;
  version: number;
  task: string;
  numExamples: number;
}
export interface SeedModel {
  id: string;
  name: string;
  version: number;
  kind: string;
  task: string;
  layers: { index: number; name: string; params: number }[];
}

export async function catalog(): Promise<{ datasets: SeedDataset[]; models: SeedModel[] }> {
  return gql(`{
    datasets { id name version task numExamples }
    models(kind: BASE) { id name version kind task layers { index name params } }
  }`);
}

/**
 * A dataset with a compatible base model of at least `minLayers` layers: spam-assassin when present, else the smallest
 * with >= 1,000 examples (so an epoch takes long enough to watch it arrive), else the largest.
 */
export async function fineTunablePair(minLayers = 3): Promise<{ dataset: SeedDataset; model: SeedModel }> {
  const { datasets, models } = await catalog();
  const size = (n: number) => (n >= 1_000 ? n : 1e9 - n);
  // Spam vs ham on the SOTU-vs-Moby-Dick text model is a task the base model was not trained on, and trains in
  // seconds; other pairs are fallbacks.
  const rank = (name: string) => (name === "spam-assassin" ? 0 : 1);
  const pairs = datasets
    .flatMap((dataset) => models.filter((m) => m.task === dataset.task && m.layers.length >= minLayers).map((model) => ({ dataset, model })))
    .sort((a, b) => rank(a.dataset.name) - rank(b.dataset.name) || size(a.dataset.numExamples) - size(b.dataset.numExamples));
  if (!pairs[0]) throw new Error(`no dataset with a compatible base model of >= ${minLayers} layers: ${JSON.stringify({ datasets, models })}`);
  return pairs[0];
}

/** Datasets sorted by size, smallest first. */
export async function smallDatasets(): Promise<SeedDataset[]> {
  const { datasets } = await catalog();
  return [...datasets].sort((a, b) => a.numExamples - b.numExamples);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function launchRun(input: Record<string, unknown>): Promise<{ id: string; name: string; status: string }> {
  const d = await gql<{ launchRun: { id: string; name: string; status: string } }>(
    `mutation($input: LaunchRunInput!) { launchRun(input: $input) { id name status } }`,
    { input },
  );
  return d.launchRun;
}

export async function cancelRun(id: string): Promise<string> {
  const d = await gql<{ cancelRun: { status: string } }>(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id });
  return d.cancelRun.status;
}

export async function runStatus(id: string): Promise<string> {
  const d = await gql<{ run: { status: string } | null }>(`query($id: ID!) { run(id: $id) { status } }`, { id });
  return d.run?.status ?? "MISSING";
}

export async function waitForStatus(id: string, statuses: string[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await runStatus(id);
    if (statuses.includes(s)) return s;
    if (Date.now() > deadline) throw new Error(`run ${id} is ${s} after ${timeoutMs / 1000}s, wanted ${statuses.join("/")}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

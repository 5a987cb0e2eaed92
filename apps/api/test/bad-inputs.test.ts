import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, datasetId, importTinyModel, startTestApi, type TestApi, uploadArtifact } from "./helpers";
import { LAUNCH, RUN_EVENTS_AFTER, TestWorker } from "./worker-client";

/**
 * Every bad input gets a clear error with a stable code, the server keeps serving, and nothing is half-written.
 * The README's bad-input table lists the same cases.
 */
describe("bad inputs", () => {
  let api: TestApi;
  let irisId: string;
  let mnistId: string;
  let modelId: string;
  const counts = async () =>
    (
      await api.handle.query<{ runs: number; datasets: number; models: number; events: number }>(
        "SELECT (SELECT count(*)::int FROM runs) AS runs, (SELECT count(*)::int FROM datasets) AS datasets, (SELECT count(*)::int FROM models) AS models, (SELECT count(*)::int FROM run_events) AS events",
      )
    )[0]!;
  const post = async (body: string, headers: Record<string, string> = { "content-type": "application/json" }) => {
    const res = await fetch(`${api.url}/graphql`, { method: "POST", headers, body });
    return { status: res.status, body: (await res.json()) as any };
  };
  const launch = (overrides: Record<string, unknown>, config: Record<string, unknown> = {}) =>
    api.gql(LAUNCH, { i: { datasetId: irisId, baseModelId: modelId, config: { learningRate: 0.01, epochs: 2, batchSize: 8, ...config }, ...overrides } });

  beforeAll(async () => {
    api = await startTestApi({ env: { UPLOAD_LIMIT_BYTES: "65536", BODY_LIMIT_BYTES: "32768", MAX_PAGE_SIZE: "100" } });
    irisId = await datasetId(api, "iris");
    mnistId = await datasetId(api, "mnist-digits");
    modelId = (await importTinyModel(api)).id;
  });
  afterAll(async () => {
    await api?.close();
  });

  it("answers each bad input with a clear error, keeps serving and writes nothing", async () => {
    const before = await counts();
    const cases: { name: string; run: () => Promise<{ status: number; code?: string; message: string }> }[] = [];
    const gqlCase = (name: string, fn: () => Promise<{ status: number; errors?: { message: string; extensions?: Record<string, any> }[] }>) =>
      cases.push({
        name,
        run: async () => {
          const r = await fn();
          return { status: r.status, code: r.errors?.[0]?.extensions?.code, message: r.errors?.[0]?.message ?? "(no error!)" };
        },
      });
    const rawCase = (name: string, fn: () => Promise<{ status: number; body: any }>) =>
      cases.push({
        name,
        run: async () => {
          const r = await fn();
          const e = r.body?.errors?.[0] ?? r.body?.error;
          return { status: r.status, code: e?.extensions?.code ?? e?.code, message: e?.message ?? JSON.stringify(r.body) };
        },
      });

    rawCase("malformed JSON body", () => post('{"query": "{ projects { id } }"'));
    rawCase("body over BODY_LIMIT_BYTES", () => post(JSON.stringify({ query: "{ projects { id } }", variables: { pad: "x".repeat(40_000) } })));
    gqlCase("unknown field", () => api.gql(`{ projects { id nope } }`));
    gqlCase("unknown input field", () => launch({ bogus: 1 }));
    gqlCase("wrong type (string for Float)", () => launch({}, { learningRate: "fast" }));
    gqlCase("wrong enum value", () => launch({}, { optimizer: "LBFGS" }));
    gqlCase("out of range learningRate", () => launch({}, { learningRate: 50 }));
    gqlCase("out of range epochs and batchSize together", () => launch({}, { epochs: 0, batchSize: 100000 }));
    gqlCase("Int overflow", () => launch({}, { epochs: 2 ** 40 }));
    gqlCase("unknown dataset id", () => launch({ datasetId: "00000000-0000-4000-8000-000000000000" }));
    gqlCase("malformed dataset id", () => launch({ datasetId: "not-an-id" }));
    gqlCase("unknown base model id", () => launch({ baseModelId: "00000000-0000-4000-8000-000000000001" }));
    gqlCase("unknown layer to freeze", () => launch({ freeze: { layers: ["conv9"] } }));
    gqlCase("freeze upToIndex out of range", () => launch({ freeze: { upToIndex: 7 } }));
    gqlCase("task mismatch (tabular model, image dataset)", () => launch({ datasetId: mnistId }));
    gqlCase("cancel unknown run", () => api.gql(`mutation { cancelRun(id: "00000000-0000-4000-8000-000000000002") { id } }`));
    gqlCase("first above the cap", () => api.gql(`{ runs(first: 500) { totalCount } }`));
    gqlCase("huge first (rejected by the cost limit before running)", () => api.gql(`{ runs(first: 100000) { totalCount } }`));
    gqlCase("negative first", () => api.gql(`{ runs(first: -1) { totalCount } }`));
    gqlCase("garbage cursor", () => api.gql(`{ runs(after: "garbage") { totalCount } }`));
    gqlCase("bad DateTime", () => api.gql(`{ runs(filter: { createdAfter: "yesterday" }) { totalCount } }`));
    gqlCase("too-deep query", () =>
      api.gql(`{ models { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } } } }`),
    );
    gqlCase("too many aliases", () => api.gql(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: projects { id }`).join(" ")} }`));
    gqlCase("worker op without token", () => api.gql(`mutation { claimRun(workerId: "00000000-0000-4000-8000-000000000003") { attempt } }`, {}, { token: null }));
    gqlCase("worker op with a wrong token", () =>
      api.gql(`mutation { registerWorker(input: { name: "x", backends: [CPU], device: "cpu" }) { leaseSeconds } }`, {}, { token: "wrong-token-wrong-token" }),
    );
    gqlCase("malformed CSV (bad rows listed)", () =>
      api.gql(`mutation($i: RegisterDatasetInput!) { registerDataset(input: $i) { dataset { id } } }`, {
        i: { name: "bad-csv", task: "TABULAR_CLASSIFICATION", format: "CSV", content: 'a,b,label\n1,2,x\n3,"unterminated,y\n5,six,z\n' },
      }),
    );
    gqlCase("CSV without the label column", () =>
      api.gql(`mutation($i: RegisterDatasetInput!) { registerDataset(input: $i) { dataset { id } } }`, {
        i: { name: "no-label", task: "TABULAR_CLASSIFICATION", format: "CSV", content: "a,b\n1,2\n3,4\n" },
      }),
    );
    rawCase("oversized upload", () => uploadArtifact(api, new Uint8Array(70_000)));
    gqlCase("model bundle that is not a tar", async () => {
      const up = await uploadArtifact(api, new TextEncoder().encode("this is not a model"), "application/octet-stream");
      return api.gql(`mutation($i: ImportModelInput!) { importModel(input: $i) { id } }`, { i: { name: "junk", task: "TABULAR_CLASSIFICATION", artifactId: up.body.id } });
    });
    gqlCase("model import from a non-http URL", () =>
      api.gql(`mutation($i: ImportModelInput!) { importModel(input: $i) { id } }`, { i: { name: "junk", task: "TABULAR_CLASSIFICATION", url: "file:///etc/passwd" } }),
    );
    gqlCase("model import from an unreachable URL", () =>
      api.gql(`mutation($i: ImportModelInput!) { importModel(input: $i) { id } }`, { i: { name: "junk", task: "TABULAR_CLASSIFICATION", url: "http://127.0.0.1:9/model.json" } }),
    );
    rawCase("unknown artifact download", async () => {
      const res = await fetch(`${api.url}/artifacts/00000000-0000-4000-8000-000000000004`);
      return { status: res.status, body: await res.json() };
    });
    // Postgres stores no NUL (U+0000) in text or jsonb: a name, a tag, a CSV label or a worker's info carrying one.
    gqlCase("NUL character in a run's name", () => launch({ name: "run\u0000one" }));
    gqlCase("NUL character in a tag", () => launch({ tags: ["ok", "b\u0000d"] }));
    gqlCase("NUL character in a CSV label", () =>
      api.gql(`mutation($i: RegisterDatasetInput!) { registerDataset(input: $i) { dataset { id } } }`, {
        i: { name: "nul-label", task: "TABULAR_CLASSIFICATION", format: "CSV", content: "a,b,label\n1,2,x\n3,4,y\u0000z\n5,6,x\n" },
      }),
    );
    gqlCase("NUL character in a worker's info (JSON)", () =>
      api.gql(`mutation($i: RegisterWorkerInput!) { registerWorker(input: $i) { leaseSeconds } }`, {
        i: { name: "nul-info", backends: ["CPU"], device: "cpu", info: { note: "a\u0000b" } },
      }),
    );
    rawCase("CSRF: GET mutation / non-JSON content type", () => post(`{"query":"{ projects { id } }"}`, { "content-type": "text/plain" }));

    const results: { name: string; status: number; code?: string; message: string }[] = [];
    for (const c of cases) results.push({ name: c.name, ...(await c.run()) });
    // The table in README.md comes from this output.
    if (process.env.PRINT_BAD_INPUTS) console.log(results.map((r) => `| ${r.name} | ${r.status} | ${r.code} | ${r.message.replace(/\|/g, "\\|")} |`).join("\n"));

    for (const r of results) {
      expect(r.message, r.name).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack traces
      expect(r.code, `${r.name}: ${r.message}`).toBeDefined();
      expect(r.code, `${r.name}: ${r.message}`).not.toBe("INTERNAL_SERVER_ERROR");
    }
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName["malformed JSON body"]).toMatchObject({ status: 400, code: "BAD_USER_INPUT" });
    expect(byName["body over BODY_LIMIT_BYTES"]).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    expect(byName["unknown field"]).toMatchObject({ status: 400, code: "GRAPHQL_VALIDATION_FAILED" });
    expect(byName["wrong type (string for Float)"]).toMatchObject({ status: 400, code: "BAD_USER_INPUT" });
    expect(byName["out of range learningRate"]).toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringMatching(/learningRate/) });
    expect(byName["out of range epochs and batchSize together"]!.message).toMatch(/epochs.*batchSize/s);
    expect(byName["unknown dataset id"]).toMatchObject({ code: "NOT_FOUND" });
    expect(byName["malformed dataset id"]).toMatchObject({ code: "NOT_FOUND" });
    expect(byName["unknown base model id"]).toMatchObject({ code: "NOT_FOUND" });
    expect(byName["unknown layer to freeze"]).toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringMatching(/conv9.*hidden, head/) });
    expect(byName["task mismatch (tabular model, image dataset)"]).toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringMatching(/same task/) });
    expect(byName["cancel unknown run"]).toMatchObject({ code: "NOT_FOUND" });
    expect(byName["first above the cap"]).toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringMatching(/0 to 100/) });
    expect(byName["too-deep query"]).toMatchObject({ status: 400, code: "GRAPHQL_VALIDATION_FAILED", message: expect.stringMatching(/depth limit/i) });
    expect(byName["huge first (rejected by the cost limit before running)"]).toMatchObject({ status: 400, message: expect.stringMatching(/Cost limit/) });
    expect(byName["worker op without token"]).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(byName["worker op with a wrong token"]).toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringMatching(/not valid/) });
    expect(byName["malformed CSV (bad rows listed)"]).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(byName["oversized upload"]).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    expect(byName["model bundle that is not a tar"]).toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringMatching(/not a tar/) });
    expect(byName["model import from an unreachable URL"]).toMatchObject({ code: "UPSTREAM_FAILED" });
    expect(byName["unknown artifact download"]).toMatchObject({ status: 404, code: "NOT_FOUND" });
    for (const name of ["NUL character in a run's name", "NUL character in a tag", "NUL character in a CSV label", "NUL character in a worker's info (JSON)"])
      expect(byName[name], name).toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringMatching(/NUL character \(U\+0000\)/) });

    // Nothing half-written: no run, dataset, model or event appeared.
    expect(await counts()).toEqual(before);
    // And the server still serves.
    expect((await api.q<any>(`{ projects { name } }`)).projects[0].name).toBe("default");
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });

  it("keeps a worker's diagnostics that carry NUL characters, with U+FFFD in their place, instead of failing its reports", async () => {
    const run = (await api.q<any>(LAUNCH, { i: { datasetId: irisId, config: { learningRate: 0.01, epochs: 2, batchSize: 8 }, backends: ["CPU"] } })).launchRun;
    const worker = new TestWorker(api, ["CPU"], "nul-worker");
    await worker.register();
    expect((await worker.claim()).run.id).toBe(run.id);
    expect((await worker.start(run.id)).errors).toBeUndefined();
    expect((await worker.progress(run.id, "load\u0000dataset", 1, 2)).data?.reportProgress).toBe(true);
    expect((await worker.logs(run.id, [{ level: "warn", message: "row 3: label 'y\u0000z'", seq: 1 }])).data?.reportLogs).toBe(true);
    const failed = await worker.fail(run.id, "could not parse \u0000\u0000 at byte 7", "pre\u0000pare");
    expect(failed.errors).toBeUndefined();
    expect(failed.data.failRun).toMatchObject({ status: "FAILED", error: "[pre\uFFFDpare] could not parse \uFFFD\uFFFD at byte 7" });
    const events = (await collect(api.ws(), RUN_EVENTS_AFTER, { id: run.id, after: 0 }).done).map((e) => e.runEventsAfter);
    expect(events.find((e) => e.__typename === "Progress")).toMatchObject({ phase: "load\uFFFDdataset" });
    expect(events.find((e) => e.__typename === "LogLine")).toMatchObject({ level: "warn", message: "row 3: label 'y\uFFFDz'" });
    expect(events.at(-1)).toMatchObject({ __typename: "StatusChanged", status: "FAILED", error: expect.stringContaining("\uFFFD\uFFFD") });
  });

  it("refuses bad subscriptions over graphql-ws with a clear error and keeps the socket usable", async () => {
    const client = api.ws();
    const errorOf = (query: string, variables: Record<string, unknown> = {}) =>
      new Promise<any>((resolve) => {
        client.subscribe({ query, variables }, { next: (v) => resolve(v.errors ?? v), error: (e) => resolve(e), complete: () => resolve("complete") });
      });
    const unknown = await errorOf(`subscription { runEvents(runId: "00000000-0000-4000-8000-000000000009") { __typename } }`);
    expect(unknown[0]).toMatchObject({ message: expect.stringMatching(/No run/), extensions: { code: "NOT_FOUND" } });
    const deepQuery = `subscription { runUpdated { baseModel { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } } } }`;
    const deep = await errorOf(deepQuery);
    expect(JSON.stringify(deep)).toMatch(/depth limit/i);
    const badField = await errorOf(`subscription { runUpdated { nope } }`);
    expect(JSON.stringify(badField)).toMatch(/Cannot query field/);
    // Sent again, each is refused the same way: a document's parse and validation are kept per process
    // (http/ws-document-cache.ts), its errors included.
    expect(await errorOf(`subscription { runUpdated { nope } }`)).toEqual(badField);
    expect(JSON.stringify(await errorOf(deepQuery))).toMatch(/depth limit/i);
    expect((await api.q<any>(`{ projects { name } }`)).projects).toHaveLength(1);
  });

  it("reports the row errors of a malformed CSV in extensions.rowErrors, and registers a valid one as v1, v2", async () => {
    const bad = await api.gql(`mutation($i: RegisterDatasetInput!) { registerDataset(input: $i) { dataset { id } } }`, {
      i: { name: "flowers", task: "TABULAR_CLASSIFICATION", format: "CSV", content: "a,b,label\n1,2,x\n3,oops,y\n5,6\n" },
    });
    expect(bad.errors?.[0]?.extensions?.rowErrors?.map((e: any) => e.line)).toEqual(expect.arrayContaining([3]));
    const good = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n";
    const up = await uploadArtifact(api, new TextEncoder().encode(good), "text/csv", null);
    expect(up.status).toBe(201);
    const reg = (v: Record<string, unknown>) =>
      api.q<any>(`mutation($i: RegisterDatasetInput!) { registerDataset(input: $i) { created skippedRows { line reason } dataset { id name version numExamples classNames classCounts sha256 artifact { id } } } }`, {
        i: { name: "flowers", task: "TABULAR_CLASSIFICATION", format: "CSV", ...v },
      });
    const v1 = (await reg({ artifactId: up.body.id })).registerDataset;
    expect(v1).toMatchObject({ created: true, dataset: { version: 1, numExamples: 4, classNames: ["x", "y"], classCounts: [2, 2], sha256: up.body.sha256 } });
    expect((await reg({ artifactId: up.body.id })).registerDataset).toMatchObject({ created: false, dataset: { id: v1.dataset.id } });
    const v2 = (await reg({ content: good + "9,10,y\n11,bad,x\n", onBadRow: "SKIP" })).registerDataset;
    expect(v2).toMatchObject({ created: true, dataset: { version: 2, numExamples: 5 } });
    expect(v2.skippedRows.map((r: any) => r.line)).toEqual([7]);
  });
});

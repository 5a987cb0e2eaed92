import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "./client";
import { ApiError, LeaseLostError } from "./errors";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server | undefined;
async function serve(handler: Handler): Promise<string> {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => handler(req, body, res));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

describe("ApiClient", () => {
  it("sends the bearer token and retries 5xx and dropped connections until the API answers", async () => {
    let calls = 0;
    const auth: string[] = [];
    const url = await serve((req, body, res) => {
      calls++;
      auth.push(req.headers.authorization ?? "");
      if (calls === 1) return json(res, 503, { error: "starting" });
      if (calls === 2) return req.socket.destroy();
      expect(JSON.parse(body).operationName).toBe("Heartbeat");
      json(res, 200, { data: { heartbeat: { leaseExpiresAt: null, cancelRequested: false, leaseLost: false } } });
    });
    const api = new ApiClient({ apiUrl: url, token: { kind: "value", value: "secret" }, retry: { initialMs: 5 } });
    expect(await api.heartbeat("w1", null)).toEqual({ leaseExpiresAt: null, cancelRequested: false, leaseLost: false });
    expect(calls).toBe(3);
    expect(auth.every((a) => a === "Bearer secret")).toBe(true);
  });

  it("maps LEASE_LOST and validation errors to errors that are not retried", async () => {
    let calls = 0;
    const url = await serve((_req, body, res) => {
      calls++;
      const op = JSON.parse(body).operationName as string;
      if (op === "ReportEpochs") return json(res, 200, { errors: [{ message: "run moved on", extensions: { code: "LEASE_LOST" } }], data: null });
      json(res, 200, { errors: [{ message: "bad epoch", extensions: { code: "BAD_USER_INPUT" } }], data: null });
    });
    const api = new ApiClient({ apiUrl: url, token: { kind: "value", value: "t" }, retry: { initialMs: 5 } });
    await expect(api.reportEpochs("w", "r", [{ epoch: 1, metrics: {} }])).rejects.toBeInstanceOf(LeaseLostError);
    await expect(api.failRun("w", "r", "x", null)).rejects.toMatchObject({ code: "BAD_USER_INPUT", transient: false });
    expect(calls).toBe(2);
  });

  it("waits for the token file and re-reads it after UNAUTHENTICATED", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tl-token-"));
    const tokenFile = path.join(dir, "worker-token");
    let good = "first-token";
    const url = await serve((req, _body, res) => {
      if (req.headers.authorization !== `Bearer ${good}`) return json(res, 200, { errors: [{ message: "bad token", extensions: { code: "UNAUTHENTICATED" } }], data: null });
      json(res, 200, { data: { unregisterWorker: true } });
    });
    const api = new ApiClient({ apiUrl: url, token: { kind: "file", path: tokenFile }, retry: { initialMs: 5, maxMs: 20 } });
    setTimeout(() => void writeFile(tokenFile, "first-token\n"), 100);
    await api.unregisterWorker("w"); // retried while the file is missing
    good = "second-token";
    await writeFile(tokenFile, "second-token");
    await api.unregisterWorker("w");
    good = "nobody-has-it";
    await expect(api.unregisterWorker("w")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("downloads with progress and uploads artifacts", async () => {
    const payload = Buffer.alloc(200_000, 7);
    const url = await serve((req, body, res) => {
      if (req.method === "GET" && req.url === "/artifacts/a1") {
        res.writeHead(200, { "content-length": payload.length });
        res.write(payload.subarray(0, 100_000));
        setTimeout(() => res.end(payload.subarray(100_000)), 20);
        return;
      }
      if (req.method === "POST" && req.url === "/artifacts") {
        expect(req.headers.authorization).toBe("Bearer t");
        return json(res, 201, { id: "a2", sha256: "x", sizeBytes: body.length, downloadUrl: "/artifacts/a2" });
      }
      json(res, 404, { error: "nope" });
    });
    const api = new ApiClient({ apiUrl: url, token: { kind: "value", value: "t" } });
    const seen: number[] = [];
    const bytes = await api.download("/artifacts/a1", (done, total) => {
      expect(total).toBe(payload.length);
      seen.push(done);
    });
    expect(bytes.byteLength).toBe(payload.length);
    expect(seen.at(-1)).toBe(payload.length);
    expect(seen.length).toBeGreaterThan(1);
    await expect(api.download("/artifacts/missing")).rejects.toMatchObject({ code: "NOT_FOUND", transient: false });
    expect(await api.upload(new TextEncoder().encode("abc"), "application/x-tar", "m.tar")).toMatchObject({ id: "a2", sizeBytes: 3 });
  });

  it("reports an unreachable API as a transient error", async () => {
    const api = new ApiClient({ apiUrl: "http://127.0.0.1:9", token: { kind: "value", value: "t" } });
    const error = await api.request("query Q { x }", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: "NETWORK", transient: true });
  });
});

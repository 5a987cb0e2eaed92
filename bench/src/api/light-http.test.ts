import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LightHttpConnection } from "./light-http";

/** A real node:http server on a free port; `handle` answers each request. */
async function serve(handle: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, Buffer.concat(chunks).toString("utf8"), res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe("LightHttpConnection (metric-ingestion's load generator)", () => {
  it("posts JSON with the headers given and reads Content-Length bodies, several requests on one socket", async () => {
    const sockets = new Set<unknown>();
    const { url } = await serve((req, body, res) => {
      sockets.add(req.socket);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: req.method, path: req.url, auth: req.headers.authorization, type: req.headers["content-type"], body: JSON.parse(body) }));
    });
    const conn = new LightHttpConnection(url);
    for (const n of [1, 2, 3]) {
      const r = await conn.post("/graphql", JSON.stringify({ n, text: "é ü" }), { authorization: "Bearer t" });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toEqual({ method: "POST", path: "/graphql", auth: "Bearer t", type: "application/json", body: { n, text: "é ü" } });
    }
    expect(sockets.size).toBe(1);
    conn.close();
  });

  it("reads chunked bodies and error statuses", async () => {
    const { url } = await serve((_req, _body, res) => {
      res.statusCode = 400;
      res.write('{"errors":[');
      res.write('{"message":"bad"}');
      res.end("]}");
    });
    const conn = new LightHttpConnection(url);
    const r = await conn.post("/graphql", "{}");
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({ errors: [{ message: "bad" }] });
    conn.close();
  });

  it("sends a request once more on a fresh socket when a reused one is closed before the answer (the keep-alive race)", async () => {
    let requests = 0;
    const { url } = await serve((req, body, res) => {
      requests++;
      // The second request arrives on the kept-alive socket: drop the connection without answering, as a server does
      // when its keep-alive timeout closes a socket the client has just written to.
      if (requests === 2) return req.socket.destroy();
      res.end(body);
    });
    const conn = new LightHttpConnection(url);
    expect((await conn.post("/", "first")).text).toBe("first");
    expect((await conn.post("/", "second")).text).toBe("second");
    expect(requests).toBe(3);
    conn.close();
  });

  it("fails, without retrying, when a fresh socket cannot reach the server", async () => {
    const { server, url } = await serve((_req, body, res) => res.end(body));
    await new Promise((r) => server.close(r));
    const conn = new LightHttpConnection(url);
    await expect(conn.post("/", "x")).rejects.toThrow(/ECONNREFUSED/);
  });
});

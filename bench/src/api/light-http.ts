/**
 * A minimal HTTP/1.1 client for the ingestion load generator: one kept-alive socket, one request in flight, requests
 * written as one buffer and responses read by Content-Length. On a 2-core machine the load generator shares the cores
 * with the API and Postgres, and node:http's client spent ~0.17 ms of CPU per report request (eleventh session's
 * `perf`) against ~0.07 ms for the raw path's pg client: CPU taken from the system under test, and at 64 simulated
 * workers a quarter of a core. Real workers run elsewhere. It speaks just what the API answers a POST with: a status
 * line, headers, a Content-Length body (or a chunked one); anything else is an error.
 *
 * Kept-alive sockets: the API closes one after 5 s idle (Node's keepAliveTimeout), so a socket idle for 4 s is replaced
 * before the next request, and a request on a reused socket that the server closed or reset before answering is sent
 * once more on a fresh one (node:http's documented pattern; reports are idempotent: a re-sent epoch is a no-op).
 */
import net from "node:net";

export interface LightResponse {
  status: number;
  text: string;
}

const HEADER_END = Buffer.from("\r\n\r\n");
/** Below the server's 5 s keep-alive timeout, as bench/src/api/common.ts's node:http agent. */
const IDLE_MS = 4000;

export class LightHttpConnection {
  private socket: net.Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: LightResponse) => void; reject: (e: Error) => void } | undefined;
  /** Whether the current socket has answered a request before (a failure on it may be the keep-alive race). */
  private reused = false;
  private idleSince = 0;
  private readonly host: string;
  private readonly port: number;

  /** `baseUrl`: http://host:port of the API. */
  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    if (url.protocol !== "http:") throw new Error(`LightHttpConnection speaks plain http only (got ${baseUrl})`);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
  }

  /** POSTs `body` (JSON) to `path`; one request at a time per connection. */
  async post(path: string, body: string, headers: Record<string, string> = {}): Promise<LightResponse> {
    if (this.pending) throw new Error("LightHttpConnection: one request at a time");
    if (this.socket && performance.now() - this.idleSince > IDLE_MS) this.close();
    const reused = this.reused && this.socket !== undefined;
    try {
      return await this.send(path, body, headers);
    } catch (error) {
      if (!reused) throw error;
      this.close();
      return this.send(path, body, headers);
    }
  }

  private send(path: string, body: string, headers: Record<string, string>): Promise<LightResponse> {
    const bodyBytes = Buffer.from(body);
    let head = `POST ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Type: application/json\r\nContent-Length: ${bodyBytes.length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    const request = Buffer.concat([Buffer.from(head + "\r\n"), bodyBytes]);
    return new Promise<LightResponse>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.connection().write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.reused = false;
    this.buffered = Buffer.alloc(0);
  }

  private connection(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    const fail = (error: Error) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.reused = false;
      this.buffered = Buffer.alloc(0);
      const p = this.pending;
      this.pending = undefined;
      p?.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("the API closed the connection before answering")));
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffered.subarray(0, end).toString("latin1");
    const lines = head.split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1]);
    const header = (name: string) => lines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
    const rest = this.buffered.subarray(end + HEADER_END.length);
    let body: Buffer;
    let used: number;
    const length = header("content-length");
    if (length !== undefined) {
      const n = Number(length);
      if (rest.length < n) return;
      body = rest.subarray(0, n);
      used = n;
    } else if (header("transfer-encoding")?.toLowerCase() === "chunked") {
      let decoded: { body: Buffer; used: number } | undefined;
      try {
        decoded = decodeChunked(rest);
      } catch (error) {
        this.fail(error as Error);
        return;
      }
      if (!decoded) return;
      ({ body, used } = decoded);
    } else {
      this.fail(new Error(`unsupported response framing: ${lines.slice(0, 6).join(" | ")}`));
      return;
    }
    this.buffered = Buffer.from(rest.subarray(used));
    const p = this.pending;
    this.pending = undefined;
    if (!p || !Number.isFinite(status)) return this.fail(new Error(`unexpected response: ${lines[0]}`));
    if (header("connection")?.toLowerCase() === "close") this.close();
    else {
      this.reused = true;
      this.idleSince = performance.now();
    }
    p.resolve({ status, text: body.toString("utf8") });
  }

  private fail(error: Error): void {
    const p = this.pending;
    this.pending = undefined;
    this.close();
    p?.reject(error);
  }
}

/** A complete chunked body at the start of `data`, or undefined while more is to come. */
function decodeChunked(data: Buffer): { body: Buffer; used: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size)) throw new Error("malformed chunked response");
    const start = lineEnd + 2;
    if (size === 0) {
      // No trailers from the API: the last chunk is followed by one empty line.
      if (data.length < start + 2) return undefined;
      return { body: Buffer.concat(parts), used: start + 2 };
    }
    if (data.length < start + size + 2) return undefined;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { coalesceSends, textChannelOf, textFrames } from "../src/http/coalesce-sends";

/** A real ws server and client on loopback; counts the server socket's write system calls (_write and _writev). */
async function pair(coalesce: boolean, maxUnwritten?: number) {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await once(wss, "listening");
  const serverSide = new Promise<{ ws: WebSocket; writes: () => number }>((resolve) => {
    wss.once("connection", (ws) => {
      type WriteFn = (...args: unknown[]) => unknown;
      const socket = (ws as unknown as { _socket: Duplex & { _write: WriteFn; _writev?: WriteFn } })._socket;
      let writes = 0;
      for (const name of ["_write", "_writev"] as const) {
        const original = socket[name];
        if (!original) continue;
        socket[name] = function (this: unknown, ...args: unknown[]) {
          writes++;
          return original.apply(this, args);
        };
      }
      if (coalesce) coalesceSends(ws, maxUnwritten);
      resolve({ ws, writes: () => writes });
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on("message", (m) => received.push(String(m)));
  await once(client, "open");
  const server = await serverSide;
  cleanups.push(async () => {
    client.terminate();
    await new Promise((r) => wss.close(r));
  });
  return { ...server, client, received };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Sends n messages the way graphql-ws does: each after the previous send's callback. */
async function burst(ws: WebSocket, n: number, prefix = "m") {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve, reject) => ws.send(`${prefix}${i}`, (err) => (err ? reject(err) : resolve())));
}

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe("coalesceSends", () => {
  it("sends a burst of awaited messages in two socket writes (the first at once, the rest together), in order", async () => {
    const { ws, writes, received } = await pair(true);
    const before = writes();
    await burst(ws, 20);
    expect(writes() - before).toBe(1); // the first message is not held back
    await until(() => received.length === 20);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(writes() - before).toBe(2);
  });

  it("without it, the same burst takes a write per message (the control)", async () => {
    const { ws, writes, received } = await pair(false);
    const before = writes();
    await burst(ws, 20);
    await until(() => received.length === 20);
    expect(writes() - before).toBeGreaterThanOrEqual(20);
  });

  it("sends bursts in separate turns of the event loop separately, and sends without a callback too", async () => {
    const { ws, writes, received } = await pair(true);
    const before = writes();
    await burst(ws, 3, "a");
    await new Promise((r) => setTimeout(r, 20));
    ws.send("b0");
    ws.send("b1");
    await until(() => received.length === 5);
    expect(received).toEqual(["a0", "a1", "a2", "b0", "b1"]);
    expect(writes() - before).toBe(4);
  });

  it("past maxUnwritten bytes a callback waits for the write again, and every message still arrives", async () => {
    const { ws, received } = await pair(true, 1000);
    const big = "x".repeat(600);
    let early = 0;
    const sends = Array.from({ length: 5 }, (_, i) => {
      let acked = false;
      const done = new Promise<void>((resolve) => ws.send(`${i}${big}`, () => ((acked = true), resolve())));
      queueMicrotask(() => queueMicrotask(() => (early += acked ? 1 : 0)));
      return done;
    });
    await new Promise((r) => setImmediate(r));
    // The first is written at once, the next two queue under 1,000 waiting bytes and are acknowledged at once; from the
    // fourth on (1,200 bytes waiting) a callback waits for the write.
    expect(early).toBe(3);
    await Promise.all(sends);
    await until(() => received.length === 5);
    expect(received.map((m) => m[0])).toEqual(["0", "1", "2", "3", "4"]);
  });

  it("textChannelOf: messages assembled from parts arrive whole at every frame length, in order with ws.send's", async () => {
    const { ws, writes, received } = await pair(true);
    const { write } = textChannelOf(ws);
    const before = writes();
    // 7- and 16-bit lengths, 126 exactly, and a 64-bit length (over 65,535 bytes); multi-byte UTF-8 in a part.
    const bodies = ["é", "a".repeat(125), "b".repeat(126), "c".repeat(70_000)];
    const message = (body: string) => [Buffer.from('{"x":"'), Buffer.from(body), Buffer.from('"}')];
    write([message(bodies[0]!)]);
    ws.send("between");
    write(bodies.slice(1).map(message));
    ws.send("last");
    await until(() => received.length === 6);
    expect(received).toEqual([`{"x":"é"}`, "between", ...bodies.slice(1).map((b) => `{"x":"${b}"}`), "last"]);
    // One turn: the first write at once, the rest (three messages of one call, then "last") together.
    expect(writes() - before).toBe(2);
  });

  it("textFrames builds RFC 6455 headers: FIN + text opcode, then 7-, 16- or 64-bit lengths, unmasked, back to back", () => {
    expect([...textFrames([[Buffer.from("hi")], [Buffer.from("a"), Buffer.from("b")]])]).toEqual([0x81, 2, 0x68, 0x69, 0x81, 2, 0x61, 0x62]);
    expect([...textFrames([[Buffer.alloc(126)]]).subarray(0, 4)]).toEqual([0x81, 126, 0, 126]);
    expect([...textFrames([[Buffer.alloc(65_536)]]).subarray(0, 10)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it("textChannelOf: ready while the socket is open and has fewer than maxUnwritten bytes queued", async () => {
    const { ws } = await pair(true, 1000);
    const channel = textChannelOf(ws);
    const socket = (ws as unknown as { _socket: Duplex })._socket;
    expect(channel.ready()).toBe(true);
    // Held back by a cork, the bytes stay queued in the process: 999 is under the limit, 1,000 is not.
    socket.cork();
    socket.write(Buffer.alloc(999));
    expect(ws.bufferedAmount).toBe(999);
    expect(channel.ready()).toBe(true);
    socket.write(Buffer.alloc(1));
    expect(channel.ready()).toBe(false);
    socket.uncork();
    await until(() => ws.bufferedAmount === 0);
    expect(channel.ready()).toBe(true);
    ws.close(); // CLOSING
    expect(channel.ready()).toBe(false);
  });

  it("textChannelOf falls back to ws.send on a socket coalesceSends did not set up", async () => {
    const { ws, received } = await pair(false);
    const channel = textChannelOf(ws);
    expect(channel.ready()).toBe(true);
    channel.write([[Buffer.from("a"), Buffer.from("b")], [Buffer.from("c")]]);
    await until(() => received.length === 2);
    expect(received).toEqual(["ab", "c"]);
  });
});

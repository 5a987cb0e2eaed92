import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";

/** Past this many bytes waiting in the socket, a send's callback waits for its write again (backpressure). */
export const DEFAULT_MAX_UNWRITTEN = 1 << 20;

type SendCallback = (err?: Error) => void;
type SendOptions = Parameters<WebSocket["send"]>[1];

/** Text messages a caller assembles from shared parts (UTF-8 JSON), for one WebSocket. */
export interface TextChannel {
  /** The socket is open and has less than maxUnwritten bytes queued: a write now neither fails nor adds to a backlog. */
  ready(): boolean;
  /** Writes the messages, each made of its parts, in order with the socket's other messages: all in one socket write. */
  write(messages: readonly (readonly Buffer[])[]): void;
}

const textChannels = new WeakMap<WebSocket, TextChannel>();
const WS_OPEN = 1;

/** maxUnwritten bytes or more are waiting to reach the kernel: the client is not reading. */
const backedUp = (ws: WebSocket, maxUnwritten: number) => ws.bufferedAmount >= maxUnwritten;
const readyFor = (ws: WebSocket, maxUnwritten: number) => ws.readyState === WS_OPEN && !backedUp(ws, maxUnwritten);

/**
 * Makes the frames one WebSocket sends within one turn of the event loop leave in two socket writes at most: the
 * first at once, the rest together at the end of the turn.
 *
 * Why: a notification that carries several epochs becomes one graphql-ws message per epoch for every subscriber,
 * sent back to back. Each one was its own write system call: in a CPU profile of the API streaming a fast run to 100
 * subscribers, `writev` was 44% of the API's busy time. The first frame is not held back, so a notification with one
 * event reaches 1,000 subscribers as fast as before (holding every frame to the end of the turn delayed them all
 * until the whole fan-out was done: p50 20-23 ms -> 28 ms at 1,000 subscribers).
 *
 * graphql-ws awaits each send's callback before it sends the next message, and ws calls it once the frame is written.
 * Here the callback comes as soon as the frame is queued, so the messages of a burst queue up behind one cork and go
 * out together at setImmediate.
 *
 * Backpressure: a client that does not read lets the socket's buffer grow. Past maxUnwritten bytes waiting, the
 * callback again waits for the write, so graphql-ws stops feeding that client as it did before.
 *
 * It also registers the socket's TextChannel (textChannelOf): messages the caller assembles from shared parts, framed
 * here and written as one buffer, under the same coalescing and the same maxUnwritten.
 *
 * It touches ws's `_socket` (the underlying net socket, stable across ws 8). A WebSocket without one is left as it is.
 */
export function coalesceSends(ws: WebSocket, maxUnwritten = DEFAULT_MAX_UNWRITTEN): void {
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  if (!socket || typeof socket.cork !== "function") return;
  const send = ws.send.bind(ws) as (data: unknown, options: SendOptions, cb?: SendCallback) => void;
  let inTurn = false;
  let corked = false;
  const endTurn = () => {
    inTurn = false;
    if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  /** Called before each frame: the first of a turn goes out at once, the ones after it wait for the end of the turn. */
  const beforeFrame = () => {
    if (!inTurn) {
      inTurn = true;
      setImmediate(endTurn);
    } else if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
    }
  };
  ws.send = ((data: unknown, optionsOrCb?: SendOptions | SendCallback, maybeCb?: SendCallback) => {
    const cb = typeof optionsOrCb === "function" ? optionsOrCb : maybeCb;
    const options = typeof optionsOrCb === "function" || optionsOrCb === undefined ? {} : optionsOrCb;
    beforeFrame();
    if (!cb || backedUp(ws, maxUnwritten)) return send(data, options, cb);
    // A failed write closes the socket, which ends the subscriptions on it: nothing is left to report the error to.
    send(data, options, () => undefined);
    queueMicrotask(() => cb());
  }) as WebSocket["send"];
  // ws's Sender writes a frame to the socket at once unless it is compressing (permessage-deflate, off on this
  // server) or reading a Blob (graphql-ws sends strings), so a frame written here keeps its place among ws's own.
  const extensions = (ws as unknown as { _extensions?: Record<string, unknown> })._extensions ?? {};
  if (Object.keys(extensions).length === 0)
    textChannels.set(ws, {
      ready: () => readyFor(ws, maxUnwritten),
      write: (messages) => {
        // A socket that is gone takes nothing more; ws reports its closing.
        if (socket.destroyed || !socket.writable || messages.length === 0) return;
        beforeFrame();
        socket.write(textFrames(messages));
      },
    });
}

/**
 * The socket's TextChannel when coalesceSends set one up (an open server socket without extensions); otherwise one
 * that hands the joined parts to ws.send.
 */
export function textChannelOf(ws: WebSocket): TextChannel {
  return (
    textChannels.get(ws) ?? {
      ready: () => readyFor(ws, DEFAULT_MAX_UNWRITTEN),
      write: (messages) => messages.forEach((parts) => ws.send(Buffer.concat(parts), { binary: false })),
    }
  );
}

/** Unmasked, final WebSocket text frames (RFC 6455 section 5.2; servers do not mask), one per message, back to back. */
export function textFrames(messages: readonly (readonly Buffer[])[]): Buffer {
  const lengths = messages.map((parts) => parts.reduce((n, p) => n + p.length, 0));
  const out = Buffer.allocUnsafe(lengths.reduce((n, length) => n + headerLength(length) + length, 0));
  let at = 0;
  messages.forEach((parts, i) => {
    const length = lengths[i]!;
    const header = headerLength(length);
    out[at] = 0x81; // FIN + opcode 1 (text)
    if (header === 2) out[at + 1] = length;
    else if (header === 4) {
      out[at + 1] = 126;
      out.writeUInt16BE(length, at + 2);
    } else {
      out[at + 1] = 127;
      out.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
      out.writeUInt32BE(length >>> 0, at + 6);
    }
    at += header;
    for (const p of parts) at += p.copy(out, at);
  });
  return out;
}

/** The frame header's size: 7-bit lengths inline, then 16-bit, then 64-bit extended lengths. */
const headerLength = (length: number) => (length < 126 ? 2 : length < 65536 ? 4 : 10);

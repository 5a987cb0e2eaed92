/**
 * Child process of live-latency and tracking-overhead: N graphql-ws subscribers (one WebSocket each,
 * graphql-transport-ws protocol spoken directly on `ws` to keep client work per message minimal), spread round-robin
 * over the given API URLs. They subscribe to runEventBatches (the dashboard's run page, one message per report) or the
 * contract's runEvents (one message per event), as the parent says. For every EpochCompleted it records arrival time
 * minus the `t_sent` metric the reporter put in the epoch.
 *
 * IPC from the parent: {type:"connect", urls, runId, n, query} -> {type:"ready"}; {type:"count"} -> {type:"count",
 * received}; {type:"collect"} -> {type:"latencies", values, epochs, errors} (epochs[i]: the epoch of values[i]) and
 * closes every socket.
 */
import WebSocket from "ws";
import type { LiveQuery } from "./common";

const EVENT = `__typename ... on EpochCompleted { epoch metrics }`;
const QUERIES: Record<LiveQuery, string> = {
  batches: `subscription($id: ID!) { runEventBatches(runId: $id) { lastSeq events { ${EVENT} } } }`,
  events: `subscription($id: ID!) { runEvents(runId: $id) { ${EVENT} } }`,
};
const nowMs = () => performance.timeOrigin + performance.now();

interface LiveEvent {
  __typename: string;
  epoch?: number;
  metrics?: { t_sent?: number };
}
interface NextPayload {
  data?: { runEvents?: LiveEvent; runEventBatches?: { events: LiveEvent[] } };
  errors?: unknown;
}

const sockets: WebSocket[] = [];
const latencies: number[] = [];
/** The epoch of each latency, so the parent can tell when the last subscriber got each event. */
const epochs: number[] = [];
let received = 0;
let errors = 0;

function open(url: string, runId: string, query: LiveQuery): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws", { perMessageDeflate: false });
    sockets.push(ws);
    let ready = false;
    const timer = setTimeout(() => reject(new Error("subscriber not ready within 60 s")), 60_000);
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: {} })));
    ws.on("message", (data) => {
      const t = nowMs();
      const msg = JSON.parse(String(data)) as { type: string; payload?: NextPayload };
      if (msg.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: QUERIES[query], variables: { id: runId } } }));
        return;
      }
      if (msg.type === "ping") return void ws.send(JSON.stringify({ type: "pong" }));
      if (msg.type === "error" || msg.payload?.errors) {
        errors++;
        if (!ready) reject(new Error(JSON.stringify(msg)));
        return;
      }
      if (msg.type !== "next") return;
      // The replayed StatusChanged events prove the subscription is registered on the event bus.
      if (!ready) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
      const result = msg.payload?.data;
      for (const ev of result?.runEventBatches?.events ?? (result?.runEvents ? [result.runEvents] : [])) {
        if (ev.__typename === "EpochCompleted" && typeof ev.metrics?.t_sent === "number") {
          latencies.push(t - ev.metrics.t_sent);
          epochs.push(ev.epoch ?? 0);
          received++;
        }
      }
    });
    ws.on("error", (e) => {
      errors++;
      if (!ready) reject(e);
    });
  });
}

process.on("message", async (m: { type: string; urls?: string[]; runId?: string; n?: number; query?: LiveQuery }) => {
  if (m.type === "connect") {
    const urls = m.urls!;
    // Connect in waves so 1,000 handshakes do not all land in one tick.
    for (let i = 0; i < m.n!; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, m.n! - i) }, (_, j) => open(urls[(i + j) % urls.length]!, m.runId!, m.query ?? "batches")));
    }
    process.send?.({ type: "ready" });
  } else if (m.type === "count") {
    process.send?.({ type: "count", received, errors });
  } else if (m.type === "collect") {
    const values = latencies.splice(0);
    const ofEpoch = epochs.splice(0);
    for (const ws of sockets.splice(0)) ws.close();
    received = 0;
    process.send?.({ type: "latencies", values, epochs: ofEpoch, errors });
    errors = 0;
  }
});
process.on("disconnect", () => process.exit(0));

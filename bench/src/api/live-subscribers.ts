/**
 * Child process of live-latency: N graphql-ws subscribers (one WebSocket each, graphql-transport-ws protocol spoken
 * directly on `ws` to keep client work per message minimal), spread round-robin over the given API URLs. For every
 * EpochCompleted it records arrival time minus the `t_sent` metric the reporter put in the epoch.
 *
 * IPC from the parent: {type:"connect", urls, runId, n} -> {type:"ready"}; {type:"count"} -> {type:"count", received};
 * {type:"collect"} -> {type:"latencies", values, epochs, errors} (epochs[i]: the epoch of values[i]) and closes every
 * socket.
 */
import WebSocket from "ws";

const QUERY = `subscription($id: ID!) { runEvents(runId: $id) { __typename ... on EpochCompleted { epoch metrics } } }`;
const nowMs = () => performance.timeOrigin + performance.now();

const sockets: WebSocket[] = [];
const latencies: number[] = [];
/** The epoch of each latency, so the parent can tell when the last subscriber got each event. */
const epochs: number[] = [];
let received = 0;
let errors = 0;

function open(url: string, runId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws", { perMessageDeflate: false });
    sockets.push(ws);
    let ready = false;
    const timer = setTimeout(() => reject(new Error("subscriber not ready within 60 s")), 60_000);
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: {} })));
    ws.on("message", (data) => {
      const t = nowMs();
      const msg = JSON.parse(String(data)) as { type: string; payload?: { data?: { runEvents?: { __typename: string; epoch?: number; metrics?: { t_sent?: number } } }; errors?: unknown } };
      if (msg.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: QUERY, variables: { id: runId } } }));
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
      const ev = msg.payload?.data?.runEvents;
      if (ev?.__typename === "EpochCompleted" && typeof ev.metrics?.t_sent === "number") {
        latencies.push(t - ev.metrics.t_sent);
        epochs.push(ev.epoch ?? 0);
        received++;
      }
    });
    ws.on("error", (e) => {
      errors++;
      if (!ready) reject(e);
    });
  });
}

process.on("message", async (m: { type: string; urls?: string[]; runId?: string; n?: number }) => {
  if (m.type === "connect") {
    const urls = m.urls!;
    // Connect in waves so 1,000 handshakes do not all land in one tick.
    for (let i = 0; i < m.n!; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, m.n! - i) }, (_, j) => open(urls[(i + j) % urls.length]!, m.runId!)));
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

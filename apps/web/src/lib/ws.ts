// One graphql-ws client per API URL, retrying forever so a lost WebSocket reconnects.
import { createClient, type Client } from "graphql-ws";

type Listener = () => void;

interface Entry {
  client: Client;
  reconnectListeners: Set<Listener>;
  stateListeners: Set<(s: WsState) => void>;
  state: WsState;
}

export type WsState = "connecting" | "connected" | "reconnecting";

const clients = new Map<string, Entry>();

export function wsUrl(apiUrl: string): string {
  return `${apiUrl.replace(/^http/, "ws")}/graphql`;
}

export function getWsClient(apiUrl: string): Entry {
  let entry = clients.get(apiUrl);
  if (entry) return entry;
  let connectedBefore = false;
  const e: Entry = {
    reconnectListeners: new Set(),
    stateListeners: new Set(),
    state: "connecting",
    client: undefined as unknown as Client,
  };
  const setState = (s: WsState) => {
    e.state = s;
    for (const l of e.stateListeners) l(s);
  };
  e.client = createClient({
    url: wsUrl(apiUrl),
    // Stay connected for the whole session: the header shows the live state, and reconnects trigger catch-up.
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** retries, 5_000) + Math.random() * 300));
    },
    on: {
      connected: () => {
        setState("connected");
        if (connectedBefore) for (const l of e.reconnectListeners) l();
        connectedBefore = true;
      },
      closed: () => setState(connectedBefore ? "reconnecting" : "connecting"),
      error: () => setState(connectedBefore ? "reconnecting" : "connecting"),
    },
  });
  entry = e;
  clients.set(apiUrl, entry);
  if (typeof window !== "undefined") {
    // Lets people (and the e2e suite) simulate a dropped connection: the client retries and pages catch up.
    (window as unknown as { __tunelabDebug?: object }).__tunelabDebug = { dropWebSocket: () => e.client.terminate() };
  }
  return entry;
}

"use client";
import { createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { TypedDocumentString } from "@/gql/graphql";
import type { ApiError} from "./graphql";
import { gqlRequest } from "./graphql";
import { getWsClient, type WsState } from "./ws";

const ApiUrlContext = createContext<string>("http://localhost:4000");

export function ApiProvider({ apiUrl, children }: { apiUrl: string; children: React.ReactNode }) {
  return <ApiUrlContext.Provider value={apiUrl}>{children}</ApiUrlContext.Provider>;
}

export function useApiUrl(): string {
  return useContext(ApiUrlContext);
}

export interface QueryState<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  refetch: () => Promise<void>;
}

/** Runs a query when its variables change; keeps the previous data while refetching. */
export function useQuery<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: { skip?: boolean; refetchOnReconnect?: boolean } = {},
): QueryState<TResult> {
  const apiUrl = useApiUrl();
  const key = JSON.stringify(variables ?? {});
  const [state, setState] = useState<{ data?: TResult; error?: Error; loading: boolean }>({ loading: !options.skip });
  const seq = useRef(0);
  const varsRef = useRef(variables);
  varsRef.current = variables;

  const run = useCallback(async () => {
    const id = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await gqlRequest(apiUrl, document, varsRef.current);
      if (id === seq.current) setState({ data, loading: false });
    } catch (error) {
      if (id === seq.current) setState((s) => ({ data: s.data, error: error as Error, loading: false }));
    }
  }, [apiUrl, document, key]);

  useEffect(() => {
    if (options.skip) return;
    void run();
  }, [run, options.skip]);

  useReconnect(() => {
    if (!options.skip && options.refetchOnReconnect !== false) void run();
  });

  return { data: state.data, error: state.error, loading: state.loading, refetch: run };
}

/** Calls fn whenever the WebSocket reconnects after a drop (to catch up on missed events). */
export function useReconnect(fn: () => void) {
  const apiUrl = useApiUrl();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const entry = getWsClient(apiUrl);
    const l = () => ref.current();
    entry.reconnectListeners.add(l);
    return () => void entry.reconnectListeners.delete(l);
  }, [apiUrl]);
}

export function useWsState(): WsState {
  const apiUrl = useApiUrl();
  return useSyncExternalStore(
    (cb) => {
      const entry = getWsClient(apiUrl);
      entry.stateListeners.add(cb);
      return () => void entry.stateListeners.delete(cb);
    },
    () => getWsClient(apiUrl).state,
    () => "connecting" as WsState,
  );
}

/** Subscribes over graphql-ws; onData receives each result. Resubscribes when variables change. */
export function useSubscription<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  onData: (data: TResult) => void,
  options: { skip?: boolean } = {},
) {
  const apiUrl = useApiUrl();
  const key = JSON.stringify(variables ?? {});
  const handler = useRef(onData);
  handler.current = onData;
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (options.skip) return;
    const { client } = getWsClient(apiUrl);
    const dispose = client.subscribe<TResult>(
      { query: document.toString(), variables: JSON.parse(key) as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) setError(result.errors.map((e) => e.message).join("; "));
          if (result.data) handler.current(result.data as TResult);
        },
        error: (err) => setError(err instanceof Error ? err.message : "subscription failed"),
        complete: () => {},
      },
    );
    return () => dispose();
  }, [apiUrl, document, key, options.skip]);
  return { error };
}

/** Imperative mutation helper. */
export function useMutation<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>) {
  const apiUrl = useApiUrl();
  const [pending, setPending] = useState(false);
  const mutate = useCallback(
    async (variables: TVariables): Promise<TResult> => {
      setPending(true);
      try {
        return await gqlRequest(apiUrl, document, variables);
      } finally {
        setPending(false);
      }
    },
    [apiUrl, document],
  );
  return { mutate, pending };
}

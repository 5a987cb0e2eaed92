import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTestApi } from "./helpers";

describe("embedded mode start-up", () => {
  it("without WORKER_TOKEN generates one into DATA_DIR/worker-token (mode 600) that authenticates a worker; seeding twice adds nothing; shutdown closes WebSockets with 1001", async () => {
    const api = await startTestApi({ env: { WORKER_TOKEN: "" } });
    try {
      const file = path.join(api.dataDir, "worker-token");
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const token = (await readFile(file, "utf8")).trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      const reg = await api.gql<any>(`mutation { registerWorker(input: { name: "local", backends: [CPU], device: "cpu" }) { worker { id backend } } }`, {}, { token });
      expect(reg.errors).toBeUndefined();
      expect(reg.data.registerWorker.worker.backend).toBe("CPU");
      const before = await api.handle.query<{ n: number }>("SELECT (SELECT count(*) FROM datasets) + (SELECT count(*) FROM projects) + (SELECT count(*) FROM worker_tokens) AS n");
      // A second server on the same database and DATA_DIR (a restart, or a second process) seeds nothing new.
      const again = await startTestApi({ db: api.handle, ownsDb: false, dataDir: api.dataDir, env: { WORKER_TOKEN: "" } });
      await again.close();
      expect(await api.handle.query("SELECT (SELECT count(*) FROM datasets) + (SELECT count(*) FROM projects) + (SELECT count(*) FROM worker_tokens) AS n")).toEqual(before);
      expect((await readFile(file, "utf8")).trim()).toBe(token);

      // Graceful shutdown: open WebSocket subscriptions are closed with 1001 (going away), then HTTP stops.
      const closed = new Promise<number>((resolve) => {
        const c = api.ws();
        c.on("closed", (e) => resolve((e as { code: number }).code));
        c.subscribe({ query: "subscription { runUpdated { id } }" }, { next: () => {}, error: () => {}, complete: () => {} });
      });
      await new Promise((r) => setTimeout(r, 300));
      await api.server.close();
      expect(await closed).toBe(1001);
      await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
    } finally {
      await api.close();
    }
  });
});

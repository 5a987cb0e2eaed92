/**
 * Starts the whole system the way the README says (`pnpm start` at the repo root) with a temporary DATA_DIR and free
 * ports, waits for the API's /healthz and the dashboard, and returns the teardown that stops it.
 *
 * Set E2E_WEB_URL and E2E_API_URL to test an already running system instead.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const START_TIMEOUT_MS = Number(process.env.E2E_START_TIMEOUT_MS ?? 420_000);

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? ok(addr.port) : fail(new Error("no port"))));
    });
  });
}

async function isUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return res.ok;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 60): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Every process below pid (turbo starts its tasks in their own process groups, so a group kill is not enough). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        /* exited meanwhile */
      }
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (process.env.E2E_WEB_URL && process.env.E2E_API_URL) {
    console.log(`e2e: testing the running system at ${process.env.E2E_WEB_URL} (API ${process.env.E2E_API_URL})`);
    return async () => {};
  }
  const apiPort = await freePort();
  let webPort = await freePort();
  while (webPort === apiPort) webPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "tunelab-e2e-"));
  const apiUrl = `http://localhost:${apiPort}`;
  const webUrl = `http://localhost:${webPort}`;
  const logDir = join(here, "..", "test-results");
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, "system.log");
  const log = createWriteStream(logFile);
  console.log(`e2e: starting \`pnpm start\` (API ${apiUrl}, web ${webUrl}, DATA_DIR ${dataDir}); log: ${logFile}`);

  const child: ChildProcess = spawn("pnpm", ["start"], {
    cwd: repoRoot,
    detached: true, // own process group, so teardown stops turbo and everything it started
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      API_PORT: String(apiPort),
      WEB_PORT: String(webPort),
      API_URL: apiUrl,
      DATA_DIR: dataDir,
      NEXT_TELEMETRY_DISABLED: "1",
      FORCE_COLOR: "0",
    },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));

  const stop = async () => {
    if (child.pid) {
      const tree = [child.pid, ...descendants(child.pid)];
      try {
        process.kill(-child.pid, "SIGTERM"); // pnpm and turbo; turbo forwards it to the tasks
      } catch {
        /* already gone */
      }
      const deadline = Date.now() + 15_000;
      while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      for (const pid of tree.filter(alive)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
    log.end();
    rmSync(dataDir, { recursive: true, force: true });
  };

  const started = Date.now();
  try {
    let apiUp = false;
    let webUp = false;
    while (!(apiUp && webUp)) {
      if (exited !== undefined) throw new Error(`\`pnpm start\` exited with code ${exited} before the system was up`);
      if (Date.now() - started > START_TIMEOUT_MS) throw new Error(`the system was not up within ${START_TIMEOUT_MS / 1000}s (API up: ${apiUp}, web up: ${webUp})`);
      apiUp ||= await isUp(`${apiUrl}/healthz`);
      webUp ||= apiUp && (await isUp(`${webUrl}/runs`));
      if (!(apiUp && webUp)) await new Promise((r) => setTimeout(r, 1_000));
    }
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- last lines of ${logFile} ---\n${tail(logFile)}`, { cause: err });
  }
  console.log(`e2e: system up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  process.env.E2E_WEB_URL = webUrl;
  process.env.E2E_API_URL = apiUrl;
  return stop;
}

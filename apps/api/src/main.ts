import { createDb } from "@tunelab/db";
import { EnvError, readEnv } from "./env";
import { createLogger } from "./logger";
import { startApiServer } from "./server";

/** `pnpm start`: reads the environment, opens the database (PGlite in DATA_DIR or DATABASE_URL), serves until signalled. */
async function main() {
  let env;
  try {
    env = readEnv();
  } catch (e) {
    if (e instanceof EnvError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(env.logLevel);
  const handle = await createDb({ databaseUrl: env.databaseUrl, dataDir: env.dataDir });
  const server = await startApiServer({ env, handle, log });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: draining HTTP and WebSocket clients");
    const hard = setTimeout(() => process.exit(1), 15_000);
    hard.unref();
    const started = Date.now();
    try {
      await server.close();
      log.info({ ms: Date.now() - started }, "HTTP and WebSocket clients drained");
      await handle.close();
      log.info({ ms: Date.now() - started }, "database closed");
    } catch (err) {
      log.error({ err }, "shutdown did not complete cleanly");
      process.exitCode = 1;
    } finally {
      clearTimeout(hard);
      process.exit();
    }
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import { ApiClient } from "./api/client";
import { ConfigError, USAGE, loadConfig, type WorkerConfig } from "./env";
import { createLogger } from "./log";
import { WORKER_NODE_FLAGS } from "./node-flags";
import { Worker } from "./worker";

/** Graceful stop must end within 10 s (Kubernetes' default grace period is 30 s; compose's is 10 s). */
const SHUTDOWN_DEADLINE_MS = 8_000;

async function main(): Promise<void> {
  let config: WorkerConfig | null;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tunelab-worker: invalid configuration\n${error.problems.map((p) => `  - ${p}`).join("\n")}\n\n${USAGE}`);
      process.exit(2);
    }
    throw error;
  }
  if (!config) {
    process.stdout.write(USAGE);
    return;
  }

  const logger = createLogger(config.logLevel, { name: config.name });
  const missingFlags = WORKER_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
  if (missingFlags.length > 0)
    logger.warn(
      { missing: missingFlags },
      "node was started without the worker's flags: training runs slower, beside more V8 helper threads than it leaves cores for. Start the worker with `tunelab-worker`, `pnpm start` or `node " +
        WORKER_NODE_FLAGS.join(" ") +
        " ...` (src/node-flags.ts)",
    );
  const api = new ApiClient({
    apiUrl: config.apiUrl,
    token: config.token,
    onRetry: (operation, error, attempt, delayMs) => logger.debug({ operation, attempt, delayMs, reason: (error as Error).message }, "API call failed, retrying"),
  });
  // Loaded after the configuration is checked: TensorFlow.js takes a moment to import.
  const { createTrainerEngine } = await import("./thread-engine");
  const engine = await createTrainerEngine(logger);
  const worker = new Worker({ config, api, engine, logger });

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      if (signal === "SIGINT") process.exit(130);
      return;
    }
    logger.info({ signal }, "stop requested");
    // Whatever happens, exit 0 before the 10 s a supervisor waits.
    setTimeout(() => {
      logger.warn("shutdown deadline reached; exiting");
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS + 1_500).unref();
    stopping = worker.stop(SHUTDOWN_DEADLINE_MS).finally(() => {
      logger.info({ outcomes: worker.outcomes }, "worker stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  logger.info({ api: config.apiUrl, dataDir: config.dataDir, cacheDir: config.cacheDir, token: config.token.kind === "file" ? `file ${config.token.path}` : "given" }, "tunelab-worker starting");
  try {
    await worker.detect();
    await worker.run();
  } catch (error) {
    logger.fatal({ err: error }, (error as Error).message);
    process.exit(1);
  }
  await stopping;
}

await main();

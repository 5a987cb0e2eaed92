export { startApiServer, buildSchema, type ApiServer, type StartOptions } from "./server";
export { readEnv, type Env } from "./env";
export { createLogger } from "./logger";

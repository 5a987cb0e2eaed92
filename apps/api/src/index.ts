export { startApiServer, buildSchema, type ApiServer, type StartOptions } from "./server";
export { readEnv, type Env } from "./env";
export { createLogger } from "./logger";

export { API_NODE_FLAGS } from "./node-flags";

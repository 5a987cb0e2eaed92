// The web server's environment, read once at request time (never inlined at build time).

export interface WebEnv {
  /** Base URL of the API as the browser should reach it, e.g. http://localhost:4000 */
  apiUrl: string;
}

export function readEnv(): WebEnv {
  const env = process.env;
  const port = env.API_PORT && /^\d+$/.test(env.API_PORT) ? env.API_PORT : "4000";
  const raw = env.API_URL?.trim() || `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`API_URL is not a valid URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`API_URL must be http(s), got ${url.protocol}`);
  }
  return { apiUrl: url.toString().replace(/\/+$/, "") };
}

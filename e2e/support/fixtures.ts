import { test as base, expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const screenshotDir = join(dirname(fileURLToPath(import.meta.url)), "..", "screenshots");

export const test = base.extend({
  // The global setup exports the started system's URL; read it in the worker, not at config load.
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures take their dependencies as a destructured object
  baseURL: async ({}, use) => {
    const url = process.env.E2E_WEB_URL;
    if (!url) throw new Error("E2E_WEB_URL is not set: the global setup did not start the system");
    await use(url);
  },
});

/**
 * Opens a dashboard page and waits until React has hydrated it: the nav's connection status turns "Live" only in the
 * browser, once the GraphQL WebSocket is up. Typing into a server-rendered input before hydration is lost (React resets
 * the controlled value), which made filter specs flaky.
 */
export async function openPage(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId("ws-state")).toContainText("Live", { timeout: 30_000 });
}

/** Full-page screenshot written to e2e/screenshots/<name>.png (git-ignored) for people to look at. */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export { expect };

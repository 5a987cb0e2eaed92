// Fails the e2e run loudly when the browser is missing: these tests must never be skipped silently.
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

const path = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
try {
  accessSync(path, constants.X_OK);
  const version = execFileSync(path, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  console.log(`e2e: using ${version} at ${path}`);
} catch (err) {
  console.error(
    [
      "",
      "################################################################################",
      `e2e: Chromium not found or not runnable at ${path} (${err.message}).`,
      "The browser tests cannot run. Install Debian's chromium:",
      "    apt-get update && apt-get install -y chromium",
      "or point CHROMIUM_PATH at a Chromium binary. (`npx playwright install` cannot download browsers here.)",
      "################################################################################",
      "",
    ].join("\n"),
  );
  process.exit(1);
}

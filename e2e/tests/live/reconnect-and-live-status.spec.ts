import { expect, snap, test } from "../../support/fixtures";
import { cancelRun, launchRun, smallDatasets, uniqueName } from "../../support/api";

test("the runs table updates live, also after the WebSocket drops and reconnects", async ({ page }) => {
  const [dataset] = await smallDatasets();
  const prefix = uniqueName("e2e-live");
  // TENSORFLOW_GPU: no worker here serves it, so the runs stay QUEUED until we cancel them.
  const input = { datasetId: dataset!.id, config: { epochs: 1, batchSize: 16, learningRate: 0.01 }, backends: ["TENSORFLOW_GPU"] };
  const first = await launchRun({ ...input, name: `${prefix}-first` });

  await page.goto(`/runs?q=${prefix}`);
  const rows = page.getByTestId("run-row");
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId("ws-state")).toContainText("Live");
  await page.evaluate(() => ((globalThis as unknown as { __noReload: boolean }).__noReload = true));

  // Status change arrives over runUpdated.
  await cancelRun(first.id);
  await expect(rows.first().getByTestId("run-status")).toHaveAttribute("data-status", "CANCELLED");

  // Drop the socket: the client reconnects by itself and the page keeps receiving updates.
  await page.evaluate(() => (globalThis as unknown as { __tunelabDebug: { dropWebSocket: () => void } }).__tunelabDebug.dropWebSocket());
  await expect(page.getByTestId("ws-state")).toContainText("Live", { timeout: 30_000 });
  const second = await launchRun({ ...input, name: `${prefix}-second` });
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: second.name }).getByTestId("run-status")).toHaveAttribute("data-status", "QUEUED");
  await cancelRun(second.id);
  await expect(rows.filter({ hasText: second.name }).getByTestId("run-status")).toHaveAttribute("data-status", "CANCELLED");
  expect(await page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  await snap(page, "runs-live");
});

import { expect, openPage, snap, test } from "../../support/fixtures";
import { cancelRun, launchRun, smallDatasets, uniqueName, waitForStatus } from "../../support/api";

test("filter the runs table by status and by dataset", async ({ page }) => {
  const datasets = await smallDatasets();
  const [d1, d2] = datasets;
  expect(d2, "needs two datasets").toBeTruthy();
  const prefix = uniqueName("e2e-filter");
  // No worker serves TENSORFLOW_GPU here, so these runs stay QUEUED (or get cancelled) without using the worker.
  const common = { config: { epochs: 1, batchSize: 16, learningRate: 0.01 }, backends: ["TENSORFLOW_GPU"], tags: ["e2e"] };
  const cancelled = await launchRun({ ...common, name: `${prefix}-cancelled`, datasetId: d1!.id });
  const queued1 = await launchRun({ ...common, name: `${prefix}-queued-1`, datasetId: d1!.id });
  const queued2 = await launchRun({ ...common, name: `${prefix}-queued-2`, datasetId: d2!.id });
  await cancelRun(cancelled.id);
  await waitForStatus(cancelled.id, ["CANCELLED"], 30_000);

  try {
    await openPage(page, "/runs");
    await page.getByLabel("Name contains").fill(prefix);
    await expect(page).toHaveURL(new RegExp(`[?&]q=${prefix}`)); // the debounced name filter has applied
    const rows = page.getByTestId("run-row");
    await expect(rows).toHaveCount(3);

    // By status.
    await page.getByRole("checkbox", { name: "Status CANCELLED" }).check();
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(cancelled.name);
    await expect(rows.first().getByTestId("run-status")).toHaveAttribute("data-status", "CANCELLED");
    await page.getByRole("checkbox", { name: "Status CANCELLED" }).uncheck();
    await page.getByRole("checkbox", { name: "Status QUEUED" }).check();
    await expect(rows).toHaveCount(2);
    for (const r of await rows.all()) await expect(r.getByTestId("run-status")).toHaveAttribute("data-status", "QUEUED");
    await expect(page).toHaveURL(/status=QUEUED/);
    await page.getByRole("checkbox", { name: "Status QUEUED" }).uncheck();
    await expect(rows).toHaveCount(3);

    // By dataset.
    await page.getByLabel("Dataset", { exact: true }).selectOption(d1!.id);
    await expect(rows).toHaveCount(2);
    for (const r of await rows.all()) await expect(r.getByTestId("run-dataset")).toContainText(d1!.name);
    await expect(rows.filter({ hasText: queued2.name })).toHaveCount(0);
    await page.getByLabel("Dataset", { exact: true }).selectOption(d2!.id);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(queued2.name);

    // Both at once.
    await page.getByLabel("Dataset", { exact: true }).selectOption(d1!.id);
    await page.getByRole("checkbox", { name: "Status QUEUED" }).check();
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(queued1.name);
    // Back to all statuses and datasets: the three seeded runs again.
    await page.getByRole("button", { name: "Clear filters" }).click();
    await page.getByLabel("Name contains").fill(prefix);
    await expect(rows).toHaveCount(3);
    await page.getByLabel("Name contains").fill("");
    await expect(page).not.toHaveURL(/q=/);
    await expect(page.getByTestId("runs-table")).toBeVisible();
    await snap(page, "runs");
  } finally {
    await cancelRun(queued1.id).catch(() => {});
    await cancelRun(queued2.id).catch(() => {});
  }
});

import { expect, openPage, snap, test } from "../../support/fixtures";
import { launchRun, smallDatasets, uniqueName, waitForStatus } from "../../support/api";

test("select two runs in the table and compare them: differing config keys are highlighted", async ({ page }) => {
  test.setTimeout(420_000);
  const [dataset] = await smallDatasets();
  const prefix = uniqueName("e2e-cmp");
  const base = { datasetId: dataset!.id, config: { epochs: 3, batchSize: 16, learningRate: 0.01, seed: 7 }, tags: ["e2e"] };
  const a = await launchRun({ ...base, name: `${prefix}-a` });
  const b = await launchRun({ ...base, name: `${prefix}-b`, config: { ...base.config, learningRate: 0.003, batchSize: 32 } });
  await waitForStatus(a.id, ["SUCCEEDED", "FAILED"], 300_000);
  await waitForStatus(b.id, ["SUCCEEDED", "FAILED"], 300_000);

  await openPage(page, "/runs");
  await page.getByLabel("Name contains").fill(prefix);
  // The name filter applies after a short debounce; select only once it has (the URL carries it), or the filter change
  // lands after the click on Compare.
  await expect(page).toHaveURL(new RegExp(`[?&]q=${prefix}`));
  const rows = page.getByTestId("run-row");
  await expect(rows).toHaveCount(2);
  await page.getByRole("checkbox", { name: `Select ${a.name}` }).check();
  await page.getByRole("checkbox", { name: `Select ${b.name}` }).check();
  await page.getByTestId("compare-selected").click();
  await page.waitForURL(/\/compare\?ids=/);

  const diffs = page.getByTestId("config-diff");
  await expect(diffs.filter({ hasText: "Learning rate" })).toBeVisible();
  await expect(diffs.filter({ hasText: "Batch size" })).toBeVisible();
  await expect(page.locator('[data-testid="config-diff"][data-key="learningRate"]')).toContainText("0.003");
  await expect(page.locator('[data-testid="config-same"][data-key="epochs"]')).toBeVisible();
  await expect(page.locator('[data-testid="config-same"][data-key="dataset"]')).toBeVisible();
  // Overlaid curves: both runs' loss series are drawn.
  await expect(page.getByTestId("compare-chart-loss")).toHaveAttribute("data-points", "6");
  await expect(page.getByTestId("compare-evaluations")).toContainText(a.name);
  await snap(page, "compare");
});

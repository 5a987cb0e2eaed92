import { expect, openPage, snap, test } from "../../support/fixtures";
import { fineTunablePair, uniqueName } from "../../support/api";

test("launch a run with two frozen layers, watch epochs arrive live, see it succeed with an evaluation", async ({ page }) => {
  test.setTimeout(420_000);
  const { dataset, model } = await fineTunablePair(3);
  const name = uniqueName("e2e-launch");
  const epochs = 3;

  await openPage(page, "/launch");
  await expect(page.getByRole("heading", { name: "Launch a run" })).toBeVisible();
  await page.getByLabel("Dataset", { exact: true }).selectOption(dataset.id);
  await page.getByLabel("Base model", { exact: true }).selectOption(model.id);

  const layerTable = page.getByTestId("layer-table");
  await expect(layerTable.getByRole("row")).toHaveCount(model.layers.length + 1);
  await expect(page.getByTestId("frozen-params")).toHaveText("0");
  // The first two layers that hold weights (freezing an InputLayer would prove nothing).
  const [first, second] = model.layers.filter((l) => l.params > 0);
  await page.getByRole("checkbox", { name: `Freeze ${first!.name}`, exact: true }).check();
  await page.getByRole("checkbox", { name: `Freeze ${second!.name}`, exact: true }).check();
  const frozen = first!.params + second!.params;
  const total = model.layers.reduce((n, l) => n + l.params, 0);
  await expect(page.getByTestId("frozen-params")).toHaveText(frozen.toLocaleString("en-US"));
  await expect(page.getByTestId("trainable-params")).toHaveText((total - frozen).toLocaleString("en-US"));
  await expect(page.getByTestId("param-counts")).toContainText(`2 of ${model.layers.length} layers frozen`);

  await page.getByLabel("Run name").fill(name);
  await page.getByLabel("Epochs", { exact: true }).fill(String(epochs));
  await page.getByLabel("Batch size").fill("16");
  await page.getByLabel("Tags", { exact: true }).fill("e2e, frozen-2");
  await snap(page, "launch");

  await page.getByRole("button", { name: "Launch run" }).click();
  await page.waitForURL(/\/runs\/[^/?]+$/);
  await expect(page.getByTestId("run-name")).toHaveText(name);
  // Mark the document: a reload would lose this flag.
  await page.evaluate(() => ((globalThis as unknown as { __noReload: boolean }).__noReload = true));

  const chart = page.getByTestId("chart-loss");
  const points = async () => Number(await chart.getAttribute("data-points"));
  const seen = new Set<number>([await points()]);
  const startPoints = await points();
  // Watch the chart's data grow over the subscription: at least two more epochs (loss + val_loss each).
  await expect
    .poll(
      async () => {
        seen.add(await points());
        return await points();
      },
      { timeout: 300_000, intervals: [250] },
    )
    .toBeGreaterThanOrEqual(startPoints + 4);
  expect(startPoints, "the run should not have finished two epochs before the page opened").toBeLessThanOrEqual(2 * (epochs - 2));
  await expect(page.getByTestId("epoch-counter")).toContainText(`/ ${epochs}`);

  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "SUCCEEDED", { timeout: 300_000 });
  expect(await page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  expect(seen.size, `chart point counts observed: ${[...seen].join(",")}`).toBeGreaterThanOrEqual(2);

  await expect(page.getByTestId("evaluation-summary")).toBeVisible();
  await expect(page.getByTestId("per-class-table")).toBeVisible();
  await expect(page.getByTestId("confusion-matrix")).toBeVisible();
  await expect(page.getByTestId("step-7")).toHaveAttribute("data-state", "done");
  await expect(page.getByTestId("step-3")).toContainText(`2 of ${model.layers.length} layers`);
  await expect(page.getByTestId("run-layers").locator("tr.frozen")).toHaveCount(2);
  await expect(page.getByRole("link", { name: "Download model" })).toBeVisible();
  await snap(page, "run");

  // The fine-tuned model shows in the registry under its base model, with its source run.
  await page.getByRole("link", { name: "Models" }).click();
  const row = page.getByTestId("model-row").filter({ hasText: name });
  await expect(row).toBeVisible();
  await expect(row).toContainText(`from ${model.name} v${model.version}`);
  await snap(page, "models");
});

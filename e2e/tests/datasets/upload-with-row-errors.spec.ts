import { expect, openPage, snap, test } from "../../support/fixtures";
import { uniqueName } from "../../support/api";

const header = "sepal_length,sepal_width,petal_length,petal_width,label";
const good = Array.from({ length: 30 }, (_, i) => `${5 + (i % 7) / 10},${3 + (i % 5) / 10},${1 + (i % 3)},${0.2 + (i % 4) / 10},${["a", "b", "c"][i % 3]}`);

test("upload a dataset: bad rows are listed, then a fixed file registers a version with its class distribution", async ({ page }) => {
  const name = uniqueName("e2e-upload");
  await openPage(page, "/datasets");
  await expect(page.getByRole("heading", { name: "Datasets", exact: true })).toBeVisible();

  const bad = [header, ...good.slice(0, 10), "5.1,oops,1.4,0.2,a", ...good.slice(10), "4.9,3.0,1.4", ""].join("\n");
  await page.getByLabel("Dataset file").setInputFiles({ name: "flowers.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await page.getByLabel("Dataset name").fill(name);
  await page.getByLabel("Task").selectOption("TABULAR_CLASSIFICATION");
  await page.getByRole("button", { name: "Upload and register" }).click();
  const rowErrors = page.getByTestId("row-errors");
  await expect(rowErrors).toBeVisible();
  await expect(rowErrors).toContainText("12"); // line of the "oops" row (header is line 1)
  await snap(page, "datasets-row-errors");

  const fixed = [header, ...good, ""].join("\n");
  await page.getByLabel("Dataset file").setInputFiles({ name: "flowers.csv", mimeType: "text/csv", buffer: Buffer.from(fixed) });
  await page.getByRole("button", { name: "Upload and register" }).click();
  await expect(page.getByTestId("upload-result")).toContainText(`Registered ${name} v1 with 30 examples`);
  await expect(page.getByTestId("dataset-detail")).toContainText(name);
  const dist = page.getByTestId("class-distribution");
  await expect(dist).toContainText("a");
  await expect(dist).toContainText("10");
  await snap(page, "datasets");
});

import { expect, openPage, snap, test } from "../../support/fixtures";

test("the API's validation errors appear next to the fields they concern", async ({ page }) => {
  await openPage(page, "/launch");
  await expect(page.getByRole("heading", { name: "Launch a run" })).toBeVisible();
  await page.getByLabel("Learning rate").fill("5");
  await page.getByLabel("Epochs", { exact: true }).fill("0");
  await page.getByRole("button", { name: "Launch run" }).click();
  await expect(page.getByTestId("error-learningRate")).toContainText(/learning ?rate/i);
  await expect(page.getByTestId("error-epochs")).toContainText(/epochs/i);
  await expect(page.getByTestId("error-form")).toHaveCount(0);
  await expect(page).toHaveURL(/\/launch$/);
  await snap(page, "launch-field-errors");
  // Fixing a field clears its error.
  await page.getByLabel("Epochs", { exact: true }).fill("2");
  await expect(page.getByTestId("error-epochs")).toHaveCount(0);
});

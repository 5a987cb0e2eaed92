import { expect, snap, test } from "../../support/fixtures";
import { cancelRun, launchRun, smallDatasets, uniqueName, waitForStatus } from "../../support/api";

test("a run with epochs of a few milliseconds shows its epochs, not a batch count left from its first epoch", async ({ page }) => {
  const [dataset] = await smallDatasets(); // iris: 150 examples, epochs of ~50 ms at batch 1
  // Long enough to watch it train; cancelled at the end.
  const run = await launchRun({ datasetId: dataset!.id, name: uniqueName("e2e-fast-epochs"), config: { epochs: 1000, batchSize: 1, learningRate: 0.01 }, tags: ["e2e"] });
  try {
    await waitForStatus(run.id, ["RUNNING"], 120_000);
    await page.goto(`/runs/${run.id}`);
    const timeline = page.getByTestId("timeline");
    const epoch = timeline.getByTestId("timeline-epoch");
    await expect(epoch).toContainText(/epoch [1-9]\d*\/1000/, { timeout: 30_000 });
    const epochNumber = async () => Number(/epoch (\d+)\//.exec((await epoch.textContent()) ?? "")?.[1] ?? 0);
    const seen = await epochNumber();
    await expect.poll(epochNumber, { timeout: 30_000 }).toBeGreaterThan(seen + 20);
    // The worker sends no batch progress while epochs come this fast, so the one count it sent before the first epoch
    // ended must not stay on screen as if training were stuck at that batch.
    await expect(timeline.getByRole("progressbar", { name: "batches" })).toHaveCount(0);
    await snap(page, "run-fast-epochs");
  } finally {
    await cancelRun(run.id).catch(() => undefined); // already over: nothing to stop
  }
});

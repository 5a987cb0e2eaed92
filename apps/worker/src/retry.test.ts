import { describe, expect, it } from "vitest";
import { backoffDelay, retry } from "./retry";

describe("retry", () => {
  it("backs off exponentially with jitter, capped", () => {
    expect(backoffDelay(1, { initialMs: 100 }, () => 0)).toBe(50);
    expect(backoffDelay(1, { initialMs: 100 }, () => 1)).toBe(100);
    expect(backoffDelay(4, { initialMs: 100 }, () => 1)).toBe(800);
    expect(backoffDelay(20, { initialMs: 100, maxMs: 1000 }, () => 1)).toBe(1000);
  });

  it("retries retryable errors until success, not the others", async () => {
    let calls = 0;
    const value = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new Error("transient");
        return 42;
      },
      { initialMs: 1 },
    );
    expect([value, calls]).toEqual([42, 3]);

    calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error("fatal");
        },
        { initialMs: 1, retryable: () => false },
      ),
    ).rejects.toThrow("fatal");
    expect(calls).toBe(1);
  });

  it("gives up after maxAttempts or when aborted", async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error("down");
        },
        { initialMs: 1, maxAttempts: 4 },
      ),
    ).rejects.toThrow("down");
    expect(calls).toBe(4);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await expect(
      retry(
        async () => {
          throw new Error("down");
        },
        { initialMs: 10_000, signal: controller.signal },
      ),
    ).rejects.toThrow("down");
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

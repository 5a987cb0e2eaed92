import { describe, expect, it } from "vitest";
import { validateTrainingConfig } from "./config";

const ok = { learningRate: 0.01, epochs: 2, batchSize: 8, optimizer: "ADAM", validationSplit: 0.2, seed: 1 } as const;

describe("validateTrainingConfig", () => {
  it("accepts a valid config", () => {
    expect(validateTrainingConfig(ok)).toEqual([]);
    expect(validateTrainingConfig({ ...ok, earlyStoppingPatience: 3, testSplit: 0.1, momentum: 0.5, optimizer: "MOMENTUM" })).toEqual([]);
  });

  it("reports every bad field with its allowed range", () => {
    const problems = validateTrainingConfig({ learningRate: 0, epochs: 1.5, batchSize: 0, optimizer: "LION", validationSplit: 0.9, seed: -1 });
    expect(Object.fromEntries(problems.map((p) => [p.field, p.message]))).toEqual({
      learningRate: expect.stringMatching(/greater than 0 and at most 1/),
      epochs: "epochs must be an integer from 1 to 1000.",
      batchSize: "batchSize must be an integer from 1 to 4096.",
      optimizer: "optimizer must be one of SGD, MOMENTUM, ADAM, RMSPROP.",
      validationSplit: "validationSplit must be a number from 0 to 0.5.",
      seed: "seed must be an integer from 0 to 4294967295.",
    });
  });

  it("needs a validation split for early stopping", () => {
    expect(validateTrainingConfig({ ...ok, validationSplit: 0, earlyStoppingPatience: 2 })).toEqual([
      { field: "earlyStoppingPatience", message: expect.stringMatching(/needs a validation split/) },
    ]);
    expect(validateTrainingConfig({ ...ok, earlyStoppingPatience: 0 })[0]!.field).toBe("earlyStoppingPatience");
  });
});

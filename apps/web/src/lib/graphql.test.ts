import { describe, expect, it } from "vitest";
import { absoluteUrl, ApiError, fieldErrors } from "./graphql";

const aliases = {
  datasetId: ["dataset"],
  baseModelId: ["base model"],
  freeze: ["layers", "upToIndex"],
  learningRate: ["learning rate"],
  epochs: [],
  validationSplit: ["validation split"],
};

describe("fieldErrors", () => {
  it("spreads the API's extensions.fields over the form's fields by their last path segment", () => {
    const err = new ApiError("x", [
      {
        message: "config.learningRate: bad. config.epochs: bad.",
        extensions: {
          code: "BAD_USER_INPUT",
          fields: [
            { field: "config.learningRate", message: "learningRate must be > 0." },
            { field: "config.epochs", message: "epochs must be 1 to 1000." },
            { field: "freeze.layers", message: "no layer named foo." },
          ],
        },
      },
    ]);
    expect(fieldErrors(err, aliases)).toEqual({
      learningRate: "learningRate must be > 0.",
      epochs: "epochs must be 1 to 1000.",
      freeze: "no layer named foo.",
    });
  });

  it("maps by message when there is no field hint, longest alias first", () => {
    const err = new ApiError("x", [
      { message: "The validation split must be below 1", extensions: { code: "BAD_USER_INPUT" } },
      { message: "Base model abc is not compatible", extensions: { code: "BAD_USER_INPUT" } },
    ]);
    expect(fieldErrors(err, aliases)).toEqual({
      validationSplit: "The validation split must be below 1",
      baseModelId: "Base model abc is not compatible",
    });
  });

  it("puts what it cannot place, and network errors, on the form", () => {
    expect(fieldErrors(new ApiError("boom", [{ message: "Internal server error" }]), aliases)).toEqual({ _form: "Internal server error" });
    expect(fieldErrors(new ApiError("Cannot reach the API", [], true), aliases)).toEqual({ _form: "Cannot reach the API" });
  });
});

describe("absoluteUrl", () => {
  it("resolves API-relative download URLs against the API", () => {
    expect(absoluteUrl("http://localhost:4000", "/artifacts/abc")).toBe("http://localhost:4000/artifacts/abc");
    expect(absoluteUrl("http://localhost:4000", "https://cdn.example/x")).toBe("https://cdn.example/x");
  });
});

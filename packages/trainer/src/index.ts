export * from "./types";
export * from "./datasets";
export * from "./models";
export * from "./train";
export { createRng, withSeededMathRandom } from "./util/random";
export { sha256Hex } from "./util/hash";

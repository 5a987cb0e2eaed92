export * from "./types";
export * from "./datasets";
export * from "./models";
export * from "./train";
export { createRng, withSeededMathRandom } from "./util/random";
export { sha256Hex } from "./util/hash";
// Backend selection lives in src/backends (select before calling fineTune; fineTune never picks one).
export { selectBackend, detectBackends, type SelectedBackend, type Unavailable } from "./backends";

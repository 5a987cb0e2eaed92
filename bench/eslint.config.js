export { default } from "@tunelab/eslint-config";

/**
 * nnkit: the helper library of the ml-exercises-ts notebooks.
 * Import it in a notebook with `import { ... } from "nnkit";`.
 */
export * from "./random";
export * from "./arrays";
// check.ts also has a shapeOf (for its own plain values); the notebooks' one is arrays'.
export { shapeOf } from "./arrays";
export * from "./datasets";
export * from "./display";
export * from "./plot";
export * from "./check";
export * from "./idx";
export * from "./fashion-mnist";
export * from "./progress";
export * from "./gradcheck";
export * from "./backend";
export * from "./train";

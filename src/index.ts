/**
 * nnkit: the helper library of the ml-exercises-ts notebooks.
 * Import it in a notebook with `import { ... } from "nnkit";`.
 *
 * Names are exported one by one: this list is what Tab shows after `nnkit.` in a notebook, so it
 * holds what a student calls and the types of its options, nothing the grader or the charts use
 * inside (those stay importable from their own modules, e.g. `nnkit/dist/check`).
 */

// Seeded random numbers
export { Rng, setSeed, defaultRng } from "./random";

// Plain arrays
export { linspace, arange, zeros, shapeOf, flatten, reshape } from "./arrays";
export type { Nested } from "./arrays";

// Toy datasets
export { makeMoons, makeCircles, makeBlobs, makeSpiral, makeDataset, oneHot, datasetTensors } from "./datasets";
export type { Dataset, DatasetOptions, CirclesOptions, BlobsOptions, SpiralOptions } from "./datasets";

// Fashion-MNIST
export { FASHION_CLASSES, loadFashionMnist, fashionTensors } from "./fashion-mnist";
export type { FashionData, FashionOptions } from "./fashion-mnist";

// Charts and rich output
export { inJupyter, displayBundle, newDisplayId } from "./display";
export { show, lineChart, scatterByClass, decisionBoundary, contourChart, heatmap, confusionMatrixChart, surface3d, imageGrid, poolingFigure, trajectoryAnimation } from "./plot";
export type { Figure, ChartOptions, LineChartOptions, ScatterOptions, BoundaryOptions, SurfaceOptions, HeatmapOptions, ConfusionOptions, ImageGridOptions, PoolingFigureOptions, Trajectory, TrajectoryOptions } from "./plot";

// Gradients, training and the backend
export { numericGradient, numericGradientArray, relError } from "./gradcheck";
export { liveProgress } from "./progress";
export type { ProgressOptions } from "./progress";
export { fit } from "./train";
export type { FitOptions } from "./train";
export { setupBackend } from "./backend";
export type { BackendChoice, BackendOptions } from "./backend";

// Checking one's work
export { check } from "./check";

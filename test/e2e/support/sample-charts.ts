/** One figure of each chart kind, built as the notebooks build them (for browser tests and README screenshots). */
import { makeMoons } from "../../../src/datasets";
import { linspace } from "../../../src/arrays";
import { FASHION_CLASSES, fashionImage, loadFashionMnist } from "../../../src/fashion-mnist";
import {
  Figure, confusionMatrixChart, contourChart, poolingFigure, decisionBoundary, heatmap, imageGrid, lineChart, scatterByClass, surface3d, trajectoryAnimation,
} from "../../../src/plot";

const rosenbrock = (x: number, y: number): number => (1 - x) ** 2 + 100 * (y - x * x) ** 2;

/** Gradient descent with momentum on Rosenbrock: the kind of path notebook 03 animates. */
function momentumPath(lr: number, beta: number, steps: number): number[][] {
  let [x, y] = [-1.5, 2];
  let [vx, vy] = [0, 0];
  const pts = [[x, y]];
  for (let i = 0; i < steps; i++) {
    const gx = -2 * (1 - x) - 400 * x * (y - x * x);
    const gy = 200 * (y - x * x);
    vx = beta * vx - lr * gx;
    vy = beta * vy - lr * gy;
    x += vx;
    y += vy;
    pts.push([x, y]);
  }
  return pts;
}

/** A k-nearest-neighbour classifier: a non-linear boundary without training. */
function knn(train: number[][], labels: Int32Array, k: number): (pts: number[][]) => number[] {
  return (pts) =>
    pts.map(([px, py]) => {
      const near = train.map(([x, y], i) => [(x - px) ** 2 + (y - py) ** 2, labels[i]]).sort((a, b) => a[0] - b[0]).slice(0, k);
      return near.filter(([, l]) => l === 1).length * 2 > k ? 1 : 0;
    });
}

/**
 * A Fashion-MNIST confusion matrix of the kind notebook 05 shows (1,000 test images per class;
 * fixed, illustrative counts: shirts taken for T-shirts, pullovers and coats, the usual confusions).
 * It tests the chart; the picture of a real one is 05's own (docs/img/confusion-05_fashion_mnist.png,
 * taken by the browser test from the CNN it trains).
 */
export const FASHION_CONFUSION: number[][] = [
  [843, 2, 17, 32, 5, 1, 91, 0, 9, 0],
  [4, 962, 2, 22, 5, 0, 3, 0, 2, 0],
  [18, 1, 801, 10, 104, 0, 62, 0, 4, 0],
  [27, 9, 12, 880, 36, 0, 31, 0, 5, 0],
  [2, 1, 96, 34, 806, 0, 58, 0, 3, 0],
  [0, 0, 0, 1, 0, 951, 0, 31, 2, 15],
  [157, 2, 112, 33, 91, 0, 589, 0, 16, 0],
  [0, 0, 0, 0, 0, 20, 0, 945, 0, 35],
  [4, 1, 6, 5, 3, 3, 8, 4, 965, 1],
  [0, 0, 0, 0, 0, 8, 1, 40, 0, 951],
];

/** Figures by kind: line, scatter, boundary, contour, heatmap, confusion, pooling, surface, images, trajectory. */
export function sampleCharts(): Record<string, Figure> {
  const off = { display: false };
  const xs = linspace(-5, 5, 201);
  const moons = makeMoons({ nSamples: 200, noise: 0.25, seed: 3 });
  const fashion = loadFashionMnist({ split: "test", limit: 2000 });
  const picks: number[] = [];
  const titles: string[] = [];
  for (let row = 0; row < 3; row++) {
    for (let c = 0; c < 10; c++) {
      const idx = Array.from(fashion.labels).map((l, i) => (l === c ? i : -1)).filter((i) => i >= 0)[row];
      picks.push(idx);
      titles.push(FASHION_CLASSES[c]);
    }
  }
  const confusion = [[90, 3, 7], [5, 80, 15], [2, 10, 88]];
  return {
    line: lineChart(
      { sigmoid: xs.map((v) => 1 / (1 + Math.exp(-v))), tanh: xs.map(Math.tanh), relu: xs.map((v) => Math.max(0, v)) },
      { ...off, x: xs, title: "Activation functions", xLabel: "x", yRange: [-1.2, 2] },
    ),
    scatter: scatterByClass(moons, { ...off, title: "make_moons (noise 0.25)" }),
    boundary: decisionBoundary(knn(moons.x, moons.y, 15), moons, { ...off, title: "Decision boundary (15-NN), misclassified points crossed" }),
    contour: contourChart(rosenbrock, { ...off, xRange: [-2, 2], yRange: [-1, 3], logScale: true, title: "Rosenbrock (log scale)" }),
    heatmap: heatmap(confusion, { ...off, x: ["cat", "dog", "bird"], y: ["cat", "dog", "bird"], showValues: true, title: "Confusion matrix", xLabel: "predicted", yLabel: "true", colorscale: "Blues", reverseScale: true }),
    confusion: confusionMatrixChart(FASHION_CONFUSION, { ...off, classNames: FASHION_CLASSES, title: "CNN confusion matrix (10,000 test images)" }),
    pooling: poolingFigure([[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 9, 0], [3, 4, 1, 8]], { ...off, size: 2, title: "max pooling, 2x2 windows, stride 2" }),
    surface: surface3d((x, y) => x * x - y * y, { ...off, xRange: [-1, 1], title: "Saddle x² - y²" }),
    images: imageGrid(picks.map((i) => fashionImage(fashion, i)), { ...off, titles, columns: 10, title: "Fashion-MNIST, one column per class" }),
    trajectory: trajectoryAnimation(
      rosenbrock,
      [
        { name: "gradient descent", points: momentumPath(0.001, 0, 300) },
        { name: "momentum 0.9", points: momentumPath(0.001, 0.9, 300) },
      ],
      { ...off, xRange: [-2, 2], yRange: [-1, 3], minimum: [1, 1], title: "Optimizer race on Rosenbrock" },
    ),
  };
}

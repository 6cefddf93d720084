/** Inline plotly charts for the notebooks; each chart shows itself and returns its figure. */
export * from "./figure";
export * from "./colors";
export * from "./grid";
export * from "./line";
export * from "./scatter";
export * from "./boundary";
export * from "./contour";
export * from "./confusion";
export * from "./images";
export * from "./pooling";
export * from "./trajectory";
export * from "./isolines";

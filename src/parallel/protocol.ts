// Messages between the training loop (main thread) and its gradient workers.

/** Loss functions a worker can rebuild by name (tfjs-layers' own). */
export type LossName = "categoricalCrossentropy" | "sparseCategoricalCrossentropy" | "binaryCrossentropy" | "meanSquaredError";

/** The accuracy metric tfjs would attach for `metrics: ["accuracy"]`. */
export type MetricName = "categoricalAccuracy" | "sparseCategoricalAccuracy" | "binaryAccuracy";

/** A dataset in shared memory: `count` rows of `xRow` and `yRow` floats. */
export interface SharedData {
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  xShape: number[];
  yShape: number[];
  count: number;
}

export interface InitMessage {
  type: "init";
  modelJson: string;
  loss: LossName;
  metric: MetricName | null;
  data: SharedData;
}

/** Gradients of sum(loss over `indices`) / `total`, and the sums behind the logs. */
export interface GradMessage {
  type: "grad";
  weights: Float32Array[];
  indices: Int32Array;
  total: number;
}

/** Loss and metric sums over `indices`, without training (validation). */
export interface EvalMessage {
  type: "eval";
  weights: Float32Array[];
  indices: Int32Array;
}

export type ToWorker = InitMessage | GradMessage | EvalMessage;

export interface ReadyReply {
  type: "ready";
}
export interface GradReply {
  type: "grads";
  grads: Float32Array[];
  lossSum: number;
  metricSum: number;
}
export interface EvalReply {
  type: "evaluated";
  lossSum: number;
  metricSum: number;
}
export interface ErrorReply {
  type: "error";
  message: string;
}

export type FromWorker = ReadyReply | GradReply | EvalReply | ErrorReply;

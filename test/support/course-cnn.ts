/**
 * The course CNN as the benchmarks and the training tests build it (the notebooks' students
 * write their own buildCnn, so this stays out of src/): Conv32(3x3, relu) - Conv64(3x3, relu)
 * - MaxPool2 - Flatten - Dense10 softmax, seeded Glorot kernels, compiled with Adam 1e-3.
 */
import * as tf from "@tensorflow/tfjs";

export function courseCnn(seed = 0): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: "relu", kernelInitializer: init(1) }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu", kernelInitializer: init(2) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(3) }));
  m.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return m;
}

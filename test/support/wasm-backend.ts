import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../src/backend";

/** Runs the enclosing describe's tests on the wasm backend and puts the previous backend back after them. */
export function onWasmBackend(): void {
  let previous = "";
  before(async function () {
    previous = tf.getBackend();
    await setupBackend({ backend: "wasm", quiet: true });
  });
  after(async function () {
    if (previous) await tf.setBackend(previous);
  });
}

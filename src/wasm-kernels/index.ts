// Registers the training kernels on the wasm backend. This must run after the
// backend's first initialisation: the engine runs each kernel's setup when
// the backend starts, and unregistering built-ins before that breaks them.
// The originals are kept, for the cases the replacements hand back to them
// and for the composite kernels that call them.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { KernelArgs, KernelCall, wasmBackendOf } from "./kernel-call";
import { conv2dBackpropFilterKernel } from "./conv2d-backprop-filter";
import { conv2dBackpropInputKernel } from "./conv2d-backprop-input";
import { maxPoolGradKernel } from "./max-pool-grad";
import { batchMatMulKernel } from "./batch-mat-mul";
import { biasSumKernel } from "./bias-sum";
import { castKernel, identityKernel } from "./identity";
import { biasAddKernel } from "./bias-add";
import { conv2dKernel } from "./conv2d";

/** Kernels the replacements call; captured before any of them is replaced. */
const BUILDING_BLOCKS = ["Conv2D", "Transpose", "Reshape", "Reverse", "Slice", "BatchMatMul", "Sum", "Conv2DBackpropInput", "Identity", "Cast", "Add"];

let registered = false;

/** True once the training kernels are registered on the wasm backend. */
export function wasmTrainingKernelsRegistered(): boolean {
  return registered;
}

function originalKernel(name: string): tf.KernelFunc {
  const config = tf.getKernel(name, "wasm");
  if (config === undefined) throw new Error(`the wasm backend has no ${name} kernel to build on`);
  return config.kernelFunc;
}

function replace(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, "wasm") !== undefined) tf.unregisterKernel(name, "wasm");
  tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc });
}

/**
 * Adds the kernels that tfjs's WebAssembly backend lacks or runs slowly when
 * training (Conv2DBackpropFilter, Conv2DBackpropInput, MaxPoolGrad, transposed
 * BatchMatMul, the bias-gradient Sum, Identity and same-type Cast without a copy, the bias Add, the forward Conv2D at stride 1). Call after the wasm backend has
 * initialised; calling it again does nothing. `setupBackend()` does this for you.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const originals = new Map<string, tf.KernelFunc>();
  for (const name of BUILDING_BLOCKS) originals.set(name, originalKernel(name));
  let cached: KernelCall | null = null;
  const call = (args: KernelArgs): KernelCall => {
    const backend: BackendWasm = wasmBackendOf(args);
    if (cached === null || cached.backend !== backend) cached = new KernelCall(backend, originals);
    return cached;
  };
  const original = (name: string): tf.KernelFunc => originals.get(name) as tf.KernelFunc;
  replace("Conv2DBackpropFilter", conv2dBackpropFilterKernel(call));
  replace("Conv2DBackpropInput", conv2dBackpropInputKernel(call, original("Conv2DBackpropInput")));
  replace("MaxPoolGrad", maxPoolGradKernel);
  replace("BatchMatMul", batchMatMulKernel(call, original("BatchMatMul")));
  replace("Sum", biasSumKernel(call, original("Sum")));
  replace("Identity", identityKernel(call, original("Identity")));
  replace("Cast", castKernel(call, original("Cast")));
  replace("Add", biasAddKernel(call, original("Add")));
  replace("Conv2D", conv2dKernel(call, original("Conv2D")));
  registered = true;
}

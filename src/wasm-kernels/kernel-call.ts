// Helpers for composing wasm kernels out of other wasm kernels without going
// through the engine: intermediates are TensorInfos owned by the backend and
// must be released with release(), or the wasm heap leaks.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** The arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** Calls other kernels of one wasm backend and frees what they return. */
export class KernelCall {
  constructor(
    readonly backend: BackendWasm,
    private readonly kernels: ReadonlyMap<string, tf.KernelFunc>,
  ) {}

  /** Runs the wasm kernel `name` (the original one when it was replaced). */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernel = this.kernels.get(name);
    if (kernel === undefined) throw new Error(`wasm kernel ${name} is not available`);
    const out = kernel({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs`);
    return out;
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  /** Frees intermediates (reshapes share data and only drop a reference). */
  release(...infos: tf.TensorInfo[]): void {
    for (const info of infos) this.backend.disposeData(info.dataId);
  }
}

/** The wasm backend behind a kernel call (tfjs types it loosely). */
export function wasmBackendOf(args: KernelArgs): BackendWasm {
  return args.backend as BackendWasm;
}

/**
 * A replacement for one of the wasm backend's kernels, built over the kernel it replaces:
 * `call` gives the other wasm kernels of a call's backend, and `original` takes the cases the
 * replacement does not cover.
 */
export type ReplacementKernel = (call: (args: KernelArgs) => KernelCall, original: tf.KernelFunc) => tf.KernelFunc;

/** A kernel call's input tensors by name, and its attributes as the kernel's own attribute type. */
export function unpack<Attrs>(args: KernelArgs): { inputs: Record<string, tf.TensorInfo>; attrs: Attrs } {
  return { inputs: args.inputs as Record<string, tf.TensorInfo>, attrs: args.attrs as unknown as Attrs };
}

/**
 * How many threads this wasm backend's own kernels (XNNPACK) run on: 1 in the
 * training workers' replicas, the core count on a threaded main backend.
 */
export function threadsOf(backend: BackendWasm): number {
  const tfjs = (backend.wasm as unknown as { tfjs?: { getThreadsCount?: () => number } }).tfjs;
  return tfjs?.getThreadsCount?.() ?? 1;
}

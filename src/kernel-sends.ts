/**
 * Keeps a busy tslab kernel alive.
 *
 * tslab fires every Jupyter message with `socket.send(...)` and never awaits it.
 * zeromq 6 allows one pending send per socket: when its queue is momentarily
 * full (every few hundred messages), the next send in the same tick rejects
 * with EBUSY, and since nobody handles that promise, Node ends the kernel.
 * A live training display that redraws often, or a loop of charts, hits this.
 *
 * The fix belongs at the socket: chain each socket's sends so that one starts
 * only when the previous one has finished. Messages keep their order, nothing
 * is dropped, and a send that fails at shutdown (socket closed) is swallowed
 * instead of crashing the process.
 */

type Send = (this: object, message: unknown) => Promise<void>;

interface SocketPrototype {
  send?: Send;
}

const PATCHED = Symbol.for("nnkit.serializedSends");

/** Finds the kernel's own zeromq instance in the module cache (never loads it). */
function kernelZeromq(): Record<string, unknown> | undefined {
  for (const [file, mod] of Object.entries(require.cache)) {
    if (mod && /[\\/]zeromq[\\/]lib[\\/]index\.js$/.test(file)) return mod.exports as Record<string, unknown>;
  }
  return undefined;
}

function serialize(proto: SocketPrototype & { [PATCHED]?: boolean }): void {
  const original = proto.send;
  if (typeof original !== "function" || proto[PATCHED]) return;
  const tails = new WeakMap<object, Promise<void>>();
  const send: Send = function (this: object, message: unknown) {
    const previous = tails.get(this) ?? Promise.resolve();
    const next = previous.then(() => original.call(this, message)).catch(() => undefined);
    tails.set(this, next);
    return next;
  };
  Object.defineProperty(proto, "send", { value: send, configurable: true, writable: true });
  Object.defineProperty(proto, PATCHED, { value: true });
}

/**
 * Serializes the sends of the running tslab kernel's sockets. Safe to call
 * often: it does nothing outside a kernel or once installed.
 */
export function serializeKernelSends(): void {
  const zmq = kernelZeromq();
  if (!zmq) return;
  for (const name of ["Publisher", "Router", "Reply"]) {
    const ctor = zmq[name] as { prototype?: SocketPrototype } | undefined;
    if (ctor?.prototype) serialize(ctor.prototype);
  }
}

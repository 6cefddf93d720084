/**
 * The runner's own references to the built-ins it uses, taken when the runner's bundle is
 * evaluated: while the startup snapshot is built (the snapshot restores these very objects),
 * or at start without a snapshot. Either way before any notebook code runs.
 *
 * Why: a notebook runs in this process and can replace JSON.stringify, Object.keys, Array.isArray,
 * Array.prototype.*, Function.prototype.call/apply, Reflect.apply, iterators, typed-array getters,
 * or put getters and setters on Object.prototype. The runner reads requests, materialises inputs,
 * encodes results and writes replies with these saved functions only, and calls methods through the
 * saved Reflect.apply. It never uses `.call`, spread, for-of or array destructuring (they look up
 * Symbol.iterator and `next`, which a notebook can replace), nor arrays or plain objects as its own
 * scratch space where a missing index could reach a setter on a prototype (it uses null-prototype
 * objects).
 */
import * as fs from "fs";
import * as util from "util";

const R = Reflect;
/** Reflect.apply, saved: the one way the runner calls a saved method on a value. */
export const apply = R.apply as <T>(fn: (...args: never[]) => T, self: unknown, args: ArrayLike<unknown>) => T;
export const deleteProperty = R.deleteProperty;
export const defineProperty = Object.defineProperty;
export const objectKeys = Object.keys;
export const getPrototypeOf = Object.getPrototypeOf;
export const objectCreate = Object.create;
export const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
export const isArray = Array.isArray;
export const jsonStringify = JSON.stringify;
export const jsonParse = JSON.parse;
export const toNumber = Number;
export const toText = String;
export const isFiniteNumber = Number.isFinite;
export const isView = ArrayBuffer.isView;
export const GLOBAL = globalThis as unknown as Record<string, unknown>;
export const PromiseCtor = Promise;
export const Float64ArrayCtor = Float64Array;
export const Float32ArrayCtor = Float32Array;
export const Int32ArrayCtor = Int32Array;
export const format = util.format;

export const ERROR_PROTOTYPE = Error.prototype;
export const SET_PROTOTYPE = Set.prototype;
export const MAP_PROTOTYPE = Map.prototype;
export const DATAVIEW_PROTOTYPE = DataView.prototype;
export const setValues = Set.prototype.values;
export const setIteratorNext = getPrototypeOf(new Set().values()).next as () => IteratorResult<unknown>;
export const mapEntries = Map.prototype.entries;
export const mapIteratorNext = getPrototypeOf(new Map().entries()).next as () => IteratorResult<[unknown, unknown]>;
/** %TypedArray%.prototype.length's getter (a notebook can redefine the property, not this function). */
export const typedArrayLength = (getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype), "length") as PropertyDescriptor).get as () => number;
export const typedArraySet = getPrototypeOf(Uint8Array.prototype).set as (source: ArrayLike<number>, offset?: number) => void;
export const typedArrayCopyWithin = getPrototypeOf(Uint8Array.prototype).copyWithin as (target: number, start: number, end?: number) => void;
export const stringSlice = String.prototype.slice;
export const regexpExec = RegExp.prototype.exec;

type BufferWithSlices = Buffer & { utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };
export const utf8Slice = (Buffer.prototype as BufferWithSlices).utf8Slice;
export const hexSlice = (Buffer.prototype as BufferWithSlices).hexSlice;
export const bufferFrom = Buffer.from.bind(Buffer) as (text: string, encoding: "utf8") => Buffer;
export const bufferAlloc = Buffer.alloc.bind(Buffer) as (size: number) => Buffer;

export const writeSync = fs.writeSync as (fd: number, buffer: Uint8Array, offset: number, length: number) => number;
export const readSync = fs.readSync as (fd: number, buffer: Uint8Array, offset: number, length: number, position: null) => number;
export const startTimer = setTimeout;
export const stopTimer = clearTimeout;

/** A fresh object without a prototype: reading or writing a missing key never reaches Object.prototype. */
export function bare<T extends object>(): T {
  return objectCreate(null) as T;
}

/** `text.slice(start, end)` through the saved method. */
export function slice(text: string, start: number, end?: number): string {
  return end === undefined ? apply(stringSlice as (s: number) => string, text, [start]) : apply(stringSlice as (s: number, e: number) => string, text, [start, end]);
}

/** `re.test(text)` through the saved RegExp.prototype.exec. */
export function matches(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  return apply(regexpExec as (s: string) => RegExpExecArray | null, re, [text]) !== null;
}

/** Whether `proto` is on the prototype chain of `value` (what `instanceof` checks, without Symbol.hasInstance). */
export function inherits(value: object, proto: object): boolean {
  for (let p = getPrototypeOf(value); p !== null; p = getPrototypeOf(p)) if (p === proto) return true;
  return false;
}

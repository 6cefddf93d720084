/**
 * Reader for the idx file format of MNIST and Fashion-MNIST (optionally gzipped).
 * Layout: two zero bytes, a type byte, the number of dimensions, one big-endian
 * uint32 size per dimension, then the values in row-major order (big-endian).
 */
import { gunzipSync } from "zlib";

/** The values and shape of an idx file. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: "ubyte", size: 1 },
  0x09: { name: "byte", size: 1 },
  0x0b: { name: "short", size: 2 },
  0x0c: { name: "int", size: 4 },
  0x0d: { name: "float", size: 4 },
  0x0e: { name: "double", size: 8 },
};

const REDOWNLOAD = "download the file again (https://github.com/zalandoresearch/fashion-mnist) or set FASHION_MNIST_DIR to a folder with good copies";

/**
 * Parses an idx file (gzipped or not) from its bytes. `fileName` is only used
 * in error messages, which name the file and say how to fix it.
 */
export function readIdx(buffer: Uint8Array, fileName: string): IdxArray {
  let bytes = buffer;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${fileName}: the gzip data is damaged (${(e as Error).message}); ${REDOWNLOAD}`);
    }
  }
  if (bytes.length < 4) throw new Error(`${fileName}: truncated: only ${bytes.length} bytes, too short for an idx header; ${REDOWNLOAD}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = TYPES[bytes[2]];
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || ndim === 0) {
    throw new Error(
      `${fileName}: not an idx file: wrong magic number 0x${magic.toString(16).padStart(8, "0")} ` +
        `(expected 0x00000801 for labels or 0x00000803 for images); check that it is the right file, or ${REDOWNLOAD}`,
    );
  }
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) throw new Error(`${fileName}: truncated: the header needs ${headerSize} bytes, the file has ${bytes.length}; ${REDOWNLOAD}`);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const needed = headerSize + count * type.size;
  if (bytes.length < needed) {
    throw new Error(`${fileName}: truncated: shape [${shape.join(", ")}] needs ${needed} bytes, the file has ${bytes.length}; ${REDOWNLOAD}`);
  }
  let data: IdxArray["data"];
  switch (type.name) {
    case "ubyte":
      data = bytes.slice(headerSize, needed);
      break;
    case "byte":
      data = new Int8Array(bytes.slice(headerSize, needed).buffer);
      break;
    default: {
      // Multi-byte values are big-endian, so read them one by one.
      const read: Record<string, (o: number) => number> = {
        short: (o) => view.getInt16(o),
        int: (o) => view.getInt32(o),
        float: (o) => view.getFloat32(o),
        double: (o) => view.getFloat64(o),
      };
      const Ctor = { short: Int16Array, int: Int32Array, float: Float32Array, double: Float64Array }[type.name as "short" | "int" | "float" | "double"];
      const out = new Ctor(count);
      for (let i = 0; i < count; i++) out[i] = read[type.name](headerSize + i * type.size);
      data = out;
    }
  }
  return { shape, data };
}

/** Builds an uncompressed ubyte idx file (for tests and small exports). */
export function writeIdx(shape: number[], values: ArrayLike<number>): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`writeIdx: shape [${shape}] needs ${count} values, got ${values.length}`);
  const out = new Uint8Array(4 + 4 * shape.length + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(Uint8Array.from(values), 4 + 4 * shape.length);
  return out;
}

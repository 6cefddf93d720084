// A small WebAssembly module of the kit's own, working directly on the wasm
// backend's heap: it imports the backend's memory, so its functions take the
// byte offsets of tensors and need no copy in or out. The bytes are emitted
// here, instruction by instruction (no build step, no WAT compiler); each
// function's comment gives it in WAT-like pseudocode. Addresses are byte
// offsets; every other argument is a count or an index (i32). The SIMD
// functions (v128, for the convolution and pooling gradients) are in the
// module only where the engine validates SIMD; their kernels then fall back.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

// --- a minimal assembler -----------------------------------------------------

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Instructions; `l(i)` is local i. Blocks take their body as arrays of instructions. */
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32 = (v: number): number[] => [0x41, ...sleb(v)];
const f32 = (v: number): number[] => {
  const b = new Uint8Array(new Float32Array([v]).buffer);
  return [0x43, ...b];
};
const add = [0x6a];
const sub = [0x6b];
const mul = [0x6c];
const ltS = [0x48];
const geS = [0x4e];
const or = [0x72];
const shl2 = [0x41, 2, 0x74];
const f32load = [0x2a, 0x02, 0x00];
const f32store = [0x38, 0x02, 0x00];
const f32add = [0x92];
const f32gt = [0x5e];
const memFill = [0xfc, 0x0b, 0x00];
const memCopy = [0xfc, 0x0a, 0x00, 0x00];
const ltU = [0x49];
const gtS = [0x4a];
const and = [0x71];
// SIMD (0xfd prefix); memory operands give an alignment hint of 4 bytes and a static byte offset.
const v128load = (offset: number): number[] => [0xfd, 0x00, 0x02, ...uleb(offset)];
const v128store = (offset: number): number[] => [0xfd, 0x0b, 0x02, ...uleb(offset)];
const load32Splat = (offset: number): number[] => [0xfd, 0x09, 0x02, ...uleb(offset)];
const f32x4add = [0xfd, 0xe4, 0x01];
const f32x4mul = [0xfd, 0xe6, 0x01];
const f32x4splat = [0xfd, 0x13];
const f32x4gt = [0xfd, 0x44];
const i32x4splat = [0xfd, 0x11];
const i32x4add = [0xfd, 0xae, 0x01];
const i32x4lane = (k: number): number[] => [0xfd, 0x1b, k];
const bitselect = [0xfd, 0x52];
const i32x4const = (...v: number[]): number[] => [0xfd, 0x0c, ...new Uint8Array(new Int32Array(v).buffer)];
/** local = cond ? value : local */
const select = (local: number, value: number[], cond: number[]): number[] => [...value, ...get(local), ...cond, 0x1b, ...set(local)];
/** local = max(local, low) (signed) */
const atLeast = (local: number, low: number[]): number[] => select(local, low, [...get(local), ...low, ...ltS]);
/** local = min(local, high) (signed) */
const atMost = (local: number, high: number[]): number[] => select(local, high, [...get(local), ...high, ...gtS]);
const block = (...body: number[][]): number[] => [0x02, 0x40, ...body.flat(), 0x0b];
const ifThen = (cond: number[], then: number[][], otherwise?: number[][]): number[] =>
  otherwise === undefined
    ? [...cond, 0x04, 0x40, ...then.flat(), 0x0b]
    : [...cond, 0x04, 0x40, ...then.flat(), 0x05, ...otherwise.flat(), 0x0b];

/** An if/else that leaves an f32 on the stack. */
const ifF32 = (cond: number[], then: number[][], otherwise: number[][]): number[] =>
  [...cond, 0x04, F32, ...then.flat(), 0x05, ...otherwise.flat(), 0x0b];

/** for (local = from; local < limit; local++) body; (signed compare) */
function forLoop(local: number, from: number[], limit: number[], ...body: number[][]): number[] {
  // block { local = from; loop { if (local >= limit) break; body; local++; continue } }
  return block(
    from, set(local),
    [0x03, 0x40],
    get(local), limit, geS, [0x0d, 1], // br_if 1: out of the block
    ...body,
    get(local), i32(1), add, set(local),
    [0x0c, 0], // br 0: back to the loop
    [0x0b],
  );
}

/** block { loop { if (cond) break; body; continue } } */
function whileNot(cond: number[], ...body: number[][]): number[] {
  return block([0x03, 0x40], cond, [0x0d, 1], ...body, [0x0c, 0], [0x0b]);
}

interface Func {
  name: string;
  params: number;
  locals: number[]; // extra locals' types
  body: number[][];
}

function moduleBytes(funcs: Func[], shared: boolean): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0x00]);
  // Imported memory: shared memories must state a maximum (4 GiB covers any).
  const limits = shared ? [0x03, 0x00, ...uleb(65536)] : [0x00, 0x00];
  const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
  const imports = vec([[...name("env"), ...name("memory"), 0x02, ...limits]]);
  const code = funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const body = [...locals, ...f.body.flat(), 0x0b];
    return [...uleb(body.length), ...body];
  });
  const exports = funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(code)),
  ]);
}

// --- the functions -----------------------------------------------------------

/**
 * im2colT(xT, out, B, b0, nb, H, W, C, FH, FW, OH, OW, SH, SW, top, left):
 * the patch matrix of images b0 .. b0+nb-1, transposed, from the input
 * transposed to xT[C, B, H, W]: out[(fy, fx, c), (b, oy, ox)] =
 * xT[c, b0 + b, oy*SH + fy - top, ox*SW + fx - left], 0 outside the image.
 * Reads and writes both run along rows.
 */
function im2colT(): Func {
  const [xT, out, B, b0, nb, H, W, C, FH, FW, OH, OW, SH, SW, top, left] = Array.from({ length: 16 }, (_, i) => i);
  const [fy, fx, c, b, oy, ox, yy, xx, src, lo, hi] = Array.from({ length: 11 }, (_, i) => 16 + i);
  const inside = (v: number, limit: number): number[] => [...get(v), ...i32(0), ...geS, ...get(v), ...get(limit), ...ltS, 0x71];
  return {
    name: "im2colT",
    params: 16,
    locals: Array<number>(11).fill(I32),
    body: [
      forLoop(fy, i32(0), get(FH),
        forLoop(fx, i32(0), get(FW),
          forLoop(c, i32(0), get(C),
            forLoop(b, i32(0), get(nb),
              forLoop(oy, i32(0), get(OH),
                get(oy), get(SH), mul, get(fy), add, get(top), sub, set(yy),
                ifThen(inside(yy, H), [
                  // src = xT + (((c*B + b0 + b)*H + yy)*W) * 4
                  get(c), get(B), mul, get(b0), add, get(b), add, get(H), mul, get(yy), add, get(W), mul, shl2, get(xT), add, set(src),
                  ifThen([...get(SW), ...i32(1), 0x46], [
                    // Stride 1: zeros for ox < lo, a copy of x's row for lo <= ox < hi, zeros after.
                    // lo = clamp(left - fx, 0, OW), hi = clamp(W + left - fx, lo, OW)
                    get(left), get(fx), sub, set(lo),
                    atLeast(lo, i32(0)),
                    atMost(lo, get(OW)),
                    get(W), get(left), add, get(fx), sub, set(hi),
                    atLeast(hi, get(lo)),
                    atMost(hi, get(OW)),
                    get(out), i32(0), get(lo), shl2, memFill,
                    get(out), get(lo), shl2, add,
                    get(src), get(lo), get(fx), add, get(left), sub, shl2, add,
                    get(hi), get(lo), sub, shl2, memCopy,
                    get(out), get(hi), shl2, add, i32(0), get(OW), get(hi), sub, shl2, memFill,
                    get(out), get(OW), shl2, add, set(out),
                  ], [
                    forLoop(ox, i32(0), get(OW),
                      get(ox), get(SW), mul, get(fx), add, get(left), sub, set(xx),
                      get(out),
                      ifF32(inside(xx, W), [get(src), get(xx), shl2, add, f32load], [f32(0)]),
                      f32store,
                      get(out), i32(4), add, set(out),
                    ),
                  ]),
                ], [
                  get(out), i32(0), get(OW), shl2, memFill,
                  get(out), get(OW), shl2, add, set(out),
                ]),
              ),
            ),
          ),
        ),
      ),
    ],
  };
}

/**
 * maxPoolGrad(x, dy, dx, B, H, W, C, OH, OW, FH, FW, SH, SW, top, left):
 * dx = 0, then each dy[b, oy, ox, c] is added at the first maximum of its
 * window of x (search from -Infinity, strict >), as the cpu backend does.
 */
function maxPoolGrad(): Func {
  const [x, dy, dx, B, H, W, C, OH, OW, FH, FW, SH, SW, top, left] = Array.from({ length: 15 }, (_, i) => i);
  const [b, oy, ox, c, fy, fx, yy, xx, at, where, dyAt, y0, x0] = Array.from({ length: 13 }, (_, i) => 15 + i);
  const best = 28;
  return {
    name: "maxPoolGrad",
    params: 15,
    locals: [...Array<number>(13).fill(I32), F32],
    body: [
      get(dx), i32(0), get(B), get(H), mul, get(W), mul, get(C), mul, shl2, memFill,
      get(dy), set(dyAt),
      forLoop(b, i32(0), get(B),
        forLoop(oy, i32(0), get(OH),
          get(oy), get(SH), mul, get(top), sub, set(y0),
          forLoop(ox, i32(0), get(OW),
            get(ox), get(SW), mul, get(left), sub, set(x0),
            forLoop(c, i32(0), get(C),
              f32(-Infinity), set(best),
              i32(-1), set(where),
              forLoop(fy, i32(0), get(FH),
                get(y0), get(fy), add, set(yy),
                ifThen([...get(yy), ...i32(0), ...geS, ...get(yy), ...get(H), ...ltS, 0x71], [
                  forLoop(fx, i32(0), get(FW),
                    get(x0), get(fx), add, set(xx),
                    ifThen([...get(xx), ...i32(0), ...geS, ...get(xx), ...get(W), ...ltS, 0x71], [
                      // at = x + (((b*H + yy)*W + xx)*C + c) * 4
                      get(b), get(H), mul, get(yy), add, get(W), mul, get(xx), add, get(C), mul, get(c), add, shl2, set(at),
                      ifThen([...get(x), ...get(at), ...add, ...f32load, ...get(best), ...f32gt], [
                        get(x), get(at), add, f32load, set(best),
                        get(at), set(where),
                      ]),
                    ]),
                  ),
                ]),
              ),
              ifThen([...get(where), ...i32(0), ...geS], [
                get(dx), get(where), add, tee(at),
                get(at), f32load, get(dyAt), f32load, f32add,
                f32store,
              ]),
              get(dyAt), i32(4), add, set(dyAt),
            ),
          ),
        ),
      ),
    ],
  };
}

/** columnSum(x, out, N, C): out[c] = sum over n of x[n, c], summed in order of n. */
function columnSum(): Func {
  const [x, out, N, C] = [0, 1, 2, 3];
  const [n, c, row, at] = [4, 5, 6, 7];
  return {
    name: "columnSum",
    params: 4,
    locals: Array<number>(4).fill(I32),
    body: [
      get(out), i32(0), get(C), shl2, memFill,
      get(x), set(row),
      forLoop(n, i32(0), get(N),
        forLoop(c, i32(0), get(C),
          get(out), get(c), shl2, add, tee(at),
          get(at), f32load, get(row), get(c), shl2, add, f32load, f32add,
          f32store,
        ),
        get(row), get(C), shl2, add, set(row),
      ),
    ],
  };
}

/**
 * filterGrad(x, dy, dw, B, H, W, CI, CO, FH, FW, OH, OW, SH, SW, top, left, rows)
 * (SIMD; CO a multiple of 4): the convolution's filter gradient
 * dw[fy, fx, ci, co] = sum over (b, oy, ox) of x[b, oy*SH + fy - top, ox*SW + fx - left, ci] * dy[b, oy, ox, co],
 * with x, dy in NHWC and no patch matrix. For each (fy, fx) it is a sum of
 * outer products over the output positions: a tile of dw (4 ci by 8 co, eight
 * v128 accumulators) takes x[p, ci] (splat) times the row dy[p, co .. co+7]
 * for each position p. Positions go in blocks of `rows` output rows of one
 * image, so that the block's x and dy stay in cache while every tile passes
 * over them; for each (fy, fx) only the oy, ox whose input lies inside the
 * image are visited (no padding test in the inner loop). Tails: ci one at a
 * time, co by 4.
 *
 *   dw = 0
 *   for b, for block [oyA, oyB) of rows, for fy: [ylo, yhi) = rows of the block inside the image
 *     for fx: [xlo, xhi) = columns inside
 *       for ci0 by 4 (then by 1), for co0 by 8 (then by 4):
 *         acc = dw[fy, fx, ci0 .., co0 ..]
 *         for oy in [ylo, yhi): for ox in [xlo, xhi): acc += splat(x[..., ci]) * dy[b, oy, ox, co0 ..]
 *         dw[fy, fx, ci0 .., co0 ..] = acc
 */
function filterGrad(): Func {
  const [x, dy, dw, B, H, W, CI, CO, FH, FW, OH, OW, SH, SW, top, left, rows] = Array.from({ length: 17 }, (_, i) => i);
  const [b, oyA, oyB, fy, fx, ylo, yhi, xlo, xhi, ci0, co0, oy, xp, dp, end, wAt, xStep, coBytes, t] =
    Array.from({ length: 19 }, (_, i) => 17 + i);
  const acc = Array.from({ length: 8 }, (_, i) => 36 + i);
  const [d0, d1, sp] = [44, 45, 46];
  const d = [d0, d1];

  // One tile of nci input channels by 4*ng output channels at (fy, fx, ci0, co0).
  const tile = (nci: number, ng: number): number[] => {
    const load: number[][] = [];
    const store: number[][] = [];
    for (let i = 0; i < nci; i++) {
      for (let g = 0; g < ng; g++) {
        load.push([...get(t), ...v128load(g * 16), ...set(acc[i * 2 + g])]);
        store.push([...get(t), ...get(acc[i * 2 + g]), ...v128store(g * 16)]);
      }
      load.push([...get(t), ...get(coBytes), ...add, ...set(t)]);
      store.push([...get(t), ...get(coBytes), ...add, ...set(t)]);
    }
    const inner: number[][] = [];
    for (let g = 0; g < ng; g++) inner.push([...get(dp), ...v128load(g * 16), ...set(d[g])]);
    for (let i = 0; i < nci; i++) {
      inner.push([...get(xp), ...load32Splat(i * 4), ...set(sp)]);
      for (let g = 0; g < ng; g++) {
        inner.push([...get(acc[i * 2 + g]), ...get(sp), ...get(d[g]), ...f32x4mul, ...f32x4add, ...set(acc[i * 2 + g])]);
      }
    }
    return [
      // wAt = dw + (((fy*FW + fx)*CI + ci0)*CO + co0) * 4
      ...get(fy), ...get(FW), ...mul, ...get(fx), ...add, ...get(CI), ...mul, ...get(ci0), ...add,
      ...get(CO), ...mul, ...get(co0), ...add, ...shl2, ...get(dw), ...add, ...set(wAt),
      ...get(wAt), ...set(t), ...load.flat(),
      ...forLoop(oy, get(ylo), get(yhi),
        // xp = x + (((b*H + oy*SH + fy - top)*W + xlo*SW + fx - left)*CI + ci0) * 4
        get(b), get(H), mul, get(oy), get(SH), mul, add, get(fy), add, get(top), sub, get(W), mul,
        get(xlo), get(SW), mul, add, get(fx), add, get(left), sub, get(CI), mul, get(ci0), add, shl2, get(x), add, set(xp),
        // dp = dy + (((b*OH + oy)*OW + xlo)*CO + co0) * 4; end = dp + (xhi - xlo) * CO * 4
        get(b), get(OH), mul, get(oy), add, get(OW), mul, get(xlo), add, get(CO), mul, get(co0), add, shl2, get(dy), add, tee(dp),
        get(xhi), get(xlo), sub, get(coBytes), mul, add, set(end),
        // do { ... } while (dp < end): the range is never empty here
        [0x03, 0x40],
        ...inner,
        get(xp), get(xStep), add, set(xp),
        get(dp), get(coBytes), add, tee(dp), get(end), ltU, [0x0d, 0],
        [0x0b],
      ),
      ...get(wAt), ...set(t), ...store.flat(),
    ];
  };

  // All tiles of nci input channels from ci0 on (ci0 advances by nci while a whole tile fits).
  const tiles = (nci: number): number[] => whileNot([...get(ci0), ...i32(nci), ...add, ...get(CI), ...gtS],
    i32(0), set(co0),
    whileNot([...get(co0), ...i32(8), ...add, ...get(CO), ...gtS], tile(nci, 2), get(co0), i32(8), add, set(co0)),
    ifThen([...get(co0), ...get(CO), ...ltS], [tile(nci, 1)]),
    get(ci0), i32(nci), add, set(ci0),
  );

  return {
    name: "filterGrad",
    params: 17,
    locals: [...Array<number>(19).fill(I32), ...Array<number>(11).fill(V128)],
    body: [
      get(dw), i32(0), get(FH), get(FW), mul, get(CI), mul, get(CO), mul, shl2, memFill,
      get(SW), get(CI), mul, shl2, set(xStep),
      get(CO), shl2, set(coBytes),
      forLoop(b, i32(0), get(B),
        i32(0), set(oyA),
        whileNot([...get(oyA), ...get(OH), ...geS],
          get(oyA), get(rows), add, set(oyB),
          atMost(oyB, get(OH)),
          forLoop(fy, i32(0), get(FH),
            // ylo: first row of the block with oy*SH + fy - top >= 0; yhi: past the last with it < H
            get(oyA), set(ylo),
            whileNot([...get(ylo), ...get(SH), ...mul, ...get(fy), ...add, ...get(top), ...sub, ...i32(0), ...geS],
              get(ylo), i32(1), add, set(ylo)),
            get(oyB), set(yhi),
            whileNot([...get(yhi), ...get(ylo), ...gtS, ...get(yhi), ...i32(1), ...sub, ...get(SH), ...mul, ...get(fy), ...add,
              ...get(top), ...sub, ...get(H), ...geS, ...and, 0x45],
            get(yhi), i32(1), sub, set(yhi)),
            ifThen([...get(ylo), ...get(yhi), ...ltS], [
              forLoop(fx, i32(0), get(FW),
                i32(0), set(xlo),
                whileNot([...get(xlo), ...get(SW), ...mul, ...get(fx), ...add, ...get(left), ...sub, ...i32(0), ...geS],
                  get(xlo), i32(1), add, set(xlo)),
                get(OW), set(xhi),
                whileNot([...get(xhi), ...get(xlo), ...gtS, ...get(xhi), ...i32(1), ...sub, ...get(SW), ...mul, ...get(fx), ...add,
                  ...get(left), ...sub, ...get(W), ...geS, ...and, 0x45],
                get(xhi), i32(1), sub, set(xhi)),
                ifThen([...get(xlo), ...get(xhi), ...ltS], [
                  i32(0), set(ci0),
                  tiles(4),
                  tiles(1),
                ]),
              ),
            ]),
          ),
          get(oyB), set(oyA),
        ),
      ),
    ],
  };
}

/**
 * inputGrad(dy, wt, dx, B, H, W, CI, CO, FH, FW, OH, OW, top, left)
 * (SIMD; stride 1; CI a multiple of 4): the convolution's input gradient
 * dx[b, y, x, ci] = sum over (fy, fx, co) of dy[b, y + top - fy, x + left - fx, co] * wt[fy, fx, co, ci]
 * (terms outside dy skipped), with wt the filter transposed to [FH, FW, CO, CI].
 * A tile of 4 neighbouring positions of a row by 8 ci (eight v128
 * accumulators) takes dy[p, co] (splat) times wt[fy, fx, co, ci .. ci+7] and
 * is stored once, after the whole sum. Positions whose every fx lands inside
 * dy go by 4; those near the left and right borders one at a time, over
 * their own range of fx. Tails: ci by 4.
 *
 *   for b, for y: [fylo, fyhi) = the fy whose dy row exists
 *     for ci0 by 8 (then by 4): for x: (4 positions when all inside, else 1)
 *       acc = 0; for fy, for fx in range, for co: acc += splat(dy[b, y + top - fy, x + k + left - fx, co]) * wt[fy, fx, co, ci0 ..]
 *       dx[b, y, x .., ci0 ..] = acc
 */
function inputGrad(): Func {
  const [dy, wt, dx, B, H, W, CI, CO, FH, FW, OH, OW, top, left] = Array.from({ length: 14 }, (_, i) => i);
  const [b, y, xx, fy, fx, fylo, fyhi, fxlo, fxhi, ci0, dp, wp, end, ciBytes, coBytes, c2, c3, xi0, xi1, at] =
    Array.from({ length: 20 }, (_, i) => 14 + i);
  const acc = Array.from({ length: 8 }, (_, i) => 34 + i);
  const [w0, w1, sp] = [42, 43, 44];
  const wv = [w0, w1];
  const zero = [0xfd, 0x0c, ...Array<number>(16).fill(0)];
  const positionOffset = [[], [...get(coBytes), ...add], [...get(c2), ...add], [...get(c3), ...add]];

  const tile = (np: number, ng: number): number[] => {
    const init: number[][] = [];
    for (let k = 0; k < np * 2; k++) if (k % 2 < ng) init.push([...zero, ...set(acc[k])]);
    const inner: number[][] = [];
    for (let g = 0; g < ng; g++) inner.push([...get(wp), ...v128load(g * 16), ...set(wv[g])]);
    for (let k = 0; k < np; k++) {
      inner.push([...get(dp), ...positionOffset[k], ...load32Splat(0), ...set(sp)]);
      for (let g = 0; g < ng; g++) {
        inner.push([...get(acc[k * 2 + g]), ...get(sp), ...get(wv[g]), ...f32x4mul, ...f32x4add, ...set(acc[k * 2 + g])]);
      }
    }
    const store: number[][] = [];
    for (let k = 0; k < np; k++) {
      for (let g = 0; g < ng; g++) store.push([...get(at), ...get(acc[k * 2 + g]), ...v128store(g * 16)]);
      store.push([...get(at), ...get(ciBytes), ...add, ...set(at)]);
    }
    return [
      ...init.flat(),
      ...forLoop(fy, get(fylo), get(fyhi),
        forLoop(fx, get(fxlo), get(fxhi),
          // dp = dy + ((b*OH + y + top - fy)*OW + xx + left - fx) * CO * 4; end = dp + CO * 4
          get(b), get(OH), mul, get(y), add, get(top), add, get(fy), sub, get(OW), mul,
          get(xx), add, get(left), add, get(fx), sub, get(coBytes), mul, get(dy), add, tee(dp),
          get(coBytes), add, set(end),
          // wp = wt + ((fy*FW + fx)*CO*CI + ci0) * 4
          get(fy), get(FW), mul, get(fx), add, get(CO), mul, get(CI), mul, get(ci0), add, shl2, get(wt), add, set(wp),
          [0x03, 0x40],
          ...inner,
          get(wp), get(ciBytes), add, set(wp),
          get(dp), i32(4), add, tee(dp), get(end), ltU, [0x0d, 0],
          [0x0b],
        ),
      ),
      // at = dx + (((b*H + y)*W + xx)*CI + ci0) * 4
      ...get(b), ...get(H), ...mul, ...get(y), ...add, ...get(W), ...mul, ...get(xx), ...add, ...get(CI), ...mul, ...get(ci0), ...add,
      ...shl2, ...get(dx), ...add, ...set(at),
      ...store.flat(),
    ];
  };

  // One row's positions for a tile of 4*ng channels at ci0.
  const row = (ng: number): number[] => [
    ...i32(0), ...set(xx),
    ...whileNot([...get(xx), ...get(W), ...geS],
      ifThen([...get(xx), ...get(xi0), ...geS, ...get(xx), ...i32(4), ...add, ...get(xi1), 0x4c, ...and], [
        i32(0), set(fxlo), get(FW), set(fxhi),
        tile(4, ng),
        get(xx), i32(4), add, set(xx),
      ], [
        // fx with 0 <= xx + left - fx < OW
        get(xx), get(left), add, get(OW), sub, i32(1), add, set(fxlo),
        atLeast(fxlo, i32(0)),
        get(xx), get(left), add, i32(1), add, set(fxhi),
        atMost(fxhi, get(FW)),
        tile(1, ng),
        get(xx), i32(1), add, set(xx),
      ]),
    ),
  ];

  return {
    name: "inputGrad",
    params: 14,
    locals: [...Array<number>(20).fill(I32), ...Array<number>(11).fill(V128)],
    body: [
      get(CI), shl2, set(ciBytes),
      get(CO), shl2, tee(coBytes), get(coBytes), add, tee(c2), get(coBytes), add, set(c3),
      // Positions xx in [xi0, xi1) have every fx inside dy.
      get(FW), i32(1), sub, get(left), sub, set(xi0),
      atLeast(xi0, i32(0)),
      get(OW), get(left), sub, set(xi1),
      atMost(xi1, get(W)),
      forLoop(b, i32(0), get(B),
        forLoop(y, i32(0), get(H),
          // fy with 0 <= y + top - fy < OH
          get(y), get(top), add, get(OH), sub, i32(1), add, set(fylo),
          atLeast(fylo, i32(0)),
          get(y), get(top), add, i32(1), add, set(fyhi),
          atMost(fyhi, get(FH)),
          i32(0), set(ci0),
          whileNot([...get(ci0), ...i32(8), ...add, ...get(CI), ...gtS],
            row(2),
            get(ci0), i32(8), add, set(ci0),
          ),
          ifThen([...get(ci0), ...get(CI), ...ltS], [row(1)]),
        ),
      ),
    ],
  };
}

/**
 * maxPoolGrad4(x, dy, dx, B, H, W, C, OH, OW, FH, FW, SH, SW, top, left)
 * (SIMD; C a multiple of 4): maxPoolGrad's result, searching the window for 4
 * channels at once. Each lane keeps its best value and the byte offset where
 * it was found (f32x4.gt then bitselect: the first maximum, from -Infinity);
 * then each lane's dy is added at its offset, when it found one.
 */
function maxPoolGrad4(): Func {
  const [x, dy, dx, B, H, W, C, OH, OW, FH, FW, SH, SW, top, left] = Array.from({ length: 15 }, (_, i) => i);
  const [b, oy, ox, c, fy, fx, y0, x0, fylo, fyhi, fxlo, fxhi, at, dyAt, w] = Array.from({ length: 15 }, (_, i) => 15 + i);
  const [best, where, v, m, lanes] = [30, 31, 32, 33, 34];
  const scatter: number[][] = [];
  for (let k = 0; k < 4; k++) {
    scatter.push(
      get(where), i32x4lane(k), set(w),
      ifThen([...get(w), ...i32(0), ...geS], [
        get(dx), get(w), add, tee(at),
        get(at), f32load, get(dyAt), f32load, f32add, f32store,
      ]),
      get(dyAt), i32(4), add, set(dyAt),
    );
  }
  return {
    name: "maxPoolGrad4",
    params: 15,
    locals: [...Array<number>(15).fill(I32), ...Array<number>(5).fill(V128)],
    body: [
      get(dx), i32(0), get(B), get(H), mul, get(W), mul, get(C), mul, shl2, memFill,
      get(dy), set(dyAt),
      i32x4const(0, 4, 8, 12), set(lanes),
      forLoop(b, i32(0), get(B),
        forLoop(oy, i32(0), get(OH),
          // The window's rows inside the image: fy in [max(0, -y0), min(FH, H - y0))
          get(oy), get(SH), mul, get(top), sub, set(y0),
          i32(0), get(y0), sub, set(fylo),
          atLeast(fylo, i32(0)),
          get(H), get(y0), sub, set(fyhi),
          atMost(fyhi, get(FH)),
          forLoop(ox, i32(0), get(OW),
            get(ox), get(SW), mul, get(left), sub, set(x0),
            i32(0), get(x0), sub, set(fxlo),
            atLeast(fxlo, i32(0)),
            get(W), get(x0), sub, set(fxhi),
            atMost(fxhi, get(FW)),
            whileNot([...get(c), ...get(C), ...geS],
              f32(-Infinity), f32x4splat, set(best),
              i32(-1), i32x4splat, set(where),
              forLoop(fy, get(fylo), get(fyhi),
                forLoop(fx, get(fxlo), get(fxhi),
                  // at = (((b*H + y0 + fy)*W + x0 + fx)*C + c) * 4
                  get(b), get(H), mul, get(y0), add, get(fy), add, get(W), mul, get(x0), add, get(fx), add, get(C), mul, get(c), add,
                  shl2, set(at),
                  get(x), get(at), add, v128load(0), set(v),
                  get(v), get(best), f32x4gt, set(m),
                  get(v), get(best), get(m), bitselect, set(best),
                  get(at), i32x4splat, get(lanes), i32x4add, get(where), get(m), bitselect, set(where),
                ),
              ),
              ...scatter,
              get(c), i32(4), add, set(c),
            ),
            i32(0), set(c),
          ),
        ),
      ),
    ],
  };
}

/**
 * biasAdd4(x, bias, out, N, C) (SIMD; C a multiple of 4):
 * out[n, c] = x[n, c] + bias[c], 4 channels at a time.
 */
function biasAdd4(): Func {
  const [x, bias, out, N, C] = [0, 1, 2, 3, 4];
  const [n, c, src, dst, cBytes] = [5, 6, 7, 8, 9];
  return {
    name: "biasAdd4",
    params: 5,
    locals: Array<number>(5).fill(I32),
    body: [
      get(C), shl2, set(cBytes),
      get(x), set(src),
      get(out), set(dst),
      forLoop(n, i32(0), get(N),
        i32(0), set(c),
        whileNot([...get(c), ...get(cBytes), ...geS],
          get(dst), get(c), add,
          get(src), get(c), add, v128load(0),
          get(bias), get(c), add, v128load(0),
          f32x4add, v128store(0),
          get(c), i32(16), add, set(c),
        ),
        get(src), get(cBytes), add, set(src),
        get(dst), get(cBytes), add, set(dst),
      ),
    ],
  };
}

/** A module with one SIMD function, to learn whether this engine runs WebAssembly SIMD. */
function simdProbeBytes(): Uint8Array {
  // (func (drop (f32x4.mul (f32x4.splat (f32.const 1)) (f32x4.splat (f32.const 1)))))
  const body = [0x00, ...f32(1), 0xfd, 0x13, ...f32(1), 0xfd, 0x13, ...f32x4mul, 0x1a, 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0x00, 0x00]])),
    ...section(3, vec([[0x00]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

let simd: boolean | undefined;

/** True when this engine validates WebAssembly SIMD (then the module has filterGrad). */
export function wasmSimdSupported(): boolean {
  if (simd === undefined) {
    const api = (globalThis as unknown as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    try {
      simd = api !== undefined && api.validate(simdProbeBytes());
    } catch {
      simd = false;
    }
  }
  return simd;
}

const FUNCS = [im2colT(), maxPoolGrad(), columnSum()];
const SIMD_FUNCS = [filterGrad(), inputGrad(), maxPoolGrad4(), biasAdd4()];

/**
 * The module's bytes, for an imported memory that is shared (threaded build) or not;
 * with the SIMD functions when `simd` (by default, when the engine has SIMD).
 */
export function kitModuleBytes(shared: boolean, simd = wasmSimdSupported()): Uint8Array {
  return moduleBytes(simd ? [...FUNCS, ...SIMD_FUNCS] : FUNCS, shared);
}

/** The exported functions; every argument is an i32 (addresses in bytes). */
export interface KitWasm {
  im2colT(xT: number, out: number, batch: number, b0: number, b: number, h: number, w: number, c: number, fh: number, fw: number,
    oh: number, ow: number, sh: number, sw: number, top: number, left: number): void;
  maxPoolGrad(x: number, dy: number, dx: number, b: number, h: number, w: number, c: number, oh: number, ow: number,
    fh: number, fw: number, sh: number, sw: number, top: number, left: number): void;
  columnSum(x: number, out: number, n: number, c: number): void;
  /** Present only when the engine has WebAssembly SIMD; `co` must be a multiple of 4. */
  filterGrad?(x: number, dy: number, dw: number, b: number, h: number, w: number, ci: number, co: number, fh: number, fw: number,
    oh: number, ow: number, sh: number, sw: number, top: number, left: number, rows: number): void;
  /** Present only with SIMD: maxPoolGrad for `c` a multiple of 4. */
  maxPoolGrad4?(x: number, dy: number, dx: number, b: number, h: number, w: number, c: number, oh: number, ow: number,
    fh: number, fw: number, sh: number, sw: number, top: number, left: number): void;
  /** Present only with SIMD: out[n, c] = x[n, c] + bias[c], `c` a multiple of 4. */
  biasAdd4?(x: number, bias: number, out: number, n: number, c: number): void;
  /** Present only with SIMD: stride 1, `ci` a multiple of 4, `wt` the filter as [FH, FW, CO, CI]. */
  inputGrad?(dy: number, wt: number, dx: number, b: number, h: number, w: number, ci: number, co: number, fh: number, fw: number,
    oh: number, ow: number, top: number, left: number): void;
}

/** The part of the WebAssembly global used here (src's lib settings do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const instances = new WeakMap<WasmMemory, KitWasm>();

/** The backend's heap (emscripten keeps it as Module.wasmMemory or asm.memory). */
function heapOf(backend: BackendWasm): WasmMemory {
  const m = backend.wasm as unknown as { wasmMemory?: WasmMemory; asm?: { memory?: WasmMemory } };
  const memory = m.wasmMemory ?? m.asm?.memory;
  if (!(memory instanceof WA.Memory)) throw new Error("the wasm backend does not expose its memory");
  return memory;
}

/** The kit's functions instantiated over this backend's heap (once per heap). */
export function kitWasm(backend: BackendWasm): KitWasm {
  const memory = heapOf(backend);
  let inst = instances.get(memory);
  if (inst === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const module = new WA.Module(kitModuleBytes(shared));
    inst = new WA.Instance(module, { env: { memory } }).exports as unknown as KitWasm;
    instances.set(memory, inst);
  }
  return inst;
}

/** The byte offset of a tensor's data on the heap. */
export function addressOf(backend: BackendWasm, info: { dataId: object }): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/**
 * Seeded random numbers, so that one `setSeed(n)` at the top of a notebook
 * reproduces every draw of a whole run (datasets, shuffles, initial weights).
 *
 * The generator is mulberry32: tiny, fast and well studied, with a 2^32 period,
 * which is plenty for course-sized data. It is not meant for cryptography.
 */

/** A seeded pseudo-random number generator (mulberry32) with the usual distributions. */
export class Rng {
  private state: number;
  /** A second normal value from the last Box-Muller pair, kept so no draw is wasted. */
  private spareNormal: number | null = null;

  /**
   * Creates a generator; the same seed always gives the same sequence.
   * @param seed any finite number (it is reduced to 32 bits)
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: the seed must be a finite number, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform number in [lo, hi). Defaults: [0, 1). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** A normal (Gaussian) number with the given mean and standard deviation (Box-Muller). */
  normal(mean = 0, std = 1): number {
    if (std < 0) throw new Error(`Rng.normal: std must be >= 0, got ${std}`);
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.next();
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return mean + std * r * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [lo, hi) (hi exclusive), like Python's `randrange`. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new Error(`Rng.int: bounds must be integers, got ${lo}, ${hi}`);
    if (hi <= lo) throw new Error(`Rng.int: empty range [${lo}, ${hi})`);
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** A random ordering of 0, 1, ..., n-1. */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new Error(`Rng.permutation: n must be a non-negative integer, got ${n}`);
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** n uniform numbers in [lo, hi). */
  uniformArray(n: number, lo = 0, hi = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** n normal numbers with the given mean and standard deviation. */
  normalArray(n: number, mean = 0, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }
}

let notebookRng = new Rng(0);

/**
 * Seeds the notebook-wide generator (`defaultRng()`), which every nnkit helper
 * uses when you do not pass a `seed`. Call it once at the top of a notebook.
 */
export function setSeed(seed: number): void {
  notebookRng = new Rng(seed);
}

/** The notebook-wide generator that `setSeed` resets (seed 0 until you call it). */
export function defaultRng(): Rng {
  return notebookRng;
}

/** A generator for a helper call: a fresh one for an explicit seed, else the notebook-wide one. */
export function rngFor(seed?: number): Rng {
  return seed === undefined ? notebookRng : new Rng(seed);
}

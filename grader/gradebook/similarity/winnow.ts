/**
 * Fingerprints as MOSS computes them (Schleimer, Wilkerson and Aiken, "Winnowing: local
 * algorithms for document fingerprinting", SIGMOD 2003): hash every k-gram of normalised
 * tokens, then keep the minimum hash of every window of w consecutive hashes.
 *
 * Guarantees: any run of at least t = w + k - 1 tokens shared by two solutions yields at least
 * one common fingerprint; runs shorter than k tokens never do (noise threshold).
 *
 * K = 5: after identifiers and literals are normalised, 3- and 4-token grams such as
 * `return ID ;` or `ID = ID .map (` occur in every solution; 5 tokens is about one short
 * statement, and solution regions are short (a few statements), so a larger k would leave the
 * smallest exercises without fingerprints. W = 4: t = 8 tokens, so a copied statement of 8 tokens
 * or more is always seen, while only about 2 / (w + 1) = 40 % of the hashes are kept.
 */
import { splitUnits, type Token } from "./tokens";

export const K = 5;
export const W = 4;

/** One selected fingerprint: its hash and the tokens [first, first + k) it covers. */
export interface Fingerprint {
  hash: number;
  first: number;
}

/** FNV-1a, 32 bits, of a string: stable across runs and processes. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Hashes of the k-grams of one unit of tokens (offset = index of the unit's first token). */
function kgramHashes(tokens: Token[], offset: number, k: number): { hash: number; first: number }[] {
  const codes = tokens.map((t) => hashString(t.norm));
  const out: { hash: number; first: number }[] = [];
  for (let i = 0; i + k <= codes.length; i++) {
    let h = 0x811c9dc5;
    for (let j = 0; j < k; j++) {
      h ^= codes[i + j];
      h = Math.imul(h, 0x01000193) >>> 0;
      h ^= h >>> 15;
    }
    out.push({ hash: h >>> 0, first: offset + i });
  }
  return out;
}

/** Robust winnowing: the minimum of each window (the rightmost one on ties), each selection once. */
export function winnow(hashes: { hash: number; first: number }[], w: number): Fingerprint[] {
  if (hashes.length === 0) return [];
  if (hashes.length <= w) {
    let min = 0;
    for (let i = 1; i < hashes.length; i++) if (hashes[i].hash <= hashes[min].hash) min = i;
    return [hashes[min]];
  }
  const out: Fingerprint[] = [];
  let last = -1;
  for (let start = 0; start + w <= hashes.length; start++) {
    let min = start;
    for (let i = start + 1; i < start + w; i++) if (hashes[i].hash <= hashes[min].hash) min = i;
    if (min !== last) {
      out.push(hashes[min]);
      last = min;
    }
  }
  return out;
}

/**
 * The fingerprints of a token stream: per top-level unit (so reordered functions keep theirs),
 * k-gram hashes winnowed with window w.
 */
export function fingerprints(tokens: Token[], k = K, w = W): Fingerprint[] {
  const out: Fingerprint[] = [];
  let offset = 0;
  for (const unit of splitUnits(tokens, k)) {
    out.push(...winnow(kgramHashes(unit, offset, k), w));
    offset += unit.length;
  }
  return out;
}

/**
 * Pairs of students whose solutions to one question share fingerprints, scored.
 *
 * Every participant's distinct fingerprints go into an inverted index (fingerprint -> who has
 * it); only pairs that meet in some posting list are ever scored, so the cost is the sum over
 * fingerprints of (holders choose 2), not n² per question. A fingerprint held by more than
 * `commonShare` of the class (at least `commonMin` students) is an idiom or leftover given code,
 * not evidence: it is dropped from every student's set, which also caps each posting list.
 *
 * The master's own solution is base code, as MOSS's base files are: every student is compared
 * with it (and flagged when close), but its fingerprints are removed before students are
 * compared with each other, so two students who both wrote the master's solution are one
 * finding ("copied from the master"), not a pair that copied each other.
 *
 * Score = Jaccard similarity of the two fingerprint sets (0..1, symmetric); the CSV also gives
 * each side's containment (shared / own), which is what MOSS prints per file.
 */
import { tokenize, type Token } from "./tokens";
import { fingerprints, K, W, type Fingerprint } from "./winnow";

/** The pseudo-student that stands for the master's own solution. */
export const MASTER = "(master)";

export interface Participant {
  student: string;
  question: string;
  /** What the student wrote for this question (given code and stub removed). */
  text: string;
  tokens: Token[];
  prints: Fingerprint[];
  /** Distinct fingerprint hashes, after common ones are dropped. */
  set: Set<number>;
}

export interface PairScore {
  question: string;
  a: Participant;
  b: Participant;
  similarity: number;
  shared: number;
  /** The fingerprints of a and of b that took part (between students: without the master's and the common ones). */
  sets: [Set<number>, Set<number>];
  /** Set when b is the master: "copied from the master". */
  flag: string;
}

export interface CompareOptions {
  k?: number;
  w?: number;
  /** Share of the class above which a fingerprint counts as common (default 0.5). */
  commonShare?: number;
  /** ... but never below this many students (default 20, so small classes keep everything). */
  commonMin?: number;
  /** Similarity to the master from which a solution is flagged as copied from it (default 0.8). */
  masterFlag?: number;
}

/** A participant from the text it wrote; `null` when it has too little code to fingerprint. */
export function participant(student: string, question: string, text: string, k = K, w = W): Participant | null {
  const tokens = tokenize(text);
  // closing braces left over around an untouched stub are not code the student wrote
  if (!tokens.some((t) => /\w/.test(t.norm))) return null;
  const prints = fingerprints(tokens, k, w);
  if (prints.length === 0) return null;
  return { student, question, text, tokens, prints, set: new Set(prints.map((p) => p.hash)) };
}

const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** Most similar first; ties by shared fingerprints, then question and ids (a stable, total order). */
export function byRank(p: PairScore, q: PairScore): number {
  return q.similarity - p.similarity || q.shared - p.shared || cmp(p.question, q.question) || cmp(p.a.student, q.a.student) || cmp(p.b.student, q.b.student);
}

const jaccard = (shared: number, a: number, b: number): number => (a + b - shared === 0 ? 0 : shared / (a + b - shared));

/**
 * Scores the pairs of one question: students with each other through the inverted index, and
 * every student against the master (flagged at `masterFlag`). Sorted most similar first.
 */
export function comparePairs(students: Participant[], master: Participant | null, o: CompareOptions = {}): { pairs: PairScore[]; scored: number } {
  const commonShare = o.commonShare ?? 0.5;
  const commonMin = o.commonMin ?? 20;
  const masterFlag = o.masterFlag ?? 0.8;
  const pairs: PairScore[] = [];
  if (master) {
    for (const s of students) {
      let shared = 0;
      for (const h of s.set) if (master.set.has(h)) shared++;
      if (shared === 0) continue;
      const similarity = jaccard(shared, s.set.size, master.set.size);
      pairs.push({ question: s.question, a: s, b: master, similarity, shared, sets: [s.set, master.set], flag: similarity >= masterFlag ? "copied from the master" : "" });
    }
  }
  const postings = new Map<number, number[]>();
  students.forEach((s, i) => {
    for (const h of s.set) {
      if (master?.set.has(h)) continue;
      const list = postings.get(h);
      if (list) list.push(i);
      else postings.set(h, [i]);
    }
  });
  const cap = Math.max(commonMin, Math.ceil(commonShare * students.length));
  const counted = students.map(() => new Set<number>());
  for (const [h, list] of postings) {
    if (list.length > cap) postings.delete(h);
    else for (const i of list) counted[i].add(h);
  }
  const n = students.length;
  const counts = new Map<number, number>();
  for (const list of postings.values()) {
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        const key = list[x] * n + list[y];
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  for (const [key, shared] of counts) {
    const i = Math.floor(key / n);
    const j = key % n;
    pairs.push({ question: students[i].question, a: students[i], b: students[j], similarity: jaccard(shared, counted[i].size, counted[j].size), shared,
      sets: [counted[i], counted[j]], flag: "" });
  }
  pairs.sort(byRank);
  return { pairs, scored: counts.size + (master ? students.length : 0) };
}

/** The fingerprints a pair counts as shared. */
export function sharedFingerprints(p: PairScore): Set<number> {
  return new Set([...p.sets[0]].filter((h) => p.sets[1].has(h)));
}

/**
 * The character ranges of `p.text` covered by the fingerprints in `shared` (merged, sorted),
 * each with the smallest fingerprint it holds: the same run on the other side has the same
 * one, so a page can give both the same colour.
 */
export function matchedRanges(p: Participant, shared: Set<number>, k = K): [number, number, number][] {
  const ranges: [number, number, number][] = [];
  for (const f of p.prints) {
    if (!shared.has(f.hash)) continue;
    const last = Math.min(f.first + k - 1, p.tokens.length - 1);
    ranges.push([p.tokens[f.first].start, p.tokens[last].end, f.hash]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number, number][] = [];
  for (const r of ranges) {
    const top = merged[merged.length - 1];
    if (top && r[0] <= top[1]) {
      top[1] = Math.max(top[1], r[1]);
      top[2] = Math.min(top[2], r[2]);
    } else merged.push([r[0], r[1], r[2]]);
  }
  return merged;
}

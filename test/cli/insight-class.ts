/**
 * A small class for the insight tests (similarity, stats, feedback medians) and the insight
 * screenshots: students of the CLI fixture assignment (01_tiny: squareAll, scaleAll) with
 * planted copies, graded by the real `grade` command into a gradebook in a temp folder.
 *
 *   ana  square with a for loop, scale with map                (original)
 *   ben  ana's code, names renamed, reformatted, commented      (planted copy of ana)
 *   cy   the master's own solution for both                      (copied from the master)
 *   dan  square left as the stub; scale with a for-of loop      (stub: nothing to compare)
 *   eve  square with reduce, scale with Array.from              (independent)
 *   fay  square with a while loop and Math.pow, scale wrong     (independent, partly failing)
 *   gus  eve's square, reordered helpers and an HTML comment    (planted copy of eve)
 */
import * as fs from "fs";
import * as path from "path";
import { toStudentNotebook } from "../../grader/release/release-transform";
import type { NotebookJson } from "../../grader/core/notebook";
import { FIXTURE_MASTERS, FIXTURE_SPECS, grader, TINY, tmpDir } from "./helpers";

export const SQUARE: Record<string, string | null> = {
  ana: `  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    out.push(xs[i] * xs[i]);
  }
  return out;`,
  ben: `  // squares, my own work
  const result:number[]=[]
  for(let k=0;k<xs.length;k++){ result.push( xs[k]*xs[k] ) }
  return result`,
  cy: `  const squaredValues = xs.map((value) => value * value);
  return squaredValues;`,
  dan: null,
  eve: `  const sq = (v: number): number => v ** 2;
  const step = (acc: number[], v: number): number[] => { acc.push(sq(v)); return acc; };
  return xs.reduce<number[]>(step, []);`,
  fay: `  const r = new Array<number>(xs.length);
  let i = 0;
  while (i < xs.length) {
    r[i] = Math.pow(xs[i], 2);
    i += 1;
  }
  return r;`,
  gus: `  // </pre><script>alert("gus")</script> & <b>not bold</b>
  const accumulate = (list: number[], item: number): number[] => { list.push(square(item)); return list; };
  const square = (item: number): number => item ** 2;
  return xs.reduce<number[]>(accumulate, []);`,
};

export const SCALE: Record<string, string | null> = {
  ana: `  return xs.map(function (x) { return x * factor; });`,
  ben: `  return xs.map(function (value) {
    return value * factor;
  });`,
  cy: `  const scaledValues = xs.map((value) => value * factor);
  return scaledValues;`,
  dan: `  const out = [];
  for (const x of xs) out.push(factor * x);
  return out;`,
  eve: `  return Array.from(xs, (v) => v * factor);`,
  fay: `  return xs.map((v) => v + factor);`,
  gus: `  return Array.from(xs, (v) => v * factor);`,
};

export interface InsightClass {
  dir: string;
  subs: string;
  gradebook: string;
}

/** The released fixture notebook with each region's stub replaced by the student's code (null: stub kept). */
export function studentNotebook(square: string | null, scale: string | null): NotebookJson {
  const master = JSON.parse(fs.readFileSync(path.join(FIXTURE_MASTERS, TINY), "utf8")) as NotebookJson;
  const nb = toStudentNotebook(master);
  const fill = (id: string, body: string | null): void => {
    const cell = nb.cells.find((c) => c.id === id);
    if (!cell || body === null) return;
    const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    cell.source = src.replace(/ *\/\/ YOUR CODE HERE\n *throw new Error\([^\n]*\);/, body);
  };
  fill("square-impl", square);
  fill("scale-impl", scale);
  return nb;
}

/**
 * Writes the class as loose notebooks and grades it with the real `grade` command. `extra`
 * adds students: id -> [squareAll body, scaleAll body] (null: the stub kept).
 */
export function buildInsightClass(prefix = "insight", extra: Record<string, [string | null, string | null]> = {}): InsightClass {
  const dir = tmpDir(prefix);
  const subs = path.join(dir, "subs");
  fs.mkdirSync(subs);
  const all: Record<string, [string | null, string | null]> = { ...Object.fromEntries(Object.keys(SQUARE).map((s) => [s, [SQUARE[s], SCALE[s]]])), ...extra };
  for (const [s, [square, scale]] of Object.entries(all)) {
    fs.writeFileSync(path.join(subs, `${s}_01_tiny.ipynb`), JSON.stringify(studentNotebook(square, scale), null, 1));
  }
  const gradebook = path.join(dir, "gradebook.sqlite");
  const r = grader(["grade", subs, "-g", gradebook, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS, "-j", "2"]);
  if (r.code !== 0 && r.code !== 3) throw new Error(`grade failed (${r.code}): ${r.err}`);
  return { dir, subs, gradebook };
}

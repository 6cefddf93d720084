/**
 * The similarity engine without a gradebook: tokens, winnowing, pair scores, what counts as
 * the student's own code, and the pages' escaping.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { comparePairs, matchedRanges, MASTER, participant, sharedFingerprints, type PairScore, type Participant } from "../../grader/gradebook/similarity/compare";
import { solutionCells, writtenByQuestion } from "../../grader/gradebook/similarity/regions";
import { pairHtml, pairsCsv } from "../../grader/gradebook/similarity/report";
import { tokenize } from "../../grader/gradebook/similarity/tokens";
import { fingerprints, K, W, winnow } from "../../grader/gradebook/similarity/winnow";
import { parseCsv } from "../../grader/export/csv";
import { readNotebook } from "../../grader/core/notebook";
import { loadAssignment, loadSpecsFrom } from "../../grader/judge/assignment";
import { KIT_ROOT } from "../../grader/core/version";
import { studentNotebook } from "../cli/insight-class";
import { FIXTURE_MASTERS, FIXTURE_SPECS, TINY } from "../cli/helpers";

const p = (student: string, text: string): Participant => {
  const got = participant(student, "q", text);
  if (!got) throw new Error(`no fingerprints for ${student}`);
  return got;
};
const score = (a: string, b: string): number => {
  const { pairs } = comparePairs([p("a", a), p("b", b)], null);
  return pairs.length === 0 ? 0 : pairs[0].similarity;
};

const SOFTMAX = `
function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  let sum = 0;
  for (const v of e) sum += v;
  return e.map((v) => v / sum);
}
function crossEntropy(p: number[], label: number): number {
  return -Math.log(Math.max(p[label], 1e-12));
}`;
// the same code: names changed, reformatted, commented, no semicolons, the two functions swapped
const SOFTMAX_RENAMED = `
/* loss first */
function ce(probs: number[], y: number): number { return -Math.log( Math.max(probs[y], 1e-9) ) }

function mySoftmax(inputs: number[]): number[] {
  const biggest = Math.max(...inputs) // for stability
  const exps = inputs.map(value => Math.exp(value - biggest))
  let total = 0
  for (const item of exps) total += item
  return exps.map(item => item / total)
}`;
// correct too, written independently: loops and indices instead of map and spread
const SOFTMAX_INDEPENDENT = `
function softmax(x: number[]): number[] {
  let best = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > best) best = x[i];
  const out: number[] = [];
  let z = 0;
  for (let i = 0; i < x.length; i++) { out.push(Math.exp(x[i] - best)); z += out[i]; }
  for (let i = 0; i < out.length; i++) out[i] /= z;
  return out;
}
function crossEntropy(p: number[], label: number): number {
  const q = p[label] < 1e-12 ? 1e-12 : p[label];
  return -1 * Math.log(q);
}`;

describe("similarity: tokens", () => {
  it("ignores whitespace, comments, identifier names and literal values", () => {
    const a = tokenize("const total = xs.reduce((s, v) => s + v, 0); // sum").map((t) => t.norm);
    const b = tokenize("/* add up */ let  acc=values.reduce((x,y)=>x+y,10)").map((t) => t.norm);
    expect(a.join(" ")).to.equal("const ID = ID . .reduce ( ( ID , ID ) => ID + ID , NUM )");
    expect(b.slice(1)).to.deep.equal(a.slice(1));
  });

  it("keeps property names after a dot, and reads templates and regular expressions as one token", () => {
    const t = tokenize("const s = `a${x + 1}b${y}c`; const r = /a\\/b+/g.test(s) ? Math.exp(1) : 2 / 3;").map((x) => x.norm);
    expect(t).to.include(".exp").and.include(".test").and.include("RE");
    expect(t.filter((x) => x === "STR")).to.have.length(3);
    expect(t).to.not.include("Unknown");
  });

  it("treats `(v) => v` and `v => v` alike, and a variable named like a contextual keyword as an identifier", () => {
    expect(tokenize("xs.map((v) => v * 2)").map((t) => t.norm)).to.deep.equal(tokenize("xs.map(value => value * 2)").map((t) => t.norm));
    expect(tokenize("const out = type + number;").map((t) => t.norm).join(" ")).to.equal("const ID = ID + ID");
  });
});

describe("similarity: winnowing", () => {
  it("keeps the minimum of every window, each once, and finds any shared run of w + k - 1 tokens", () => {
    const hs = [5, 3, 9, 3, 7, 8, 1, 6].map((hash, first) => ({ hash, first }));
    expect(winnow(hs, 4).map((f) => f.first)).to.deep.equal([3, 6]);
    const run = "total = total + weights[i] * inputs[i] - bias;";
    const a = fingerprints(tokenize(`if (ready) { start(); } ${run} while (x) y();`));
    const b = fingerprints(tokenize(`for (;;) { never(); stop(1, 2); } ${run}`));
    expect(tokenize(run).length).to.be.at.least(W + K - 1);
    expect(a.some((f) => b.some((g) => g.hash === f.hash))).to.equal(true);
  });
});

describe("similarity: scores", () => {
  it("scores two solutions that differ only in names, formatting, comments and function order >= 0.9", () => {
    expect(score(SOFTMAX, SOFTMAX_RENAMED)).to.be.at.least(0.9);
  });

  it("scores two independent correct solutions written differently below 0.3", () => {
    expect(score(SOFTMAX, SOFTMAX_INDEPENDENT)).to.be.below(0.3);
    expect(score(SOFTMAX_RENAMED, SOFTMAX_INDEPENDENT)).to.be.below(0.3);
  });

  it("pairs through the inverted index exactly as comparing every pair would", () => {
    const texts = [SOFTMAX, SOFTMAX_RENAMED, SOFTMAX_INDEPENDENT, "return xs.map((v) => v * v);", "let s = 0; for (const v of xs) s += v * v; return s;"];
    const people = texts.map((t, i) => p(`s${i}`, t));
    const { pairs } = comparePairs(people, null);
    for (let i = 0; i < people.length; i++) {
      for (let j = i + 1; j < people.length; j++) {
        const shared = [...people[i].set].filter((h) => people[j].set.has(h)).length;
        const found = pairs.find((x) => x.a === people[i] && x.b === people[j]);
        if (shared === 0) expect(found).to.equal(undefined);
        else expect(found?.similarity).to.be.closeTo(shared / (people[i].set.size + people[j].set.size - shared), 1e-12);
      }
    }
    expect(pairs.map((x) => x.similarity)).to.deep.equal([...pairs.map((x) => x.similarity)].sort((a, b) => b - a));
  });

  it("drops fingerprints most of a large class shares (idioms), so they do not make pairs", () => {
    const common = "const out: number[] = []; for (let i = 0; i < xs.length; i++) out.push(xs[i]); return out;";
    const people = Array.from({ length: 40 }, (_, i) => p(`s${i}`, common));
    expect(comparePairs(people, null).pairs).to.have.length(0);
    expect(comparePairs(people.slice(0, 10), null).pairs).to.have.length(45);
  });

  it("flags a solution copied from the master, and highlights the shared runs on both sides", () => {
    const master = p(MASTER, SOFTMAX);
    const { pairs } = comparePairs([p("copier", SOFTMAX_RENAMED), p("honest", SOFTMAX_INDEPENDENT)], master);
    const copier = pairs.find((x) => x.a.student === "copier" && x.b === master);
    expect(copier?.flag).to.equal("copied from the master");
    expect(pairs.find((x) => x.a.student === "honest" && x.b === master)?.flag ?? "").to.equal("");
    const ranges = matchedRanges(copier?.a as Participant, sharedFingerprints(copier as PairScore));
    expect(ranges.length).to.be.greaterThan(0);
    expect(SOFTMAX_RENAMED.slice(ranges[0][0], ranges[0][1])).to.match(/\S/);
  });
});

describe("similarity: the master as base code", () => {
  it("reports two students who both pasted the master's solution as master copies, not as a pair", () => {
    const master = p(MASTER, SOFTMAX);
    const { pairs } = comparePairs([p("x", SOFTMAX_RENAMED), p("y", SOFTMAX)], master);
    expect(pairs.map((x) => `${x.a.student} ${x.b.student} ${x.flag}`).sort()).to.deep.equal(["x (master) copied from the master", "y (master) copied from the master"]);
  });

  it("still pairs two students on what they wrote beyond the master's code", () => {
    const extra = `
function clip(values: number[], lo: number, hi: number): number[] {
  const out: number[] = [];
  for (const v of values) out.push(v < lo ? lo : v > hi ? hi : v);
  return out;
}`;
    const master = p(MASTER, SOFTMAX);
    const { pairs } = comparePairs([p("x", SOFTMAX + extra), p("y", SOFTMAX_RENAMED + extra.replace(/values/g, "arr")), p("z", SOFTMAX_INDEPENDENT)], master);
    const xy = pairs.find((x) => x.a.student === "x" && x.b.student === "y");
    expect(xy?.similarity).to.be.at.least(0.9);
    expect(xy?.sets[0].size).to.be.lessThan((pairs.find((x) => x.a.student === "x" && x.b === master)?.sets[0].size ?? 0));
  });
});

describe("similarity: the student's own code", () => {
  const spec = loadSpecsFrom(FIXTURE_SPECS)[0];
  const cells = solutionCells(readNotebook(path.join(FIXTURE_MASTERS, TINY)), spec);
  const square = cells.find((c) => c.id === "square-impl");

  it("maps each solution region to its question and leaves the given code and the stub out", () => {
    expect(cells.map((c) => [c.id, c.regions.map((r) => r.question)])).to.deep.equal([["square-impl", ["tiny-square"]], ["scale-impl", ["tiny-scale"]]]);
    const nb = studentNotebook("  return xs.map((v) => v * v);", null);
    const src = nb.cells.find((c) => c.id === "square-impl")?.source as string;
    expect(writtenByQuestion(square as never, src).get("tiny-square")).to.deep.equal(["  return xs.map((v) => v * v);", "}"]);
  });

  it("leaves nothing of a stub the student did not touch, so the stub is never compared with itself", () => {
    const stub = studentNotebook(null, null).cells.find((c) => c.id === "square-impl")?.source as string;
    const written = writtenByQuestion(square as never, stub).get("tiny-square")?.join("\n") ?? "";
    expect(participant("dan", "tiny-square", written)).to.equal(null);
    const stubs = [participant("x", "q", written), participant("y", "q", written)].filter((x): x is Participant => x !== null);
    expect(comparePairs(stubs, null).pairs).to.have.length(0);
    expect(participant("x", "q", "}\n  });\n})();\n}\n}")).to.equal(null);
  });

  it("takes the master's region as the master's own code", () => {
    const written = writtenByQuestion(square as never, square?.master as string).get("tiny-square");
    expect(written).to.deep.equal(["  const squaredValues = xs.map((value) => value * value);", "  return squaredValues;", "}"]);
  });
});

describe("similarity: report files", () => {
  it("escapes student code in the side-by-side page and carries no script", () => {
    const evil = `const a = "</pre><script>alert(1)</script>"; // <img src=x onerror=alert(2)>\nreturn a.length + xs.map((v) => v * v).length;`;
    const { pairs } = comparePairs([p("a&b", evil), p("<c>", evil)], null);
    const html = pairHtml(pairs[0]);
    expect(html).to.not.match(/<script/i);
    expect(html).to.not.include("<img");
    expect(html).to.include("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;").and.include("a&amp;b").and.include("&lt;c&gt;");
    expect(html).to.include("<mark");
  });

  it("gives a shared run the same colour on both sides, whatever order the functions are in", () => {
    const { pairs } = comparePairs([p("a", SOFTMAX), p("b", SOFTMAX_RENAMED)], null);
    const [left, right] = pairHtml(pairs[0]).split("<h2>").slice(1);
    const colours = (html: string): string[] => [...html.matchAll(/<mark class="(m\d)">/g)].map((m) => m[1]).sort();
    expect(colours(left).length).to.be.greaterThan(1);
    expect(colours(left)).to.deep.equal(colours(right));
  });

  it("writes a CSV a spreadsheet reads back, quotes and all", () => {
    const { pairs } = comparePairs([p('o"neil,jr', SOFTMAX), p("b", SOFTMAX_RENAMED)], null);
    const rows = parseCsv(pairsCsv(pairs, new Map()));
    expect(rows[0].slice(0, 4)).to.deep.equal(["similarity", "student_a", "student_b", "question"]);
    expect(rows[1][1]).to.equal('o"neil,jr');
    expect(Number(rows[1][0])).to.be.at.least(0.9);
  });

  it("needs the csv-stringify package pinned exactly", () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(pkg.dependencies["csv-stringify"]).to.match(/^\d+\.\d+\.\d+$/);
  });
});

describe("similarity: the real masters in notebooks/", () => {
  const specs = loadAssignment();
  for (const spec of specs) {
    describe(spec.notebook, () => {
      const master = readNotebook(path.join(KIT_ROOT, "notebooks", spec.notebook));
      const cells = solutionCells(master, spec);
      const byQuestion = (source: (c: (typeof cells)[number]) => string): Map<string, string> => {
        const out = new Map<string, string[]>();
        for (const c of cells) for (const [q, ls] of writtenByQuestion(c, source(c))) out.set(q, [...(out.get(q) ?? []), ...ls]);
        return new Map([...out].map(([q, ls]) => [q, ls.join("\n")]));
      };

      it("maps every question to a solution region with code to fingerprint", () => {
        const own = byQuestion((c) => c.master);
        for (const q of spec.questions) expect(participant(MASTER, q.id, own.get(q.id) ?? ""), q.id).to.not.equal(null);
        expect(cells.flatMap((c) => c.regions.map((r) => r.question)).filter((q) => q.startsWith("cell:"))).to.deep.equal([]);
      });

      it("leaves nothing of the released stubs to compare, and flags the master's solution pasted into them", () => {
        expect([...byQuestion((c) => c.released).values()].map((t) => participant("stub", "q", t))).to.satisfy((xs: unknown[]) => xs.every((x) => x === null));
        const own = byQuestion((c) => c.master);
        for (const q of spec.questions) {
          const copier = participant("copier", q.id, own.get(q.id) ?? "");
          const { pairs } = comparePairs(copier ? [copier] : [], participant(MASTER, q.id, own.get(q.id) ?? ""));
          expect(pairs.map((x) => x.flag), q.id).to.deep.equal(["copied from the master"]);
        }
      });
    });
  }
});

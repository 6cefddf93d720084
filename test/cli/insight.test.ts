/**
 * Issue 20 on a graded class: `similarity`, `stats`, `export stats` and the class median on the
 * feedback pages, run as the instructor runs them (the real CLI), on the fixture assignment's
 * class with planted copies (test/cli/insight-class.ts, graded by the real `grade`).
 */
import { fileNameFor } from "../../grader/core/student-id";
import Database from "better-sqlite3";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parseCsv } from "../../grader/export/csv";
import { Gradebook } from "../../grader/gradebook/gradebook";
import { captureSolutionCells, currentSolutionCells, migrateSimilarity } from "../../grader/gradebook/similarity/store";
import { kitVersion } from "../../grader/core/version";
import { buildInsightClass, studentNotebook, type InsightClass } from "./insight-class";
import { FIXTURE_MASTERS, FIXTURE_SPECS, grader, TINY } from "./helpers";

const ASSIGNMENT = ["--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS];
/** What the fixture's hidden probes are made of (expressions, inputs, expected values): never shown. */
const HIDDEN = ["-7.25", "1e3", "4.5, -8.125", "-3.75", "52.5625", "-16.875", "30.46875", "1000000"];

describe("insight: similarity and class statistics on a graded class", function () {
  this.timeout(900_000);
  let c: InsightClass;
  before(() => {
    c = buildInsightClass();
  });
  after(() => fs.rmSync(c.dir, { recursive: true, force: true }));

  describe("similarity", () => {
    let out: string;
    let lines: string[][];
    before(() => {
      out = path.join(c.dir, "similarity");
      const r = grader(["similarity", "-g", c.gradebook, "-o", out, "--min", "0", ...ASSIGNMENT]);
      expect(r.code, r.err).to.equal(0);
      lines = r.out.trim().split("\n").map((l) => l.split("\t"));
    });
    const find = (a: string, b: string, q: string): string[] | undefined =>
      lines.find((l) => ((l[1] === a && l[2] === b) || (l[1] === b && l[2] === a)) && l[3] === q);

    it("ranks the planted copies first, each line: similarity, two ids, the question", () => {
      for (const l of lines) {
        expect(Number(l[0])).to.be.within(0, 1);
        expect(l[3]).to.match(/^tiny-(square|scale)$/);
      }
      expect(lines.map((l) => Number(l[0]))).to.deep.equal(lines.map((l) => Number(l[0])).sort((a, b) => b - a));
      // ana/ben: renamed and reformatted; eve/gus: renamed, helpers reordered
      expect(Number(find("ana", "ben", "tiny-square")?.[0])).to.be.at.least(0.9);
      expect(Number(find("ana", "ben", "tiny-scale")?.[0])).to.be.at.least(0.9);
      expect(Number(find("eve", "gus", "tiny-square")?.[0])).to.be.at.least(0.9);
      const planted = new Set(["ana ben", "eve gus", "cy (master)"]);
      const top = lines.filter((l) => Number(l[0]) >= 0.9).map((l) => `${l[1]} ${l[2]}`);
      expect(top.every((t) => planted.has(t))).to.equal(true, top.join("; "));
    });

    it("scores independent solutions low and never compares the untouched stub", () => {
      for (const [a, b] of [["ana", "eve"], ["ana", "fay"], ["eve", "fay"], ["ben", "fay"]]) {
        expect(Number(find(a, b, "tiny-square")?.[0] ?? 0), `${a} ${b}`).to.be.below(0.3);
      }
      expect(lines.filter((l) => l[3] === "tiny-square" && (l[1] === "dan" || l[2] === "dan"))).to.deep.equal([]);
    });

    it("flags the solution copied from the master, and nobody else", () => {
      const flagged = lines.filter((l) => l[4] === "copied from the master").map((l) => `${l[1]} ${l[3]}`).sort();
      expect(flagged).to.deep.equal(["cy tiny-scale", "cy tiny-square"]);
      expect(lines.filter((l) => l[2] === "(master)" && l[1] !== "cy").every((l) => Number(l[0]) < 0.8)).to.equal(true);
    });

    it("writes a CSV of every scored pair that agrees with stdout", () => {
      const rows = parseCsv(fs.readFileSync(path.join(out, "pairs.csv"), "utf8"));
      expect(rows[0]).to.deep.equal(["similarity", "student_a", "student_b", "question", "shared_fingerprints", "fingerprints_a", "fingerprints_b",
        "containment_a", "containment_b", "flag", "page"]);
      expect(rows.slice(1).map((r) => `${Number(r[0]).toFixed(3)} ${r[1]} ${r[2]} ${r[3]}`)).to.deep.equal(lines.map((l) => `${l[0]} ${l[1]} ${l[2]} ${l[3]}`));
      for (const r of rows.slice(1, 4)) expect(fs.existsSync(path.join(out, r[10])), r[10]).to.equal(true);
    });

    it("writes side-by-side pages of the top pairs with the student's HTML escaped and no script", () => {
      const pages = fs.readdirSync(out).filter((f) => /^pair-\d+\.html$/.test(f));
      expect(pages.length).to.equal(Math.min(25, lines.length));
      const gus = pages.map((f) => fs.readFileSync(path.join(out, f), "utf8")).find((h) => h.includes("<h2>gus</h2>"));
      expect(gus, "a page with gus").to.not.equal(undefined);
      expect(gus).to.include("&lt;/pre&gt;&lt;script&gt;alert(&quot;gus&quot;)&lt;/script&gt; &amp; &lt;b&gt;not bold&lt;/b&gt;");
      expect(gus).to.not.match(/<script/i);
      expect(gus).to.include("<mark");
      const index = fs.readFileSync(path.join(out, "index.html"), "utf8");
      expect(index).to.include('href="pair-01.html"').and.include("pairs.csv");
    });
  });

  describe("stats", () => {
    it("prints the distribution, probes failed and common messages per question, hidden probes by number only", () => {
      const r = grader(["stats", "-g", c.gradebook]);
      expect(r.code, r.err).to.equal(0);
      const square = r.out.split("\n01_tiny.ipynb ")[0];
      expect(square).to.match(/tiny-square "Square every element" \(2 points\): 7 students, median 2, mean 1\.714/);
      expect(square).to.include("scores: 0: 1, 2: 6");
      expect(square).to.include("#1 squareAll of 5 values 14%; #2 (hidden) 14%");
      expect(square).to.include("1x squareAll of 5 values: threw Error: not implemented: squareAll");
      // fay's scaleAll adds instead of multiplying: both probes fail
      expect(r.out).to.match(/tiny-scale "Scale every element" \(1 points\): 7 students, median 1/);
      expect(r.out).to.include("#1 scaleAll([1, 2, 3], 2) 14%; #2 (hidden) 14%");
      expect(r.out).to.match(/median grading time \d+(\.\d+)? s/);
      for (const h of HIDDEN) expect(r.out, h).to.not.include(h);
    });

    it("exports a self-contained page with plotly inlined once and CSVs, hidden values nowhere", () => {
      const out = path.join(c.dir, "export");
      const r = grader(["export", "stats", "-g", c.gradebook, "-o", out, ...ASSIGNMENT.slice(0, 2)]);
      expect(r.code, r.err).to.equal(0);
      const html = fs.readFileSync(path.join(out, "stats", "stats.html"), "utf8");
      expect(html.match(/<script[\s>]/g)).to.have.length(2);
      const bundle = fs.readFileSync(require.resolve("plotly.js-dist-min"), "utf8");
      expect(html.split(bundle.slice(0, 200)).length - 1, "plotly inlined exactly once").to.equal(1);
      expect(html.length).to.be.greaterThan(bundle.length);
      expect(html).to.not.match(/<script[^>]+src=/i).and.to.not.match(/<link[\s>]/i);
      expect(html).to.include('id="hist-0"').and.include('id="pass-1"');
      const data = html.slice(html.lastIndexOf("<script>"));
      for (const h of HIDDEN) expect(data, h).to.not.include(h);
      const rows = parseCsv(fs.readFileSync(path.join(out, "stats", "stats.csv"), "utf8"));
      expect(rows.map((x) => [x[1], x[4], x[6]])).to.deep.equal([["question", "students", "median"], ["tiny-square", "7", "2"], ["tiny-scale", "7", "1"]]);
      const probes = parseCsv(fs.readFileSync(path.join(out, "stats", "probes.csv"), "utf8"));
      expect(probes.slice(1).map((x) => [x[1], x[2], x[3], x[4], x[5]])).to.deep.equal([
        ["tiny-square", "1", "no", "#1 squareAll of 5 values", "1"], ["tiny-square", "2", "yes", "#2 (hidden)", "1"],
        ["tiny-scale", "1", "no", "#1 scaleAll([1, 2, 3], 2)", "1"], ["tiny-scale", "2", "yes", "#2 (hidden)", "1"],
      ]);
      for (const h of HIDDEN) expect(fs.readFileSync(path.join(out, "stats", "probes.csv"), "utf8")).to.not.include(h);
    });

    it("shows each question's score beside the class median on the feedback page", () => {
      const out = path.join(c.dir, "export");
      const r = grader(["export", "feedback", "-g", c.gradebook, "-o", out, ...ASSIGNMENT.slice(0, 2)]);
      expect(r.code, r.err).to.equal(0);
      const dan = fs.readFileSync(path.join(out, "feedback", `${fileNameFor("dan")}.html`), "utf8");
      expect(dan).to.include("<th>class median</th>");
      expect(dan).to.match(/<tr id="q-tiny-square">.*?<td>0 \/ 2<\/td><td class="median">2<\/td>/);
      expect(dan).to.match(/<tr id="q-tiny-scale">.*?<td>1 \/ 1<\/td><td class="median">1<\/td>/);
    });
  });

  describe("gradebooks", () => {
    /** A copy of the class gradebook as it was before this change: no similarity tables. */
    function oldGradebook(name: string): string {
      const old = path.join(c.dir, name);
      fs.copyFileSync(c.gradebook, old);
      for (const ext of ["-wal", "-shm"]) if (fs.existsSync(c.gradebook + ext)) fs.copyFileSync(c.gradebook + ext, old + ext);
      const db = new Database(old);
      // as the schema before the similarity tables (version 5) left it
      db.exec("DROP TABLE solution_cells; DROP TABLE solution_capture;");
      db.pragma("user_version = 5");
      db.close();
      return old;
    }

    it("upgrades a gradebook written before the similarity tables without losing a row", () => {
      const db = new Database(oldGradebook("old.sqlite"));
      try {
        const count = (): Record<string, number> => Object.fromEntries(["students", "submissions", "runs", "questions", "probes", "written"].map((t) =>
          [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
        const before = count();
        expect(before.runs).to.equal(7);
        migrateSimilarity(db);
        migrateSimilarity(db);
        expect(count()).to.deep.equal(before);
        const cells = currentSolutionCells(db, "01_tiny.ipynb");
        expect(cells).to.have.length(7);
        expect(cells.every((s) => s.cells === null)).to.equal(true);
      } finally {
        db.close();
      }
    });

    it("compares an old gradebook's class from the submissions it was graded from, and stores their cells", () => {
      const old = oldGradebook("old-recover.sqlite");
      const fresh = grader(["similarity", "-g", c.gradebook, "-o", path.join(c.dir, "sim-new"), ...ASSIGNMENT]);
      const r = grader(["similarity", "-g", old, "-o", path.join(c.dir, "sim-old"), ...ASSIGNMENT]);
      expect(r.code, r.err).to.equal(0);
      expect(r.err).to.not.include("not compared");
      expect(r.out).to.equal(fresh.out);
      expect(r.out).to.include("ana\tben\ttiny-square");
      const db = new Database(old, { readonly: true });
      try {
        expect((db.prepare("SELECT COUNT(*) AS n FROM solution_capture").get() as { n: number }).n).to.equal(7);
      } finally {
        db.close();
      }
    });

    it("names each student it cannot compare when the submissions are gone or changed", () => {
      const old = oldGradebook("old-gone.sqlite");
      const moved = path.join(c.dir, "subs-moved");
      fs.renameSync(c.subs, moved);
      try {
        fs.mkdirSync(c.subs);
        fs.copyFileSync(path.join(moved, "ben_01_tiny.ipynb"), path.join(c.subs, "ben_01_tiny.ipynb"));
        fs.appendFileSync(path.join(c.subs, "ben_01_tiny.ipynb"), "\n");
        const r = grader(["similarity", "-g", old, "-o", path.join(c.dir, "sim-gone"), ...ASSIGNMENT]);
        expect(r.code, r.err).to.equal(0);
        expect(r.out).to.equal("");
        expect(r.err).to.match(/not compared: ana 01_tiny\.ipynb: graded before solution cells were stored, and \S*ana_01_tiny\.ipynb is gone/);
        expect(r.err).to.match(/not compared: ben 01_tiny\.ipynb: .*ben_01_tiny\.ipynb has changed since it was graded/);
      } finally {
        fs.rmSync(c.subs, { recursive: true, force: true });
        fs.renameSync(moved, c.subs);
      }
    });

    it("stores each student's solution cells (matched without cell ids too), and a new capture replaces the old", () => {
      const copy = path.join(c.dir, "capture.sqlite");
      fs.copyFileSync(c.gradebook, copy);
      for (const ext of ["-wal", "-shm"]) if (fs.existsSync(c.gradebook + ext)) fs.copyFileSync(c.gradebook + ext, copy + ext);
      const gb = Gradebook.open(copy, kitVersion());
      try {
        const cells = currentSolutionCells(gb.db, "01_tiny.ipynb");
        expect(cells.map((s) => s.student)).to.deep.equal(["ana", "ben", "cy", "dan", "eve", "fay", "gus"]);
        expect([...(cells.find((s) => s.student === "dan")?.cells?.keys() ?? [])].sort()).to.deep.equal(["scale-impl", "square-impl"]);
        const ana = cells.find((s) => s.student === "ana");
        expect(ana?.cells?.get("square-impl")).to.include("out.push(xs[i] * xs[i]);");
        // the same student saved again without cell ids (an old Jupyter): matched by position
        const nb = studentNotebook("  return xs.map((q) => q * q);", null);
        for (const cell of nb.cells) delete cell.id;
        const file = path.join(c.dir, "no-ids.ipynb");
        fs.writeFileSync(file, JSON.stringify(nb));
        expect(captureSolutionCells(gb.db, ana?.submissionId as number, "01_tiny.ipynb", file, path.join(FIXTURE_MASTERS, TINY))).to.equal(null);
        const again = currentSolutionCells(gb.db, "01_tiny.ipynb").find((s) => s.student === "ana");
        expect(again?.cells?.get("square-impl")).to.include("xs.map((q) => q * q)").and.not.include("out.push");
        // an unreadable notebook stores nothing, says why, and throws nothing
        fs.writeFileSync(file, "{ not json");
        expect(captureSolutionCells(gb.db, ana?.submissionId as number, "01_tiny.ipynb", file, path.join(FIXTURE_MASTERS, TINY))).to.include("not valid JSON");
        expect(currentSolutionCells(gb.db, "01_tiny.ipynb").find((s) => s.student === "ana")?.cells?.size).to.equal(0);
        // a student whose notebook was missing has no code: left out, not reported as "graded before capture"
        const { id } = gb.recordSubmission({ student: "zoe", source: "zoe.zip", kind: "zip", contentHash: "z", submittedAt: null, timeSource: null,
          lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null });
        gb.recordDirect(id, "01_tiny.ipynb", { status: "missing", reason: "missing notebook", score: 0, maxScore: 3, questions: [], log: "", seconds: 0, masterHash: "m" });
        expect(currentSolutionCells(gb.db, "01_tiny.ipynb").map((s) => s.student)).to.not.include("zoe");
      } finally {
        gb.close();
      }
    });

    it("says clearly when the gradebook does not exist or an option is out of range", () => {
      const r = grader(["similarity", "-g", path.join(c.dir, "nope.sqlite"), ...ASSIGNMENT]);
      expect(r.code).to.equal(1);
      expect(r.err).to.include("gradebook not found");
      const s = grader(["stats", "-g", path.join(c.dir, "nope.sqlite")]);
      expect(s.code).to.equal(1);
      expect(s.err).to.include("gradebook not found");
      expect(fs.existsSync(path.join(c.dir, "nope.sqlite"))).to.equal(false);
      const bad = grader(["similarity", "-g", c.gradebook, "--min", "2", ...ASSIGNMENT]);
      expect(bad.code).to.equal(2);
      expect(bad.err).to.include("must be a number from 0 to 1");
    });
  });
});

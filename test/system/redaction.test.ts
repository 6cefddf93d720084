/**
 * Issue 15.2 (and 15.5 on the same runs): nothing a student sees names a hidden probe's
 * expression, label, inputs, expected value or the student's value on it.
 *
 * A batch of wrong submissions of the shipped course (notebooks 01, 02 and 04, wrong in ways that
 * fail hidden probes, one of them printing its probes' arguments to stderr, and the released
 * stubs) is graded with the real `grade` command into a temporary gradebook, then everything a
 * student can be shown is produced: `export all` (CSV with a comment column per question,
 * feedback pages, written answers), Gradescope's results.json (the real gradescope-run path),
 * and `npm run check`'s output. Every produced file is searched for every hidden probe's
 * expression, label, inputs and expected value (serialised as JSON, as full numbers and as the
 * six-digit numbers messages use). The search is shown to be non-vacuous first: each needle is
 * found in the instructor's data (the master's reference of expected values).
 */
import { fileNameFor } from "../../grader/core/student-id";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { runCheck } from "../../grader/export/check";
import { runGradescope } from "../../grader/export/gradescope-run";
import { referenceFor } from "../../grader/judge/grade";
import { readNotebook, type NotebookJson } from "../../grader/core/notebook";
import { decodePlain, describePlain, encodePlain, type PlainValue } from "../../grader/core/plain";
import { toStudentNotebook } from "../../grader/release/release-transform";
import type { Reference } from "../../grader/judge/expected";
import type { NotebookSpec } from "../../grader/core/spec";
import { spec as activations } from "../../grader/specs/01_activations";
import { spec as mlp } from "../../grader/specs/02_mlp";
import { spec as convolution } from "../../grader/specs/04_convolution";
import { KIT_ROOT } from "../../grader/core/version";
import { grader, tmpDir } from "../cli/helpers";

const SPECS: NotebookSpec[] = [activations, mlp, convolution];

function master(notebook: string): NotebookJson {
  return JSON.parse(fs.readFileSync(path.join(KIT_ROOT, "notebooks", notebook), "utf8")) as NotebookJson;
}

/** The master with some lines replaced (each must occur in the named cell). */
function wrong(notebook: string, edits: [cell: string, from: string, to: string][], extraCells: [id: string, source: string][] = []): string {
  const nb = master(notebook);
  for (const [id, from, to] of edits) {
    const cell = nb.cells.find((c) => c.id === id);
    const src = cell ? (Array.isArray(cell.source) ? cell.source.join("") : cell.source) : "";
    if (!cell || !src.includes(from)) throw new Error(`${notebook}: cell ${id} has no ${JSON.stringify(from)}`);
    cell.source = src.replace(from, to);
  }
  for (const [id, source] of extraCells) nb.cells.push({ id, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null });
  return JSON.stringify(nb, null, 1);
}

/** Every number in plain data. */
function numbers(v: PlainValue, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => numbers(x, out));
  else if (v !== null && typeof v === "object") Object.values(v).forEach((x) => numbers(x, out));
  return out;
}

/** A number that a score, a count or a simple fraction could print as well: useless as a needle. */
function commonNumber(x: number): boolean {
  if (!Number.isFinite(x)) return true;
  for (let n = 1; n <= 48; n++) if (Math.abs(x * n - Math.round(x * n)) < 1e-6 * n) return true;
  return false;
}

/** The texts that give away a value: its JSON, each distinctive number in full and as messages print it (6 digits). */
function valueNeedles(v: PlainValue): string[] {
  const out: string[] = [];
  const json = JSON.stringify(encodePlain(v));
  if (json.length >= 8) out.push(json);
  for (const x of numbers(v)) {
    if (commonNumber(x)) continue;
    const full = String(x);
    const short = describePlain(x);
    if (full.length >= 8) out.push(full);
    if (short.length >= 7) out.push(short);
  }
  return out;
}

/** Every way a text can appear in an exported file: as is, HTML-escaped, or inside a JSON string. */
function searchable(file: string): string {
  const raw = fs.readFileSync(file, "utf8");
  const parts = [raw, raw.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")];
  if (file.endsWith(".json")) {
    const strings: string[] = [];
    const walk = (x: unknown): void => {
      if (typeof x === "string") strings.push(x);
      else if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === "object") Object.values(x).forEach(walk);
    };
    walk(JSON.parse(raw));
    parts.push(strings.join("\n"));
  }
  return parts.join("\n\u0000\n");
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe("redaction: no hidden probe reaches anything a student sees (15.2, 15.5)", function () {
  this.timeout(900_000);
  const tmp = tmpDir("redaction");
  const subs = path.join(tmp, "subs");
  const out = path.join(tmp, "export");
  const gbFile = path.join(tmp, "gradebook.sqlite");
  const studentFiles: string[] = [];
  const refs = new Map<string, Reference>();
  let needles: { needle: string; what: string }[] = [];
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  before(async () => {
    fs.mkdirSync(subs);
    // writes straight to fd 2, past the runner's capture of console and process.stderr
    const logArgs = 'import * as fs from "fs";\nfunction elementwise(x: any, f: any): any {\n  fs.writeSync(2, "ARGS " + JSON.stringify(x) + "\\n");\n  return Array.isArray(x) ? x.map((v: any) => elementwise(v, f)) : f(x);\n}';
    const subsByStudent: Record<string, Record<string, string>> = {
      // fails hidden probes of tanh, leaky-relu and softmax; prints every probe argument to stderr; one cell raises
      alpha: {
        "01_activations.ipynb": wrong("01_activations.ipynb", [
          ["relu-impl", "return z > 0 ? z : alpha * z;", "return z > 0 ? z : 0.01 * z;"],
          ["tanh-impl", "return z >= 0 ? t : -t;", "return (Math.exp(z) - Math.exp(-z)) / (Math.exp(z) + Math.exp(-z));"],
          ["softmax-impl", "const m = Math.max(...x);", "const m = 0;"],
        ], [["oops", 'throw new Error("boom in a cell");'], ["spy", logArgs]]),
      },
      // fails the hidden large-score probes of softmax-loss (and what uses it)
      bravo: { "02_mlp.ipynb": wrong("02_mlp.ipynb", [["softmax-loss-impl", "const m = Math.max(...row);", "const m = 0;"]]) },
      // outputSize never throws on a stride that does not tile; pool2d starts its maximum at 0
      charlie: {
        "04_convolution.ipynb": wrong("04_convolution.ipynb", [
          ["output-size-impl", "if (span % s !== 0) {", "if (false) {"],
          ["pool2d-impl", "let max = -Infinity, sum = 0, count = 0;", "let max = 0, sum = 0, count = 0;"],
        ]),
      },
      // the released stubs
      delta: { "01_activations.ipynb": JSON.stringify(toStudentNotebook(master("01_activations.ipynb"))) },
    };
    for (const [student, nbs] of Object.entries(subsByStudent)) {
      for (const [name, text] of Object.entries(nbs)) {
        const file = path.join(subs, `${student}_${name}`);
        fs.writeFileSync(file, text);
        readNotebook(file);
      }
    }
    const course = JSON.parse(fs.readFileSync(path.join(KIT_ROOT, "course.json"), "utf8")) as { csv: { columns: { header: string; value: string }[] } };
    for (const s of SPECS) for (const q of s.questions) course.csv.columns.push({ header: `comment ${q.id}`, value: `comment:${q.id}` });
    fs.writeFileSync(path.join(tmp, "course.json"), JSON.stringify(course));

    // the real commands: grade into a temporary gradebook, then every export that has student-facing files
    const graded = grader(["grade", subs, "-g", gbFile, "-c", path.join(tmp, "course.json")]);
    expect(graded.code, graded.err + graded.out).to.be.oneOf([0, 3]);
    const exported = grader(["export", "all", "-g", gbFile, "-c", path.join(tmp, "course.json"), "-o", out]);
    expect(exported.code, exported.err).to.equal(0);
    studentFiles.push(...filesUnder(out));
    // Gradescope's results.json, through the path run_autograder takes
    for (const student of Object.keys(subsByStudent)) {
      const dir = path.join(tmp, "gs", student, "submission");
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(subsByStudent[student])) fs.writeFileSync(path.join(dir, name), text);
      const results = path.join(tmp, "gs", student, "results.json");
      await runGradescope(dir, results, {});
      studentFiles.push(results);
    }
    // npm run check on the wrong notebooks
    let checkText = "";
    const checkFiles = [["alpha", "01_activations.ipynb"], ["charlie", "04_convolution.ipynb"]].map(([student, name]) => {
      fs.mkdirSync(path.join(tmp, "check", student), { recursive: true });
      const file = path.join(tmp, "check", student, name);
      fs.writeFileSync(file, subsByStudent[student][name]);
      return file;
    });
    expect(await runCheck(checkFiles, { out: (t) => (checkText += t + "\n") })).to.equal(3);
    fs.writeFileSync(path.join(tmp, "check-output.txt"), checkText);
    studentFiles.push(path.join(tmp, "check-output.txt"));

    // The needles: every hidden probe's expression, label, inputs and expected value, except texts
    // that are public anyway (public probes, hints, titles, the released notebooks).
    let publicText = "";
    for (const spec of SPECS) {
      const ref = await referenceFor(spec);
      refs.set(spec.notebook, ref);
      publicText += fs.readFileSync(path.join(KIT_ROOT, "notebooks", spec.notebook), "utf8");
      for (const q of ref.questions) {
        publicText += `\n${q.title}\n${q.hint}\n`;
        for (const p of q.probes.filter((x) => !x.hidden)) {
          publicText += `\n${p.expr}\n${p.label ?? ""}\n`;
          const vals: PlainValue[] = [...(p.expected.ok ? [p.expected.value] : []), ...Object.values(p.inputs).map((i) => decodePlain(i.value))];
          for (const v of vals) publicText += `\n${valueNeedles(v).join("\n")}\n${JSON.stringify(encodePlain(v))}\n`;
        }
      }
    }
    const found: { needle: string; what: string }[] = [];
    for (const [notebook, ref] of refs) {
      for (const q of ref.questions) {
        for (const p of q.probes.filter((x) => x.hidden)) {
          const what = `${notebook} ${q.id} hidden probe ${p.index}`;
          found.push({ needle: p.expr, what: `${what}: expression` });
          if (p.label && p.label.length >= 12) found.push({ needle: p.label, what: `${what}: label` });
          if (p.expected.ok) for (const n of valueNeedles(p.expected.value)) found.push({ needle: n, what: `${what}: expected value` });
          for (const [name, input] of Object.entries(p.inputs)) for (const n of valueNeedles(decodePlain(input.value))) found.push({ needle: n, what: `${what}: input ${name}` });
        }
      }
    }
    needles = found.filter((n) => !publicText.includes(n.needle));
  });

  it("has needles for every hidden probe, each found in the instructor's data (the search is not vacuous)", () => {
    // the instructor's data: the master's reference (cached expected values) as stored and as messages print it
    const instructor = [...refs.values()].map((r) => {
      const rendered = r.questions.flatMap((q) => q.probes.flatMap((p) => [
        p.expr, p.label ?? "", JSON.stringify(encodePlain(p.expected.ok ? p.expected.value : null)),
        ...(p.expected.ok ? numbers(p.expected.value).map((x) => `${x} ${describePlain(x)}`) : []),
        ...Object.values(p.inputs).map((i) => JSON.stringify(i.value) + " " + numbers(decodePlain(i.value)).map((x) => `${x} ${describePlain(x)}`).join(" ")),
      ]));
      return rendered.join("\n");
    }).join("\n");
    const hiddenProbes = [...refs.values()].reduce((n, r) => n + r.questions.reduce((m, q) => m + q.probes.filter((p) => p.hidden).length, 0), 0);
    expect(hiddenProbes).to.be.greaterThan(40);
    expect(needles.length).to.be.greaterThan(200);
    for (const n of needles) expect(instructor.includes(n.needle), n.what).to.equal(true);
    // every hidden probe's expression or value is represented among the needles
    const covered = new Set(needles.map((n) => n.what.replace(/: .*$/, "")));
    expect(covered.size).to.be.greaterThan(hiddenProbes * 0.8);
  });

  it("finds none of them in the CSV, feedback pages, written answers, results.json or npm run check output", () => {
    expect(studentFiles.some((f) => f.endsWith("grades.csv"))).to.equal(true);
    expect(studentFiles.filter((f) => f.endsWith(".html")).length).to.be.greaterThan(3);
    expect(studentFiles.filter((f) => f.endsWith("results.json")).length).to.equal(4);
    const leaks: string[] = [];
    for (const file of studentFiles) {
      const text = searchable(file);
      for (const n of needles) if (text.includes(n.needle)) leaks.push(`${path.relative(tmp, file)}: ${n.what}: ${n.needle.slice(0, 80)}`);
    }
    expect(leaks.slice(0, 20), `${leaks.length} leak(s)`).to.deep.equal([]);
  });

  it("still tells the student that hidden checks failed, with the question's hint", () => {
    const alpha = fs.readFileSync(path.join(out, "feedback", `${fileNameFor("alpha")}.html`), "utf8");
    expect(alpha).to.match(/hidden checks? failed\./);
    expect(alpha).to.include("Hint: Negative inputs are multiplied by alpha");
    const csv = fs.readFileSync(path.join(out, "grades.csv"), "utf8");
    expect(csv).to.match(/hidden check of this question failed[^\n]*Hint: Negative inputs are multiplied by alpha/);
    const results = JSON.parse(fs.readFileSync(path.join(tmp, "gs", "charlie", "results.json"), "utf8")) as { tests: { name: string; output: string }[] };
    const pool = results.tests.find((t) => /\(pool2d\)/.test(t.name));
    expect(pool?.output).to.match(/hidden check.*failed/);
    expect(pool?.output).to.include("Hint: Window (i, j) covers rows");
  });

  it("names the cell that raised, in the feedback, in results.json and in npm run check (15.5)", () => {
    const line = /cell oops raised Error: boom in a cell; in Jupyter, Run All stops here/;
    expect(fs.readFileSync(path.join(out, "feedback", `${fileNameFor("alpha")}.html`), "utf8")).to.match(line);
    expect(fs.readFileSync(path.join(tmp, "check-output.txt"), "utf8")).to.match(line);
    const results = JSON.parse(fs.readFileSync(path.join(tmp, "gs", "alpha", "results.json"), "utf8")) as { output: string };
    expect(results.output).to.match(line);
    // the printed probe arguments stay out of the student's log
    expect(fs.readFileSync(path.join(out, "feedback", `${fileNameFor("alpha")}.html`), "utf8")).to.not.include("ARGS ");
  });
});

/**
 * Matching a submission's cells with the master's when ids are missing or changed (issue
 * 16.5), on the shipped masters: nbformat 4.4 without ids, an added cell, a deleted markdown
 * cell, swapped cells and a notebook as VS Code's Jupyter extension saves it. Filled with
 * the master's own solutions, each must get the master's full marks.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadAssignment } from "../../grader/judge/assignment";
import { masterCells, planCells } from "../../grader/run/cells";
import { gradeNotebook } from "../../grader/judge/grade";
import { cellSource, type CellJson, type NotebookJson } from "../../grader/core/notebook";
import { toStudentNotebook } from "../../grader/release/release-transform";
import { KIT_ROOT } from "../../grader/core/version";

const MASTERS = path.join(KIT_ROOT, "notebooks");
const readMaster = (name: string): NotebookJson => JSON.parse(fs.readFileSync(path.join(MASTERS, name), "utf8")) as NotebookJson;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const MARKER = /^[ \t]*\/\/[ \t]*(BEGIN|END) SOLUTION.*$\n?/gm;

/** The master as a student who solved everything would save it: the solutions without the markers. */
function filled(master: NotebookJson): NotebookJson {
  const nb = clone(master);
  for (const c of nb.cells) if (c.cell_type === "code") c.source = cellSource(c).replace(MARKER, "");
  return nb;
}

/** As nbformat 4.4 (older Jupyter, Colab) saves it: no cell ids. */
function as44(nb: NotebookJson): NotebookJson {
  const out = clone(nb);
  out.nbformat_minor = 4;
  for (const c of out.cells) delete c.id;
  return out;
}

const code = (source: string, id?: string): CellJson => ({ ...(id ? { id } : {}), cell_type: "code", metadata: {}, source, outputs: [], execution_count: null });
const indexOf = (nb: NotebookJson, id: string): number => nb.cells.findIndex((c) => c.id === id);

/** Sorts object keys recursively, as VS Code's ipynb serializer does. */
function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x && typeof x === "object") return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]));
  return x;
}

/** Source as a list of lines, each but the last ending in "\n" (nbformat's multiline string, VS Code's split). */
const splitLines = (s: string): string[] => s.split("\n").map((l, i, a) => (i < a.length - 1 ? `${l}\n` : l)).filter((l) => l.length > 0);

/**
 * What VS Code's Jupyter extension writes: ids kept (a new cell gets a short random id), sorted
 * keys, sources as lists of lines, language_info and a "vscode" block in the notebook's
 * metadata, "vscode" languageId metadata on a cell, one-space indentation.
 */
function asVsCode(nb: NotebookJson, added: { after: string; source: string }): NotebookJson {
  const out = clone(nb);
  out.cells.splice(indexOf(out, added.after) + 1, 0, code(added.source, "a3f9c2e1"));
  for (const c of out.cells) {
    c.source = splitLines(cellSource(c));
    if (c.cell_type === "code") c.metadata = { ...c.metadata, vscode: { languageId: "typescript" } };
  }
  const languageInfo: Record<string, unknown> = { codemirror_mode: { mode: "typescript", name: "javascript", typescript: true }, file_extension: ".ts", mimetype: "text/typescript", name: "typescript", version: "5.9.3" };
  out.metadata = {
    ...out.metadata,
    language_info: languageInfo,
    vscode: { interpreter: { hash: "e7370f93d1d0cde622a1f8e1c04877d8463912d04d973331ad4851f04de6915a" } },
  };
  return sortKeys(out) as NotebookJson;
}

interface Variant {
  name: string;
  make: (master: NotebookJson) => NotebookJson;
}

/** The variants for a master, built around its first exercise cell (the first with a solution). */
function variants(master: NotebookJson): Variant[] {
  const ex = master.cells.find((c) => c.cell_type === "code" && /BEGIN SOLUTION/.test(cellSource(c)))!;
  const exIdx = indexOf(master, ex.id as string);
  // a code cell just before the exercise that it does not need (the previous code cell) for the swap
  const before = [...master.cells.slice(0, exIdx)].reverse().find((c) => c.cell_type === "code" && !/^import /m.test(cellSource(c)) && !/BEGIN SOLUTION/.test(cellSource(c)));
  const markdownIdx = master.cells.findIndex((c, i) => c.cell_type === "markdown" && i > 0);
  return [
    { name: "nbformat 4.4 without ids", make: (m) => as44(filled(m)) },
    {
      name: "4.4 with a cell added after the exercise",
      make: (m) => {
        const nb = as44(filled(m));
        nb.cells.splice(exIdx + 1, 0, code("// trying things out\nconst myScratch = 42;\nconsole.log(myScratch);"));
        return nb;
      },
    },
    {
      name: "4.4 with a markdown cell deleted",
      make: (m) => {
        const nb = filled(m);
        nb.cells.splice(markdownIdx, 1);
        return as44(nb);
      },
    },
    {
      name: "4.4 with the exercise swapped with a cell before it",
      make: (m) => {
        const nb = filled(m);
        // where no given code cell precedes the exercise, the cell just before it (markdown)
        const a = before ? indexOf(nb, before.id as string) : indexOf(nb, ex.id as string) - 1;
        const b = indexOf(nb, ex.id as string);
        [nb.cells[a], nb.cells[b]] = [nb.cells[b], nb.cells[a]];
        return as44(nb);
      },
    },
    { name: "saved by VS Code with an added cell", make: (m) => asVsCode(filled(m), { after: ex.id as string, source: "const vsScratch = [1, 2, 3];" }) },
  ];
}

describe("cell matching on the shipped masters", () => {
  const specs = loadAssignment();

  for (const spec of specs) {
    const master = readMaster(spec.notebook);
    const cells = masterCells(master, toStudentNotebook(master));
    const exercises = master.cells.filter((c) => c.cell_type === "code" && /BEGIN SOLUTION/.test(cellSource(c)));
    for (const v of variants(master)) {
      it(`${spec.notebook}, ${v.name}: every exercise runs the student's code, no stub is run over it`, () => {
        const sub = v.make(master);
        // the variant really lost the ids (or kept them, for VS Code) and parses as a notebook
        if (v.name.startsWith("4.4")) expect(sub.cells.every((c) => c.id === undefined)).to.equal(true);
        const plan = planCells(cells, JSON.parse(JSON.stringify(sub)) as NotebookJson);
        expect(plan.cells.filter((c) => c.origin === "released").map((c) => c.id), plan.notes.join("\n")).to.deep.equal([]);
        for (const ex of exercises) {
          const run = plan.cells.filter((c) => c.id === ex.id);
          expect(run.length, `${ex.id} runs once`).to.equal(1);
          expect(run[0].source, ex.id as string).to.equal(cellSource(ex).replace(MARKER, ""));
          expect(run[0].tags).to.deep.equal(cells.find((c) => c.id === ex.id)!.tags);
        }
        expect(plan.notes.join("\n")).not.to.match(/ambiguous/);
        if (v.name.includes("added")) expect(plan.notes.join("\n")).to.match(/1 cell\(s\) added by the student were run in place/);
      });
    }
  }

  it("notes an ambiguous match (two cells that both look like the exercise) instead of choosing silently", () => {
    const master = readMaster("01_activations.ipynb");
    const cells = masterCells(master, toStudentNotebook(master));
    const sub = filled(master);
    const i = indexOf(sub, "sigmoid-impl");
    const attempt = clone(sub.cells[i]);
    attempt.source = cellSource(attempt).replace(/return .*;/, "return 0.5; // first try");
    sub.cells.splice(i, 0, attempt);
    const plan = planCells(cells, as44(sub));
    expect(plan.notes.join("\n")).to.match(/ambiguous match: code cell \d+ of the submission was taken for master cell sigmoid-impl \(similarity [\d.]+\), but it is as close to code cell \d+ of the submission/);
    // both run, in the student's order: the later definition is the one the probes see
    const sigmoidCells = plan.cells.filter((c) => /function sigmoid\(/.test(c.source));
    expect(sigmoidCells.map((c) => c.source.includes("first try"))).to.deep.equal([true, false]);
  });

  it("does not run a deleted cell's stub over a function the student declares in another cell", () => {
    const master = readMaster("01_activations.ipynb");
    const cells = masterCells(master, toStudentNotebook(master));
    const sub = as44(filled(master));
    // the student moved sigmoid into a cell of their own with other code, far from its place
    const i = sub.cells.findIndex((c) => /^function sigmoid\(/m.test(cellSource(c)));
    const [moved] = sub.cells.splice(i, 1);
    moved.source = `// my own cell\nconst answer = 42;\n${cellSource(moved).split("\n").slice(-6).join("\n")}\n${cellSource(moved)}`;
    sub.cells.splice(2, 0, moved);
    const plan = planCells(cells, sub);
    expect(plan.cells.filter((c) => c.origin === "released" && /function sigmoid\(/.test(c.source))).to.deep.equal([]);
    expect(plan.cells.some((c) => c.origin === "submission" && /function sigmoid\(/.test(c.source))).to.equal(true);
  });

  describe("graded through the real runner", function () {
    this.timeout(900_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cell-matching-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const spec = specs.find((s) => s.notebook === "01_activations.ipynb")!;
    const master = readMaster(spec.notebook);
    for (const v of variants(master)) {
      it(`${spec.notebook}, ${v.name}: the master's full marks`, async () => {
        const file = path.join(tmp, `${v.name.replace(/\W+/g, "-")}.ipynb`);
        fs.writeFileSync(file, JSON.stringify(v.make(master), null, 1));
        const r = await gradeNotebook(spec, file);
        expect(r.status, r.log).to.equal("graded");
        expect(r.maxScore).to.be.greaterThan(0);
        expect(r.score, r.questions.filter((q) => q.score < q.points).map((q) => `${q.id}: ${q.message}`).join("\n")).to.equal(r.maxScore);
      });
    }
  });
});

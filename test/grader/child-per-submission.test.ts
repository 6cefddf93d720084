/**
 * One sandboxed child per submission (issue 21.1): a submission's notebooks run one after another
 * in one child (grader/run/run.ts, runNotebooks; gradeSubmission and the bulk grader use it unless
 * NNKIT_CHILD_PER=notebook). The same batch is graded both ways and every probe's value, every
 * cell's status and output and every score must be the same; a notebook's names stay its own; no
 * cell runs after a probe; and a notebook that hangs the shared child costs the others nothing.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { limitsFor, loadSpecs, referenceFor } from "../../grader/judge/grade";
import { judgeQuestion } from "../../grader/judge/judge";
import type { RefQuestion } from "../../grader/judge/expected";
import { planCells, type PlannedCell } from "../../grader/run/cells";
import { readNotebook, type NotebookJson } from "../../grader/core/notebook";
import { toStudentNotebook } from "../../grader/release/release-transform";
import { DEFAULT_LIMITS, runNotebook, runNotebooks, type NotebookRun, type RunQuestion, type RunResult } from "../../grader/run/run";
import { KIT_ROOT } from "../../grader/core/version";
import { masterPath, specsWithMaster } from "../support/masters";
import { withSolution } from "../support/notebook-results";
import { TempDir } from "./fixture";

/** What a run says, as plain data: every probe's outcome, the names' types, each cell's status and output. */
function plainRun(r: RunResult): unknown {
  return {
    status: r.status,
    reason: r.reason,
    types: r.types,
    outcomes: Object.fromEntries([...r.outcomes].map(([q, m]) => [q, Object.fromEntries(m)])),
    questionFailures: Object.fromEntries(r.questionFailures),
    cells: r.cells.map((c) => ({
      id: c.id,
      ok: c.ok,
      error: c.error,
      // What a cell prints may depend on the process before it: setupBackend prints its line once
      // per process, and tfjs numbers the layers it names (dense_Dense1, ...) across notebooks;
      // nothing a probe returns depends on them (the outcomes are compared as they are).
      // The durations a notebook prints vary.
      stdout: c.stdout
        .replace(/^tfjs backend: .*\n/m, "")
        .replace(/_([A-Z][A-Za-z0-9]*?)\d+\b/g, "_$1<n>")
        .replace(/\d+(\.\d+)? ?(ms|s)\b/g, "<time> $2")
        // a model summary pads its columns to the names' lengths
        .replace(/ +/g, " "),
    })),
  };
}

/** A notebook ready to run, with the reference questions it is judged on (as grader/judge/grade.ts prepares it). */
async function prepare(notebook: string, file: string): Promise<{ run: NotebookRun; questions: RefQuestion[] }> {
  const spec = loadSpecs().find((s) => s.notebook === notebook)!;
  const reference = await referenceFor(spec);
  const questions = reference.questions.filter((q) => spec.questions.some((s) => s.id === q.id));
  const plan = planCells(reference.cells, readNotebook(file));
  return {
    questions,
    run: { planned: plan.cells, questions: questions.filter((q) => q.compare.kind !== "output"), limits: limitsFor(spec, {}), options: { conversions: reference.conversions, profile: true } },
  };
}

function cell(id: string, source: string): PlannedCell {
  return { id, source, tags: [], origin: "submission" };
}

/** A question with one probe per expression (no inputs). */
function probes(id: string, requires: string[], ...js: string[]): RunQuestion {
  return { id, requires, probes: js.map((code, index) => ({ index, js: code, inputs: {} })) };
}

const QUICK = { ...DEFAULT_LIMITS, cellTimeoutMs: 2000, probeTimeoutMs: 2000, notebookTimeoutMs: 60_000 };

describe("grader: one sandboxed child per submission", function () {
  this.timeout(1_800_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());

  it("grades the masters, the released stubs and a wrong submission as one child per notebook does, probe by probe", async () => {
    const notebooks = specsWithMaster().map((s) => s.notebook);
    expect(notebooks).to.have.length.greaterThan(1);
    const stubs = path.join(tmp.dir, "stubs");
    const wrong = path.join(tmp.dir, "wrong");
    fs.mkdirSync(stubs);
    fs.mkdirSync(wrong);
    for (const nb of notebooks) {
      const master = JSON.parse(fs.readFileSync(masterPath(nb), "utf8")) as NotebookJson;
      fs.writeFileSync(path.join(stubs, nb), JSON.stringify(toStudentNotebook(master)));
      fs.copyFileSync(masterPath(nb), path.join(wrong, nb));
    }
    // a plausible mistake in 01 (a graded value off, not a throw); the rest of it as the master
    withSolution(masterPath("01_activations.ipynb"), wrong, "sigmoid", "  return 1 / (1 + Math.exp(z));");
    const batch: [string, (nb: string) => string][] = [
      ["masters", masterPath],
      ["stubs", (nb) => path.join(stubs, nb)],
      ["wrong", (nb) => path.join(wrong, nb)],
    ];
    for (const [name, fileOf] of batch) {
      const prepared = await Promise.all(notebooks.map((nb) => prepare(nb, fileOf(nb))));
      const alone: RunResult[] = [];
      for (const p of prepared) alone.push(await runNotebook(KIT_ROOT, p.run.planned, p.run.questions, p.run.limits, p.run.options));
      const shared = await runNotebooks(KIT_ROOT, prepared.map((p) => p.run));
      expect(alone.reduce((n, r) => n + (r.profile?.children ?? 0), 0), `${name}: children, one per notebook`).to.equal(notebooks.length);
      expect(shared.reduce((n, r) => n + (r.profile?.children ?? 0), 0), `${name}: children, one per submission`).to.equal(1);
      const total = { alone: 0, shared: 0, max: 0 };
      notebooks.forEach((nb, k) => {
        expect(plainRun(shared[k]), `${name} ${nb}`).to.deep.equal(plainRun(alone[k]));
        const judged = (r: RunResult) => prepared[k].questions.map((q) => judgeQuestion(q, r));
        expect(judged(shared[k]), `${name} ${nb}: judged`).to.deep.equal(judged(alone[k]));
        total.alone += judged(alone[k]).reduce((s, q) => s + q.score, 0);
        total.shared += judged(shared[k]).reduce((s, q) => s + q.score, 0);
        total.max += prepared[k].questions.reduce((s, q) => s + q.points, 0);
      });
      expect(total.shared).to.equal(total.alone);
      if (name === "masters") expect(total.shared, "the masters get full marks").to.equal(total.max);
      if (name === "stubs") expect(total.shared, "the released stubs score 0").to.equal(0);
      if (name === "wrong") expect(total.shared, "the wrong sigmoid loses points").to.be.greaterThan(0).and.lessThan(total.max);
    }
  });

  it("gives each notebook its own names, and runs no cell after a probe", async () => {
    const runs: NotebookRun[] = [
      { planned: [cell("a", "const a = 41;\nconst onlyInFirst = 1;")], questions: [probes("q", ["a"], "a + 1", '(globalThis.afterProbe = "a probe ran", 0)')], limits: QUICK },
      { planned: [cell("b", 'declare const onlyInFirst: number;\nconst b = typeof onlyInFirst;\nconsole.log("seen:", String((globalThis as unknown as Record<string, unknown>).afterProbe));')], questions: [probes("q", ["b"], "b", "typeof a")], limits: QUICK },
    ];
    const [first, second] = await runNotebooks(KIT_ROOT, runs);
    expect(first.status).to.equal("ok");
    expect(first.outcomes.get("q")?.get(0)).to.deep.equal({ ok: true, value: 42 });
    expect(second.status).to.equal("ok");
    // a name of the first notebook is not in the second's scope, nor in its probes'
    expect(second.outcomes.get("q")?.get(0)).to.deep.equal({ ok: true, value: "undefined" });
    expect(second.outcomes.get("q")?.get(1)).to.deep.equal({ ok: true, value: "undefined" });
    // the second notebook's cell ran before the first notebook's probes
    expect(second.cells[0].stdout).to.equal("seen: undefined\n");
  });

  it("grades a notebook that hangs the shared child again on its own, and the others keep their results", async () => {
    const runs: NotebookRun[] = [
      { planned: [cell("a", "const a = 1;")], questions: [probes("q", ["a"], "a")], limits: QUICK },
      // an endless loop in a timer: no cell time limit inside the child stops it, the parent's watchdog kills the child
      { planned: [cell("ok", "const b = 2;"), cell("hang", "setTimeout(() => { for (;;) {} }, 0);\nawait new Promise((r) => setTimeout(r, 200));"), cell("after", "const c = 3;")], questions: [probes("q", ["b"], "b"), probes("r", ["c"], "c")], limits: QUICK },
      { planned: [cell("d", "const d = 4;")], questions: [probes("q", ["d"], "d")], limits: QUICK },
    ];
    const shared = await runNotebooks(KIT_ROOT, runs);
    const alone: RunResult[] = [];
    for (const r of runs) alone.push(await runNotebook(KIT_ROOT, r.planned, r.questions, r.limits, r.options));
    expect(alone[1].status).to.equal("timeout");
    expect(alone[1].notes.join("\n")).to.match(/cell hang was skipped on a rerun/);
    for (let k = 0; k < runs.length; k++) expect(plainRun(shared[k]), `notebook ${k}`).to.deep.equal(plainRun(alone[k]));
    expect(shared[1].notes).to.deep.equal(alone[1].notes);
    expect(shared[1].instructorNotes.join("\n")).to.match(/graded again in a child of its own/);
    expect(shared[0].outcomes.get("q")?.get(0)).to.deep.equal({ ok: true, value: 1 });
    expect(shared[2].outcomes.get("q")?.get(0)).to.deep.equal({ ok: true, value: 4 });
  });
});

/**
 * One sandboxed child per submission (issue 21.1): a submission's notebooks run one after another
 * in one child (grader/run/run.ts, runNotebooks; gradeSubmission and the bulk grader use it unless
 * NNKIT_CHILD_PER=notebook). A notebook's names stay its own; no cell runs after a probe; and a
 * notebook that hangs the shared child costs the others nothing. (The whole shipped course graded
 * both ways, probe by probe: test/system/child-per-submission.test.ts.)
 */
import { expect } from "chai";
import type { PlannedCell } from "../../grader/run/cells";
import { DEFAULT_LIMITS, runNotebook, runNotebooks, type NotebookRun, type RunQuestion, type RunResult } from "../../grader/run/run";
import { KIT_ROOT } from "../../grader/core/version";
import { plainRun } from "../support/run-compare";

function cell(id: string, source: string): PlannedCell {
  return { id, source, tags: [], origin: "submission" };
}

/** A question with one probe per expression (no inputs). */
function probes(id: string, requires: string[], ...js: string[]): RunQuestion {
  return { id, requires, probes: js.map((code, index) => ({ index, js: code, inputs: {} })) };
}

const QUICK = { ...DEFAULT_LIMITS, cellTimeoutMs: 2000, probeTimeoutMs: 2000, notebookTimeoutMs: 60_000 };

describe("grader: one sandboxed child per submission", function () {
  this.timeout(600_000);
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

import { expect } from "chai";
import { gradeNotebook, referenceFor, type NotebookResult } from "../../grader/judge/grade";
import { KIT_ROOT } from "../../grader/core/version";
import { DEFAULT_LIMITS, runNotebook } from "../../grader/run/run";
import type { PlannedCell } from "../../grader/run/cells";
import { spec } from "../fixtures/grader/spec";
import { FIXTURE_OPTIONS, TempDir, WRONG_DOT, fixtureMaster, setSource } from "./fixture";

function byId(r: NotebookResult): Record<string, number> {
  return Object.fromEntries(r.questions.map((q) => [q.id, q.score]));
}

function cell(id: string, source: string): PlannedCell {
  return { id, source, tags: [], origin: "submission" };
}

describe("grader: reusing the master's type-checked cells", function () {
  this.timeout(300_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());

  it("keeps conversions of the public cells only, never of a solution cell", async () => {
    const ref = await referenceFor(spec, FIXTURE_OPTIONS);
    const outputs = Object.values(ref.conversions).map((c) => c.output ?? "");
    // setup and report run unchanged in the student version; the three exercise cells do not
    expect(outputs).to.have.length(2);
    expect(outputs.some((o) => o.includes("let calls = 0"))).to.equal(true);
    expect(outputs.some((o) => o.includes("sum of squares:"))).to.equal(true);
    for (const solution of ["v * v + offset", "out[i].push(s)", "Math.exp(v - m)"]) {
      expect(JSON.stringify(ref.conversions)).to.not.include(solution);
    }
  });

  it("type-checks an unchanged cell again when the declarations before it changed", async () => {
    // The report cell is the master's, but square now returns a string: its
    // conversion must not be reused, and tslab's diagnostic must fail it.
    const nb = setSource(fixtureMaster(), "square-impl", 'function square(x: number[]): string {\n  return "squares";\n}');
    const r = await gradeNotebook(spec, tmp.write(nb), FIXTURE_OPTIONS);
    const report = r.cells.find((c) => c.id === "report")!;
    expect(report.ok).to.equal(false);
    expect(report.error).to.match(/Property 'reduce' does not exist on type 'string'/);
    expect(byId(r)).to.deep.equal({ "fx-square": 0, "fx-dot": 3, "fx-lse": 2, "fx-report": 0 });
  });

  it("gives the same scores with and without reuse", async () => {
    const partial = "function square(x: number[]): number[] {\n  return x.length === 7 ? x : x.map((v) => v * v);\n}";
    for (const nb of [fixtureMaster(), setSource(fixtureMaster(), "dot-impl", WRONG_DOT), setSource(fixtureMaster(), "square-impl", partial)]) {
      const file = tmp.write(nb);
      const reused = await gradeNotebook(spec, file, FIXTURE_OPTIONS);
      const fresh = await gradeNotebook(spec, file, { ...FIXTURE_OPTIONS, reuseConversions: false });
      expect(byId(reused)).to.deep.equal(byId(fresh));
      expect(reused.questions.map((q) => q.message)).to.deep.equal(fresh.questions.map((q) => q.message));
    }
  });

  it("ignores conversions that a graded notebook reports about itself", async () => {
    const forge = [
      'import * as fs from "fs";',
      'fs.writeSync(3, JSON.stringify({ t: "conversion", key: "k", conversion: { output: "evil()", diagnostics: [] } }) + "\\n");',
      "const answer = 42;",
    ].join("\n");
    const cells = [cell("forge", forge), cell("after", "const twice: number = answer * 2;")];
    const untrusted = await runNotebook(KIT_ROOT, cells, [], DEFAULT_LIMITS);
    expect(untrusted.cells.map((c) => c.ok)).to.deep.equal([true, true]);
    expect(untrusted.conversions).to.deep.equal([]);
    // A trusted run (the master's) records each clean cell under the cell it belongs to.
    const trusted = await runNotebook(KIT_ROOT, [cell("plain", "const answer = 42;"), cells[1]], [], DEFAULT_LIMITS, { recordConversions: true });
    expect(trusted.conversions.map((c) => c.cell)).to.deep.equal([0, 1]);
    expect(trusted.conversions[1].conversion.output).to.include("answer * 2");
    expect(trusted.conversions[1].conversion.diagnostics).to.deep.equal([]);
  });

  it("runs a matching cell from its known conversion, with the notebook's names in scope", async () => {
    const b = cell("b", 'console.log("total", base + 1);');
    const first = await runNotebook(KIT_ROOT, [cell("a", "const base: number = 20;"), b], [], DEFAULT_LIMITS, { recordConversions: true });
    // Mark cell b's conversion, so that the run shows it was used instead of a new type-check.
    const conversions = Object.fromEntries(first.conversions.map((c) => [c.key, c.cell === 1 ? { ...c.conversion, output: c.conversion.output!.replace('"total"', '"reused"') } : c.conversion]));
    // Same declaration (base: number), another value: b's conversion matches and sees the new value.
    const second = await runNotebook(KIT_ROOT, [cell("a", "const base: number = 30;"), b], [], DEFAULT_LIMITS, { conversions });
    expect(second.cells.map((c) => [c.ok, c.stdout])).to.deep.equal([[true, ""], [true, "reused 31\n"]]);
    // Another declaration before it (base: string): no match, so b is type-checked afresh.
    const third = await runNotebook(KIT_ROOT, [cell("a", 'const base: string = "x";'), b], [], DEFAULT_LIMITS, { conversions });
    expect(third.cells.map((c) => [c.ok, c.stdout])).to.deep.equal([[true, ""], [true, "total x1\n"]]);
  });
});

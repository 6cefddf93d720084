import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { gradeNotebook, type NotebookResult } from "../../grader/judge/grade";
import type { PlannedCell } from "../../grader/run/cells";
import { DEFAULT_LIMITS, runNotebook } from "../../grader/run/run";
import { checkerReady, conversionKey, precheckCells, stopCheckers } from "../../grader/run/typecheck";
import { KIT_ROOT } from "../../grader/core/version";
import { spec as fixtureSpec } from "../fixtures/grader/spec";
import { gradedMaster, masterPath, specsWithMaster } from "../support/masters";
import { withSolution } from "../support/notebook-results";
import { grader } from "../cli/helpers";
import { FIXTURE_OPTIONS, TempDir, WRONG_DOT, fixtureMaster, setSource } from "./fixture";

/**
 * Everything a grade says (every probe, message, cell and the log), without the time it took;
 * in the log, the durations a notebook prints itself ("500 updates in 1.2 ms") are masked.
 */
function comparable(r: NotebookResult): Omit<NotebookResult, "seconds" | "profile"> {
  const { seconds: _s, profile: _p, log, ...rest } = r;
  return { ...rest, log: log.replace(/\d+(\.\d+)? ?(ms|s)\b/g, "<time> $2") };
}

/** A bound that only a hung checker reaches (a loaded machine slows a first check to many seconds). */
const CHECK_TIMEOUT_MS = 300_000;

function cell(id: string, source: string): PlannedCell {
  return { id, source, tags: [], origin: "submission" };
}

/** The shipped masters graded both ways (05 trains and loads data: its own test covers it). */
const MASTERS = ["01_activations.ipynb", "03_gradient_descent.ipynb"];

describe("grader: warm type-checking in the grading process", function () {
  this.timeout(900_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());

  /**
   * Grades `file` with the warm checker off, then on, and expects the very same result. On a
   * machine short of address space a child's wasm backend can fail to start and fall back to the
   * cpu backend (its setup cell says so), which changes the numbers whichever path graded it:
   * such a pair is graded again, and only a pair that chose the same backend is compared.
   * `shared`: a cold grading of `file` already made (a master's, test/support/masters.ts), used first.
   */
  async function bothWays(spec: Parameters<typeof gradeNotebook>[0], file: string, opts = {}, shared?: NotebookResult): Promise<{ cold: NotebookResult; warm: NotebookResult }> {
    const backend = (r: NotebookResult): string => /tfjs backend: [^\n]*/.exec(r.log)?.[0] ?? "";
    for (let attempt = 1; ; attempt++) {
      const cold = attempt === 1 && shared ? shared : await gradeNotebook(spec, file, { ...opts, warmTypecheck: false, profile: true });
      // Grading does not wait for a checker that is still starting (its child checks instead).
      expect(await checkerReady(KIT_ROOT), "the checker thread starts").to.equal(true);
      const warm = await gradeNotebook(spec, file, { ...opts, warmTypecheck: true, profile: true });
      if (backend(cold) !== backend(warm) && attempt < 4) continue;
      expect(comparable(warm)).to.deep.equal(comparable(cold));
      return { cold, warm };
    }
  }

  for (const notebook of MASTERS) {
    it(`grades the shipped ${notebook} the same, and its child type-checks nothing`, async () => {
      const spec = specsWithMaster().find((s) => s.notebook === notebook)!;
      // The cold side is the master's grading that the other tests share.
      const { cold, warm } = await bothWays(spec, masterPath(notebook), {}, await gradedMaster(spec));
      expect(warm.score).to.equal(warm.maxScore);
      // The solution cells were type-checked by the child on the old path, by the grader on the new.
      expect(cold.profile!.checkMs).to.be.greaterThan(0);
      expect(warm.profile!.checkMs).to.equal(0);
    });
  }

  it("grades wrong submissions of 01 the same (a wrong value, a type error that fails later cells)", async () => {
    const spec = specsWithMaster().find((s) => s.notebook === "01_activations.ipynb")!;
    const wrongValue = withSolution(masterPath(spec.notebook), fs.mkdtempSync(path.join(tmp.dir, "sub-")), "relu", "  return z;");
    const { warm } = await bothWays(spec, wrongValue);
    expect(warm.score).to.be.lessThan(warm.maxScore);
    const typeError = withSolution(masterPath(spec.notebook), fs.mkdtempSync(path.join(tmp.dir, "sub-")), "sigmoid", '  return "half" as unknown as string;');
    const both = await bothWays(spec, typeError);
    expect(both.warm.cells.find((c) => c.id === "sigmoid-impl")!.ok).to.equal(false);
    expect(both.warm.score).to.be.lessThan(both.warm.maxScore);
  });

  it("grades the fixture's wrong and broken submissions the same", async () => {
    const broken = setSource(fixtureMaster(), "square-impl", "function square(x: number[]): number[] {\n  const s: string = 1;\n  return x;\n}");
    for (const nb of [setSource(fixtureMaster(), "dot-impl", WRONG_DOT), broken]) {
      const { warm } = await bothWays(fixtureSpec, tmp.write(nb), FIXTURE_OPTIONS);
      expect(warm.score).to.be.lessThan(warm.maxScore);
    }
  });

  it("does not wait for a checker that is still starting when no cell imports what it preloads: the child checks those cells, with the same grade", async () => {
    stopCheckers();
    const cells = [cell("a", "const base: number = 20;"), cell("c", "console.log(base + 1);")];
    const started = await precheckCells(KIT_ROOT, cells, {}, CHECK_TIMEOUT_MS);
    expect(started, "nothing checked while the thread starts").to.deep.equal({});
    const cold = await runNotebook(KIT_ROOT, cells, [], DEFAULT_LIMITS, { conversions: started, profile: true });
    expect(cold.profile!.cells.map((c) => c.checkMs > 0), "the child checked both cells").to.deep.equal([true, true]);
    expect(await checkerReady(KIT_ROOT)).to.equal(true);
    const ready = await precheckCells(KIT_ROOT, cells, {}, CHECK_TIMEOUT_MS);
    expect(Object.keys(ready)).to.have.length(2);
    const warm = await runNotebook(KIT_ROOT, cells, [], DEFAULT_LIMITS, { conversions: ready, profile: true });
    expect(warm.profile!.cells.map((c) => c.checkMs > 0), "the child checked neither").to.deep.equal([false, false]);
    expect(warm.cells.map((c) => [c.ok, c.stdout])).to.deep.equal(cold.cells.map((c) => [c.ok, c.stdout]));
    expect(warm.cells[1].stdout).to.equal("21\n");
  });

  it("waits for a starting checker when a cell imports a library it preloads (tfjs, nnkit): the child would load the same types", async () => {
    stopCheckers();
    const cells = [cell("lib", 'import { setSeed } from "nnkit";\nsetSeed(1);'), cell("after", "const seeded: number = 1;")];
    const out = await precheckCells(KIT_ROOT, cells, {}, CHECK_TIMEOUT_MS);
    expect(Object.keys(out), "both cells checked in the grader").to.have.length(2);
  });

  it("keeps a one-off command alive while it waits for the checker to start (grader check, nothing else pending)", () => {
    const file = path.join(fs.mkdtempSync(path.join(tmp.dir, "check-")), "01_activations.ipynb");
    fs.copyFileSync(masterPath("01_activations.ipynb"), file);
    const r = grader(["check", file], KIT_ROOT, { NNKIT_WARM_TYPECHECK: "1" });
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/on the public checks/);
  });

  it("hands on a clean conversion under the child's key, and none for a cell with a type error", async () => {
    expect(await checkerReady(KIT_ROOT)).to.equal(true);
    const cells = [cell("a", "const base: number = 20;"), cell("b", 'const bad: string = base;'), cell("c", "console.log(base + 1);")];
    const out = await precheckCells(KIT_ROOT, cells, {}, CHECK_TIMEOUT_MS);
    const first = out[conversionKey("", cells[0].source)];
    expect(first?.declOutput).to.include("base: number");
    // b does not type-check: left to the child, and c is checked after a's declarations only.
    expect(Object.keys(out)).to.have.length(2);
    expect(out[conversionKey(first!.declOutput!, cells[2].source)]?.output).to.include("base + 1");
    const run = await runNotebook(KIT_ROOT, cells, [], DEFAULT_LIMITS, { conversions: out, profile: true });
    expect(run.cells.map((c) => c.ok)).to.deep.equal([true, false, true]);
    expect(run.cells[1].error).to.match(/Type 'number' is not assignable to type 'string'/);
    expect(run.profile!.cells.map((c) => c.checkMs > 0)).to.deep.equal([false, true, false]);
  });

  it("reads only what the sandbox lets a notebook read: the grader's own files do not type-check", async () => {
    const cells = [
      cell("spec", 'import type { NotebookSpec } from "./grader/core/spec";\nconst n: NotebookSpec | undefined = undefined;'),
      cell("master", 'import type { spec } from "./grader/specs/01_activations";\nconst s: typeof spec | undefined = undefined;'),
    ];
    expect(await checkerReady(KIT_ROOT)).to.equal(true);
    for (const c of cells) {
      const out = await precheckCells(KIT_ROOT, [c], {}, CHECK_TIMEOUT_MS);
      expect(out, c.id).to.deep.equal({});
    }
    // The library does: the child's view includes node_modules and nnkit's compiled code.
    const lib = await precheckCells(KIT_ROOT, [cell("lib", 'import { setSeed } from "nnkit";\nsetSeed(1);')], {}, CHECK_TIMEOUT_MS);
    expect(Object.keys(lib)).to.have.length(1);
  });
});

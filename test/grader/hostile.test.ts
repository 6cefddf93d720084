import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { gradeNotebook, type NotebookResult } from "../../grader/judge/grade";
import { spec } from "../fixtures/grader/spec";
import type { NotebookJson } from "../../grader/core/notebook";
import { FIXTURE_OPTIONS, ROOT, TempDir, WRONG_DOT, codeCell, fixtureMaster, setSource } from "./fixture";

const FULL = { "fx-square": 2, "fx-dot": 3, "fx-lse": 2, "fx-report": 1 };
const DOT_WRONG = { ...FULL, "fx-dot": 0 };

function scores(r: NotebookResult): Record<string, number> {
  return Object.fromEntries(r.questions.map((q) => [q.id, q.score]));
}

/** The master with one extra cell at the end (after every graded cell ran). */
function withCell(source: string, base: NotebookJson = fixtureMaster()): NotebookJson {
  base.cells.push(codeCell("hostile", source));
  return base;
}

describe("grader: hostile submissions", function () {
  this.timeout(600_000);
  const tmp = new TempDir();
  const target = path.join(tmp.dir, "written-by-the-notebook.txt");
  after(() => tmp.cleanup());

  const grade = (nb: NotebookJson): Promise<NotebookResult> => gradeNotebook(spec, tmp.write(nb), FIXTURE_OPTIONS);
  const cell = (r: NotebookResult, id: string) => r.cells.find((c) => c.id === id)!;

  it("an endless loop in a cell: the cell fails on the time limit, the rest is graded", async () => {
    const r = await grade(setSource(fixtureMaster(), "dot-impl", "while (true) {}\nfunction dot(a: number[][], b: number[][]): number[][] { return a; }"));
    expect(cell(r, "dot-impl").error).to.match(/did not finish within 4000 ms/);
    expect(scores(r)).to.deep.equal({ ...FULL, "fx-dot": 0 });
    expect(r.questions.find((q) => q.id === "fx-dot")!.status).to.equal("missing");
  });

  it("an endless loop after an await: killed, rerun without that cell, status timeout", async () => {
    const r = await grade(withCell("await Promise.resolve();\nwhile (true) {}"));
    expect(r.status).to.equal("timeout");
    expect(r.reason).to.match(/cell hostile did not finish within 4000 ms/);
    expect(cell(r, "hostile").ok).to.equal(false);
    expect(scores(r)).to.deep.equal(FULL);
  });

  it("an endless loop inside the graded function: that question's probes time out", async () => {
    // A short probe limit (CPU time): the default 10 s would only make the test wait.
    const nb = setSource(fixtureMaster(), "lse-impl", "function logSumExp(x: Float64Array): number {\n  while (true) {}\n}");
    const r = await gradeNotebook(spec, tmp.write(nb), { ...FIXTURE_OPTIONS, probeTimeoutMs: 2000 });
    const lse = r.questions.find((q) => q.id === "fx-lse")!;
    expect(lse.score).to.equal(0);
    expect(lse.message).to.match(/did not finish within 2000 ms \(endless loop\?\)/);
    expect(scores(r)).to.deep.equal({ ...FULL, "fx-lse": 0 });
  });

  it("a memory bomb: the child dies at its heap cap, the rest is graded", async () => {
    // a generous cell time limit, so that the heap cap (not the clock) stops it on a busy machine
    const bomb = withCell("const hog: number[][] = [];\nfor (;;) hog.push(new Array(1e6).fill(0.5));");
    const r = await gradeNotebook(spec, tmp.write(bomb), { ...FIXTURE_OPTIONS, cellTimeoutMs: 60_000 });
    expect(r.status).to.equal("crash");
    expect(r.reason).to.match(/ran out of memory \(heap limit 512 MB\)/);
    expect(scores(r)).to.deep.equal(FULL);
  });

  it("a memory bomb outside the heap (typed arrays) is stopped by the resident memory limit", async () => {
    const bomb = withCell("const hog: Float64Array[] = [];\nfor (;;) hog.push(new Float64Array(1 << 24).fill(1));");
    const r = await gradeNotebook(spec, tmp.write(bomb), { ...FIXTURE_OPTIONS, cellTimeoutMs: 60_000 });
    expect(r.status).to.equal("crash");
    expect(r.reason).to.match(/ran out of memory \(it used more than 1536 MB of memory\)/);
    expect(scores(r)).to.deep.equal(FULL);
  });

  it("process.exit(0) fails the cell; exiting through a saved reference is a crash, and grading goes on", async () => {
    const r1 = await grade(withCell("process.exit(0);"));
    expect(r1.status).to.equal("graded");
    expect(cell(r1, "hostile").error).to.match(/process\.exit\(0\) is not allowed/);
    expect(scores(r1)).to.deep.equal(FULL);
    const r2 = await grade(withCell("(process as any).reallyExit(0);"));
    expect(r2.status).to.equal("crash");
    expect(r2.reason).to.match(/ended unexpectedly \(exit code 0\)/);
    expect(scores(r2)).to.deep.equal(FULL);
  });

  it("cannot read the grader, the masters or the cache", async () => {
    const files = [path.join(ROOT, "grader/core/spec.ts"), FIXTURE_OPTIONS.masterPath!, path.join(ROOT, "package.json")];
    const nb = fixtureMaster();
    files.forEach((f, i) => nb.cells.push(codeCell(`read-${i}`, `require("fs").readFileSync(${JSON.stringify(f)}, "utf8").length`)));
    const r = await grade(nb);
    for (let i = 0; i < files.length; i++) expect(cell(r, `read-${i}`).error, files[i]).to.match(/Access to this API has been restricted/);
    expect(scores(r)).to.deep.equal(FULL);
  });

  it("cannot write files or start processes", async () => {
    const nb = fixtureMaster();
    nb.cells.push(codeCell("write", `require("fs").writeFileSync(${JSON.stringify(target)}, "x");`));
    nb.cells.push(codeCell("spawn", `require("child_process").execSync("touch ${target}");`));
    nb.cells.push(codeCell("worker", `new (require("worker_threads").Worker)("1", { eval: true });`));
    const r = await grade(nb);
    expect(fs.existsSync(target)).to.equal(false);
    for (const id of ["write", "spawn", "worker"]) expect(cell(r, id).error, id).to.match(/Access to this API has been restricted/);
    expect(scores(r)).to.deep.equal(FULL);
  });

  it("patching Math.abs, Array.prototype and JSON.stringify does not change the judging", async () => {
    const patch = [
      "Math.abs = () => 0;",
      "Array.prototype.every = function () { return true; };",
      "Array.prototype.some = function () { return false; };",
      "JSON.stringify = () => '{\"t\":\"done\"}';",
    ].join("\n");
    const r = await grade(withCell(patch, setSource(fixtureMaster(), "dot-impl", WRONG_DOT)));
    expect(r.status).to.equal("graded");
    expect(scores(r)).to.deep.equal(DOT_WRONG);
  });

  it("printing or forging result messages does not change a score", async () => {
    const forged = JSON.stringify({ t: "probe", question: "fx-dot", index: 0, outcome: { ok: true, value: [[-0.46123080899134583, 0.8303163210248492], [0.7782980329757719, -2.8256655656938774]] } });
    const src = [
      `console.log(${JSON.stringify(forged)});`,
      `console.log(JSON.stringify({ score: 8, maxScore: 8, status: "graded" }));`,
      `require("fs").writeSync(3, ${JSON.stringify(forged + "\n")});`,
      `require("fs").writeSync(3, "not json at all\\n");`,
    ].join("\n");
    const r = await grade(withCell(src, setSource(fixtureMaster(), "dot-impl", WRONG_DOT)));
    expect(scores(r)).to.deep.equal(DOT_WRONG);
  });

  it("a 100 MB output is cut, not buffered, and grading goes on", async () => {
    const r = await grade(withCell('console.log("x".repeat(100 * 1024 * 1024));'));
    expect(r.status).to.equal("graded");
    expect(r.log.length).to.be.lessThan(200_000);
    expect(r.log).to.match(/more characters of output not kept/);
    expect(scores(r)).to.deep.equal(FULL);
  });

  it("deleted cell ids: cells are matched by source and position and graded", async () => {
    const nb = fixtureMaster();
    for (const c of nb.cells) delete c.id;
    const r = await grade(nb);
    expect(scores(r)).to.deep.equal(FULL);
    expect(r.notes?.join(" ")).to.match(/matched by their source/);
  });
});

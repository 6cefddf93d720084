import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cellById, executeNotebook, ExecutedNotebook, streamText, CellOutput } from "../support/kernel";
import { gradeNotebook } from "../../grader/grade";
import type { NotebookResult, QuestionResult } from "../../grader/grade";
import { spec } from "../../grader/specs/01_activations";

const ROOT = path.resolve(__dirname, "../..");
const MASTER = path.join(ROOT, "notebooks", "01_activations.ipynb");

interface PlotTrace {
  name?: string;
  y?: (number | null)[];
}

/** An output's text for one MIME type (nbformat may store multi-line text as a list of lines). */
function mimeText(o: CellOutput, mime: string): string {
  const v = o.data?.[mime];
  return Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "";
}

/** The outputs of a cell that render as an nnkit plot. */
function plotOutputs(outputs: CellOutput[] | undefined): CellOutput[] {
  return (outputs ?? []).filter((o) => mimeText(o, "text/html").includes('class="nnkit-plot"'));
}

/** The plotly traces of a cell's only plot (the MIME data is a JSON string or an object, depending on the front end). */
function traces(nb: ExecutedNotebook, cellId: string): PlotTrace[] {
  const plots = plotOutputs(cellById(nb, cellId).outputs);
  expect(plots, `plots of ${cellId}`).to.have.length(1);
  const raw = plots[0].data?.["application/vnd.plotly.v1+json"];
  const fig = (typeof raw === "string" ? JSON.parse(raw) : raw) as { data: PlotTrace[] };
  return fig.data;
}

function trace(nb: ExecutedNotebook, cellId: string, name: string): number[] {
  const t = traces(nb, cellId).find((x) => x.name === name);
  if (!t?.y) throw new Error(`no trace "${name}" in ${cellId}`);
  return t.y.map((v) => (v === null ? NaN : v));
}

function question(result: NotebookResult, id: string): QuestionResult {
  const q = result.questions.find((x) => x.id === id);
  if (!q) throw new Error(`no question ${id} in the result`);
  return q;
}

/** What the public probes of a question returned, in order. */
function publicGot(result: NotebookResult, id: string): unknown[] {
  return question(result, id)
    .probes.filter((p) => !p.hidden)
    .map((p) => p.got);
}

/** Asserts two nested number arrays are equal up to `tol` (absolute), element by element. */
function expectClose(got: unknown, want: number | number[] | number[][], tol = 1e-8): void {
  if (typeof want === "number") {
    expect(got).to.be.a("number");
    expect(got as number).to.be.closeTo(want, tol);
    return;
  }
  expect(got).to.be.an("array").with.length(want.length);
  want.forEach((w, i) => expectClose((got as unknown[])[i], w, tol));
}

/** A copy of the master in `dir` with one named solution region's body replaced (a plausible student mistake). */
function withSolution(dir: string, name: string, body: string): string {
  const nb = JSON.parse(fs.readFileSync(MASTER, "utf8")) as { cells: { source: string[] | string }[] };
  const pattern = new RegExp(`(// BEGIN SOLUTION ${name}\\n)[\\s\\S]*?(\\n\\s*// END SOLUTION)`);
  const cell = nb.cells.find((c) => pattern.test(Array.isArray(c.source) ? c.source.join("") : c.source));
  if (!cell) throw new Error(`no solution region ${name} in the master`);
  const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  cell.source = source.replace(pattern, (_m, begin: string, end: string) => `${begin}${body}${end}`);
  const file = path.join(dir, path.basename(MASTER));
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

/** The score of every question, by id. */
function scores(result: NotebookResult): Record<string, number> {
  return Object.fromEntries(result.questions.map((q) => [q.id, q.score]));
}

describe("notebook 01_activations", function () {
  this.timeout(15 * 60 * 1000);

  describe("the master through the real tslab kernel", () => {
    let nb: ExecutedNotebook;
    before(async () => {
      nb = await executeNotebook(MASTER);
    });

    it("runs every cell without an error or stderr output", () => {
      expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
      const noisy = nb.cells.filter((c) => c.cell_type === "code" && streamText(c, "stderr").trim() !== "");
      expect(noisy.map((c) => `${c.id}: ${streamText(c, "stderr")}`)).to.deep.equal([]);
    });

    it("plots each activation with its derivative, the vanishing gradient and dying ReLU", () => {
      const plotted = nb.cells.filter((c) => plotOutputs(c.outputs).length > 0).map((c) => c.id);
      expect(plotted).to.deep.equal(["sigmoid-plot", "tanh-plot", "relu-plot", "vanishing", "dying-relu"]);
      const sig = trace(nb, "sigmoid-plot", "σ(z)");
      const dsig = trace(nb, "sigmoid-plot", "σ'(z)");
      expect(sig).to.have.length(201);
      // The plots cover [-5, 5]: the ends of the sigmoid are σ(∓5), its derivative peaks at 1/4 in the middle.
      expect(sig[0]).to.be.closeTo(0.00669285, 1e-5);
      expect(sig[200]).to.be.closeTo(0.99330715, 1e-5);
      expect(dsig[100]).to.be.closeTo(0.25, 1e-9);
      expect(Math.max(...trace(nb, "tanh-plot", "tanh'(z)"))).to.be.closeTo(1, 1e-9);
    });

    it("shows the sigmoid's gradient vanishing through 10 layers while tanh's does not", () => {
      const sigmoid = trace(nb, "vanishing", "sigmoid");
      const tanh = trace(nb, "vanishing", "tanh");
      expect(sigmoid).to.have.length(10);
      expect(sigmoid[0] / sigmoid[9]).to.be.below(1e-4);
      expect(tanh[0] / tanh[9]).to.be.above(0.1);
    });

    it("shows a dead ReLU unit staying dead while a leaky one recovers", () => {
      const dead = trace(nb, "dying-relu", "ReLU (α = 0)");
      const leaky = trace(nb, "dying-relu", "leaky ReLU, α = 0.1");
      expect(dead).to.have.length(150);
      expect(Math.max(...dead)).to.equal(0);
      expect(leaky[leaky.length - 1]).to.be.above(0.5);
    });

    it("passes its own numeric gradient checks", () => {
      const lines = streamText(cellById(nb, "gradcheck"), "stdout").trim().split("\n");
      expect(lines).to.have.length(5);
      for (const line of lines) expect(line).to.match(/rel error \S+ ok$/);
    });

    it("prints the single neuron of the issue", () => {
      const out = streamText(cellById(nb, "neuron-check"), "stdout");
      expect(out).to.include("o: 0.7071067811865476");
    });
  });

  describe("grading", () => {
    let master: NotebookResult;
    let tmp: string;
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-01-"));
      master = await gradeNotebook(spec, MASTER);
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("gives the master full marks", () => {
      expect(master.status).to.equal("graded");
      expect(master.questions.filter((q) => q.status !== "passed").map((q) => `${q.id}: ${q.message}`)).to.deep.equal([]);
      expect(master.score).to.equal(master.maxScore);
      expect(master.maxScore).to.equal(16);
    });

    it("holds the issue's check values for sigmoid, ReLU and tanh", () => {
      expectClose(publicGot(master, "sigmoid")[0], [0.00669285, 0.5, 0.99330715]);
      expectClose(publicGot(master, "relu")[0], [
        [0, 0, 0, 0],
        [0, 0, 0.04545455, 0.13636364],
        [0.22727273, 0.31818182, 0.40909091, 0.5],
      ]);
      // tanh(z) - (2 sigmoid(2z) - 1) on ten points.
      expectClose(publicGot(master, "tanh")[1], new Array<number>(10).fill(0), 1e-12);
    });

    it("computes softmax of large inputs without NaN", () => {
      expectClose(publicGot(master, "softmax")[0], [0.26894142, 0.73105858]);
    });

    it("passes every derivative's centred numeric gradient check", () => {
      for (const id of ["sigmoid-grad", "tanh-grad", "relu-grad", "leaky-relu-grad", "softmax-backward"]) {
        expect(publicGot(master, id)[0], id).to.equal(1);
      }
    });

    it("holds the issue's values for the tanh neuron", () => {
      expectClose(publicGot(master, "tanh-neuron")[0], [0.7071067811865476, 0.5, -1.5, 1.0, 0.5, 0, 0.5], 1e-12);
    });

    it("takes exactly the neuron's points for a neuron with swapped gradients", async () => {
      const file = withSolution(
        tmp,
        "tanhNeuron",
        "  const o = tanh(x1 * w1 + x2 * w2 + b);\n  const dn = 1 - o * o;\n  return { o, dn, dx1: dn * x1, dw1: dn * w1, dx2: dn * x2, dw2: dn * w2, db: dn };",
      );
      const result = await gradeNotebook(spec, file);
      expect(result.status).to.equal("graded");
      expect(scores(result)).to.deep.equal({ ...scores(master), "tanh-neuron": 0 });
    });

    it("gives partial credit to a tanh that overflows for large inputs", async () => {
      const file = withSolution(tmp, "tanh", "  return (Math.exp(z) - Math.exp(-z)) / (Math.exp(z) + Math.exp(-z));");
      const result = await gradeNotebook(spec, file);
      const tanh = question(result, "tanh");
      expect(tanh.status).to.equal("partial");
      expect(tanh.probes.filter((p) => !p.hidden).every((p) => p.passed)).to.equal(true);
      expect(tanh.probes.filter((p) => !p.passed).map((p) => p.hidden)).to.deep.equal([true]);
      expect(tanh.score).to.be.above(0).and.below(tanh.points);
      expect(result.score).to.be.below(master.score);
    });
  });
});

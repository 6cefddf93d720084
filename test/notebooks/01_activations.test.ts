import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cellById, ExecutedNotebook, streamText } from "../support/kernel";
import { executedMaster, gradedMaster } from "../support/masters";
import { gradeNotebook } from "../../grader/judge/grade";
import type { NotebookResult } from "../../grader/judge/grade";
import { spec } from "../../grader/specs/01_activations";
import { expectClose, plotOutputs, publicGot, question, scores, withSolution } from "../support/notebook-results";
import { unpackFigure } from "../../src/plot";

const ROOT = path.resolve(__dirname, "../..");
const MASTER = path.join(ROOT, "notebooks", "01_activations.ipynb");

interface PlotTrace {
  name?: string;
  y?: (number | null)[];
}

/** The plotly traces of a cell's only plot (the MIME data is a JSON string or an object, depending on the front end). */
function traces(nb: ExecutedNotebook, cellId: string): PlotTrace[] {
  const plots = plotOutputs(cellById(nb, cellId).outputs);
  expect(plots, `plots of ${cellId}`).to.have.length(1);
  const raw = plots[0].data?.["application/vnd.plotly.v1+json"];
  // Long numeric arrays are saved packed (plotly's typed arrays): unpack them to lists.
  const fig = unpackFigure<{ data: PlotTrace[] }>(typeof raw === "string" ? JSON.parse(raw) : raw);
  return fig.data;
}

function trace(nb: ExecutedNotebook, cellId: string, name: string): number[] {
  const t = traces(nb, cellId).find((x) => x.name === name);
  if (!t?.y) throw new Error(`no trace "${name}" in ${cellId}`);
  return t.y.map((v) => (v === null ? NaN : v));
}

describe("notebook 01_activations", function () {
  this.timeout(15 * 60 * 1000);

  describe("the master through the real tslab kernel", () => {
    let nb: ExecutedNotebook;
    before(async () => {
      nb = await executedMaster("01_activations.ipynb");
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
      // The text says so: with alpha = 0.01 the unit is still off for all 150 plotted steps (it switches on at step 198).
      expect(Math.max(...trace(nb, "dying-relu", "leaky ReLU, α = 0.01"))).to.equal(0);
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
      master = await gradedMaster(spec);
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
      // tanh(z) and 2 sigmoid(2z) - 1 on ten points, returned raw and judged by the grader.
      const identity = publicGot(master, "tanh")[1] as { tanh: number[]; viaSigmoid: number[] };
      expect(identity.tanh).to.have.length(10);
      expectClose(identity.viaSigmoid, identity.tanh, 1e-12);
    });

    it("computes softmax of large inputs without NaN", () => {
      expectClose(publicGot(master, "softmax")[0], [0.26894142, 0.73105858]);
    });

    it("passes every derivative's centred numeric gradient check", () => {
      // the probe returns both gradients raw; the grader judges them (compare "gradcheck")
      for (const id of ["sigmoid-grad", "tanh-grad", "relu-grad", "leaky-relu-grad", "softmax-backward"]) {
        const g = publicGot(master, id)[0] as { analytic: number[]; numeric: number[] };
        expectClose(g.analytic, g.numeric, 1e-7);
        expect(question(master, id).probes[0].passed, id).to.equal(true);
      }
    });

    it("holds the issue's values for the tanh neuron", () => {
      expectClose(publicGot(master, "tanh-neuron")[0], [0.7071067811865476, 0.5, -1.5, 1.0, 0.5, 0, 0.5], 1e-12);
    });

    it("takes exactly the neuron's points for a neuron with swapped gradients", async () => {
      const file = withSolution(
        MASTER,
        tmp,
        "tanhNeuron",
        "  const o = tanh(x1 * w1 + x2 * w2 + b);\n  const dn = 1 - o * o;\n  return { o, dn, dx1: dn * x1, dw1: dn * w1, dx2: dn * x2, dw2: dn * w2, db: dn };",
      );
      const result = await gradeNotebook(spec, file);
      expect(result.status).to.equal("graded");
      expect(scores(result)).to.deep.equal({ ...scores(master), "tanh-neuron": 0 });
    });

    it("a relu that turns NaN into 0 loses the relu points on the public NaN probe", async () => {
      const file = withSolution(MASTER, tmp, "relu", "  return z > 0 ? z : 0;");
      const result = await gradeNotebook(spec, file);
      const relu = question(result, "relu");
      expect(relu.score).to.be.below(relu.points);
      expect(relu.probes.filter((p) => !p.passed).map((p) => p.label)).to.deep.equal(["relu(NaN) is NaN, as in PyTorch (not 0)"]);
      expect({ ...scores(result), relu: scores(master).relu }).to.deep.equal(scores(master));
    });

    it("gives partial credit to a tanh that overflows for large inputs, and a public probe shows why (17.2)", async () => {
      const file = withSolution(MASTER, tmp, "tanh", "  return (Math.exp(z) - Math.exp(-z)) / (Math.exp(z) + Math.exp(-z));");
      const result = await gradeNotebook(spec, file);
      const tanh = question(result, "tanh");
      expect(tanh.status).to.equal("partial");
      // the same large inputs, once hidden and once public: check() warns before the grader takes the points
      expect(tanh.probes.filter((p) => !p.passed).map((p) => [p.hidden, p.label ?? ""])).to.deep.equal([
        [true, ""],
        [false, "tanh at ±40, ±711 and ±900 (no NaN)"],
      ]);
      expect(tanh.score).to.be.above(0).and.below(tanh.points);
      expect(result.score).to.be.below(master.score);
    });
  });
});

import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cellById, ExecutedNotebook, streamText } from "../support/kernel";
import { executedMaster, gradedMaster } from "../support/masters";
import { gradeNotebook } from "../../grader/judge/grade";
import type { NotebookResult } from "../../grader/judge/grade";
import { spec } from "../../grader/specs/02_mlp";
import { expectClose, mimeText, plotOutputs, publicGot, question, scores, withSolution } from "../support/notebook-results";

const ROOT = path.resolve(__dirname, "../..");
const MASTER = path.join(ROOT, "notebooks", "02_mlp.ipynb");

interface Figure {
  data: { type?: string; name?: string }[];
  layout: { title?: { text?: string } };
}

/** The plotly figures a cell displayed (the MIME data is a JSON string or an object, depending on the front end). */
function figures(nb: ExecutedNotebook, cellId: string): Figure[] {
  return plotOutputs(cellById(nb, cellId).outputs).map((o) => {
    const raw = o.data?.["application/vnd.plotly.v1+json"];
    return (typeof raw === "string" ? JSON.parse(raw) : raw) as Figure;
  });
}

describe("notebook 02_mlp", function () {
  this.timeout(15 * 60 * 1000);

  describe("the master through the real tslab kernel", () => {
    let nb: ExecutedNotebook;
    before(async () => {
      nb = await executedMaster("02_mlp.ipynb");
    });

    it("runs every cell, the opt-in spiral training too, without an error or stderr output", () => {
      expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
      const noisy = nb.cells.filter((c) => c.cell_type === "code" && streamText(c, "stderr").trim() !== "");
      expect(noisy.map((c) => `${c.id}: ${streamText(c, "stderr")}`)).to.deep.equal([]);
    });

    it("prints the issue's affine forward check", () => {
      // The printed matrix comes first; the check() report after it has numbers of its own.
      const matrix = streamText(cellById(nb, "affine-forward-check"), "stdout").split("\n]")[0];
      const printed = (matrix.match(/-?\d+\.\d+(e-?\d+)?/g) ?? []).map(Number);
      expectClose(printed, [1.49834967, 1.70660132, 1.91485297, 3.25553199, 3.5141327, 3.77273342]);
    });

    it("passes its own gradient check of the two-layer network", () => {
      const lines = streamText(cellById(nb, "mlp-gradcheck"), "stdout").trim().split("\n");
      expect(lines.map((l) => l.split(":")[0])).to.deep.equal(["w1", "b1", "w2", "b2"]);
      for (const line of lines) expect(line).to.match(/rel error \S+ ok$/);
    });

    it("shows the four data sets, scaled", () => {
      const titles = figures(nb, "data").map((f) => f.layout.title?.text);
      expect(titles).to.deep.equal(["moons (standardised)", "circles (standardised)", "blobs (standardised)", "spiral (standardised)"]);
    });

    it("trains the course model with a live display, learning curves, misclassified points and boundaries", () => {
      const live = (cellById(nb, "moons-train").outputs ?? []).filter((o) => mimeText(o.data?.["text/html"]).includes("nnkit-progress"));
      expect(live, "live progress output").to.have.length.greaterThan(0);
      const curves = figures(nb, "moons-train");
      expect(curves).to.have.length(1);
      expect(curves[0].data.map((t) => t.name)).to.deep.equal(["training loss", "validation loss", "training accuracy", "validation accuracy"]);
      const misclassified = figures(nb, "moons-misclassified")[0].data.map((t) => t.name ?? "");
      expect(misclassified.filter((name) => name.startsWith("misclassified"))).to.have.length(1);
      for (const id of ["moons-boundary", "circles-blobs", "spiral", "side-by-side"]) {
        const boundaries = figures(nb, id);
        expect(boundaries.length, id).to.be.greaterThan(0);
        for (const f of boundaries) expect(f.data[0].type, id).to.equal("contour");
      }
      expect(figures(nb, "circles-blobs").map((f) => f.layout.title?.text)).to.deep.equal(["Course model on circles", "Course model on blobs"]);
    });

    it("compares the scratch MLP and the tfjs model side by side, both learning the moons", () => {
      const titles = figures(nb, "side-by-side").map((f) => f.layout.title?.text ?? "");
      expect(titles).to.have.length(2);
      expect(titles[0]).to.match(/^Your MLP from scratch/);
      expect(titles[1]).to.match(/^tfjs Dense\(6, tanh\)/);
      for (const t of titles) expect(Number(/training accuracy ([\d.]+)/.exec(t)?.[1])).to.be.at.least(0.8);
    });

    it("backs the text: the course model stays near chance on circles (2 classes of 100) and separates the blobs", () => {
      const out = streamText(cellById(nb, "circles-blobs"), "stdout");
      const acc = (name: string) => Number(new RegExp(`^${name}: training accuracy ([\\d.]+)`, "m").exec(out)?.[1]);
      expect(acc("circles"), out).to.be.below(0.65);
      expect(acc("blobs"), out).to.be.at.least(0.95);
    });

    it("reaches the circles goal and learns the spiral with the bigger model", () => {
      const acc = Number(/training accuracy on circles: ([\d.]+)/.exec(streamText(cellById(nb, "circles-train"), "stdout"))?.[1]);
      expect(acc).to.be.at.least(0.8);
      const spiral = figures(nb, "spiral").map((f) => Number(/training accuracy ([\d.]+)/.exec(f.layout.title?.text ?? "")?.[1]));
      expect(spiral).to.have.length(2);
      expect(spiral[1]).to.be.at.least(0.9);
      expect(spiral[1]).to.be.above(spiral[0]);
    });
  });

  describe("grading", () => {
    let master: NotebookResult;
    let tmp: string;
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-02-"));
      master = await gradedMaster(spec);
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("gives the master full marks", () => {
      expect(master.status).to.equal("graded");
      expect(master.questions.filter((q) => q.status !== "passed").map((q) => `${q.id}: ${q.message}`)).to.deep.equal([]);
      expect(master.score).to.equal(master.maxScore);
      expect(master.maxScore).to.equal(17);
    });

    it("holds the issue's affine forward check", () => {
      expectClose(publicGot(master, "affine-forward")[0], [
        [1.49834967, 1.70660132, 1.91485297],
        [3.25553199, 3.5141327, 3.77273342],
      ]);
    });

    it("checks the network's gradients numerically and the circles model by training it", () => {
      // both gradients come back raw and are judged by the grader (compare "gradcheck")
      const g = publicGot(master, "mlp-loss")[0] as { analytic: Record<string, unknown>; numeric: Record<string, unknown> };
      expect(Object.keys(g.analytic).sort()).to.deep.equal(["b1", "b2", "w1", "w2"]);
      expect(Object.keys(g.numeric).sort()).to.deep.equal(["b1", "b2", "w1", "w2"]);
      expect(question(master, "mlp-loss").probes[0].passed).to.equal(true);
      // the training accuracy comes back raw; the grader compares it with the bar of 0.8
      expect(publicGot(master, "circles-model")[0]).to.be.a("number").and.at.least(0.8);
    });

    it("takes exactly the circles points when the course model is kept for the circles", async () => {
      const file = withSolution(MASTER, tmp, "buildCirclesModel", "  return courseModel();");
      const result = await gradeNotebook(spec, file);
      expect(result.status).to.equal("graded");
      expect(scores(result)).to.deep.equal({ ...scores(master), "circles-model": 0 });
      expect(question(result, "circles-model").probes[0].got).to.be.a("number").and.below(0.8);
    });

    it("takes only softmax-loss points for a cross-entropy that overflows on large scores", async () => {
      const file = withSolution(
        MASTER,
        tmp,
        "softmaxCrossEntropy",
        [
          "  const n = scores.length;",
          "  let loss = 0;",
          "  const dscores = scores.map((row, i) => {",
          "    const e = row.map(Math.exp);",
          "    const sum = e.reduce((a, b) => a + b, 0);",
          "    loss -= Math.log(e[y[i]] / sum);",
          "    return e.map((v, c) => (v / sum - (c === y[i] ? 1 : 0)) / n);",
          "  });",
          "  return { loss: loss / n, dscores };",
        ].join("\n"),
      );
      const result = await gradeNotebook(spec, file);
      const loss = question(result, "softmax-loss");
      expect(loss.status).to.equal("partial");
      // the hidden "large scores" probes and their public twin (17.2), nothing else
      const failed = loss.probes.filter((p) => !p.passed);
      expect(failed.filter((p) => !p.hidden).map((p) => p.label)).to.deep.equal(["loss and dscores for scores of ±1000 (no NaN, no Infinity)"]);
      expect(failed.filter((p) => p.hidden).every((p) => p.label === "large scores")).to.equal(true);
      const others = { ...scores(result) };
      delete others["softmax-loss"];
      const masterOthers = { ...scores(master) };
      delete masterOthers["softmax-loss"];
      expect(others).to.deep.equal(masterOthers);
    });
  });
});

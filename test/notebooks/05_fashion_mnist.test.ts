import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cellById, CellOutput, executeNotebook, ExecutedNotebook, streamText } from "../support/kernel";
import { gradeNotebook } from "../../grader/grade";
import type { NotebookResult, QuestionResult } from "../../grader/grade";
import { spec } from "../../grader/specs/05_fashion_mnist";
import { BONUS_THRESHOLD, evaluateBonusSandboxed, readBonusFolder } from "../../grader/bonus";
import { mimeText, publicGot } from "../support/notebook-results";

const ROOT = path.resolve(__dirname, "../..");
const MASTER = path.join(ROOT, "notebooks", "05_fashion_mnist.ipynb");

/** How many outputs of a cell carry an HTML root with the given class. */
function countClass(outputs: CellOutput[] | undefined, cls: string): number {
  return (outputs ?? []).filter((o) => mimeText(o.data?.["text/html"]).includes(`class="${cls}"`)).length;
}

/** The number after `label` in a cell's stdout. */
function printed(nb: ExecutedNotebook, cellId: string, label: RegExp): number {
  const out = streamText(cellById(nb, cellId), "stdout");
  const m = label.exec(out);
  if (!m) throw new Error(`cell ${cellId} did not print ${label}: ${out}`);
  return Number(m[1]);
}

describe("notebook 05_fashion_mnist", function () {
  this.timeout(30 * 60 * 1000);

  describe("the grader on the master", () => {
    let result: NotebookResult;
    before(async () => {
      result = await gradeNotebook(spec, MASTER);
    });

    it("gives full marks without training anything", () => {
      const failed = result.questions.filter((q) => q.score !== q.points).map((q) => `${q.id}: ${q.message ?? ""}`);
      expect(failed).to.deep.equal([]);
      expect(result.status).to.equal("graded");
      expect(result.score).to.equal(result.maxScore);
    });

    it("sees the course models' shapes, parameter counts and activations", () => {
      expect(publicGot(result, "build-mlp")).to.deep.equal([
        { params: 89610, shapes: [[null, 100], [null, 100], [null, 10]], layers: ["Dense", "Dense", "Dense"], activations: ["tanh", "tanh", "softmax"] },
      ]);
      expect(publicGot(result, "build-cnn")).to.deep.equal([
        {
          params: 110986,
          shapes: [[null, 26, 26, 32], [null, 24, 24, 64], [null, 12, 12, 64], [null, 9216], [null, 10]],
          layers: ["Conv2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense"],
          activations: ["relu", "relu", null, null, "softmax"],
        },
      ]);
    });

    it("finds the check values of accuracy, the confusion matrix and the most confused pairs", () => {
      expect(publicGot(result, "accuracy")).to.deep.equal([4 / 7]);
      expect(publicGot(result, "confusion-matrix")).to.deep.equal([[[1, 1, 0], [0, 2, 0], [1, 1, 1]]]);
      expect(publicGot(result, "most-confused")).to.deep.equal([[{ actual: 0, predicted: 1, count: 1 }, { actual: 2, predicted: 0, count: 1 }]]);
    });
  });

  describe("a wrong implementation loses exactly that question's points", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-05-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    async function lost(cellId: string, from: string, to: string): Promise<QuestionResult[]> {
      const nb = JSON.parse(fs.readFileSync(MASTER, "utf8")) as { cells: { id: string; source: string[] | string }[] };
      const cell = nb.cells.find((c) => c.id === cellId)!;
      const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      expect(source).to.include(from);
      cell.source = source.replace(from, to);
      const file = path.join(dir, "05_fashion_mnist.ipynb");
      fs.writeFileSync(file, JSON.stringify(nb));
      const result = await gradeNotebook(spec, file);
      expect(result.status).to.equal("graded");
      return result.questions.filter((q) => q.score < q.points);
    }

    it("'same' padding in the CNN's first conv costs build-cnn only", async () => {
      const failed = await lost("cnn-impl", 'filters: 32, kernelSize: 3, activation: "relu"', 'filters: 32, kernelSize: 3, padding: "same", activation: "relu"');
      expect(failed.map((q) => q.id)).to.deep.equal(["build-cnn"]);
    });

    it("sorting confused pairs without the tie-break costs most-confused only", async () => {
      const failed = await lost("accuracy-impl", "b.count - a.count || a.actual - b.actual || a.predicted - b.predicted", "b.count - a.count || b.actual - a.actual");
      expect(failed.map((q) => q.id)).to.deep.equal(["most-confused"]);
    });
  });

  describe("the master with the default setting, through the real tslab kernel", () => {
    let dir: string;
    let nb: ExecutedNotebook;
    before(async () => {
      // A scratch folder as the notebook's working folder, so the bonus model is saved there, not in the kit.
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-05-run-"));
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
      if (fs.existsSync(path.join(ROOT, "checks"))) fs.symlinkSync(path.join(ROOT, "checks"), path.join(dir, "checks"));
      nb = await executeNotebook(MASTER, { cwd: dir, cellTimeoutSeconds: 1500 });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("runs every cell without an error or stderr output", () => {
      expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
      const noisy = nb.cells.filter((c) => c.cell_type === "code" && streamText(c, "stderr").trim() !== "");
      expect(noisy.map((c) => `${c.id}: ${streamText(c, "stderr")}`)).to.deep.equal([]);
    });

    it("trains the MLP and the CNN with live progress to a useful test accuracy", () => {
      expect(countClass(cellById(nb, "mlp-train").outputs, "nnkit-progress")).to.be.greaterThan(0);
      expect(countClass(cellById(nb, "cnn-train").outputs, "nnkit-progress")).to.be.greaterThan(0);
      // Measured on the default setting: MLP 0.817, CNN 0.771, the same in every run here (seeded initialisers and
      // batch order); the margins leave room for another machine's floating-point rounding.
      expect(printed(nb, "mlp-train", /MLP test loss [0-9.]+, test accuracy ([0-9.]+)/)).to.be.greaterThan(0.78);
      expect(printed(nb, "cnn-train", /CNN test accuracy: ([0-9.]+)/)).to.be.greaterThan(0.7);
    });

    it("shows the class grid, the confusion matrix with three confused pairs, the filters and the activation maps", () => {
      expect(countClass(cellById(nb, "class-grid").outputs, "nnkit-plot")).to.equal(1);
      expect(countClass(cellById(nb, "confusion-plot").outputs, "nnkit-plot")).to.equal(4);
      expect(countClass(cellById(nb, "filters-plot").outputs, "nnkit-plot")).to.equal(3);
    });

    it("saves a bonus model that the grader loads and measures above the bar", async () => {
      const modelDir = path.join(dir, "bonus-model");
      expect(readBonusFolder(modelDir).meta.seed).to.equal(2026);
      const e = await evaluateBonusSandboxed(modelDir);
      expect(e.total).to.equal(10000);
      expect(e.input).to.equal("image");
      expect(e.params).to.equal(110986);
      expect(e.accuracy).to.be.greaterThan(BONUS_THRESHOLD);
    });
  });
});

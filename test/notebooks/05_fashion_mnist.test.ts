import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gradedMaster } from "../support/masters";
import { gradeNotebook } from "../../grader/judge/grade";
import type { NotebookResult, QuestionResult } from "../../grader/judge/grade";
import { spec } from "../../grader/specs/05_fashion_mnist";
import { publicGot } from "../support/notebook-results";

const ROOT = path.resolve(__dirname, "../..");
const MASTER = path.join(ROOT, "notebooks", "05_fashion_mnist.ipynb");

/**
 * The grader on notebook 05. Its run through the real kernel trains two models on the default
 * setting for about 11 minutes: that part is test/e2e/05_fashion_mnist-training.test.ts (CI).
 */
describe("notebook 05_fashion_mnist", function () {
  this.timeout(30 * 60 * 1000);

  describe("the grader on the master", () => {
    let result: NotebookResult;
    before(async () => {
      result = await gradedMaster(spec);
    });

    it("gives full marks without training anything", () => {
      const failed = result.questions.filter((q) => q.score !== q.points).map((q) => `${q.id}: ${q.message ?? ""}`);
      expect(failed).to.deep.equal([]);
      expect(result.status).to.equal("graded");
      expect(result.score).to.equal(result.maxScore);
    });

    it("sees the course models' shapes, parameter counts and activations", () => {
      expect(publicGot(result, "build-mlp").slice(0, 1)).to.deep.equal([
        { params: 89610, shapes: [[null, 100], [null, 100], [null, 10]], layers: ["Dense", "Dense", "Dense"], activations: ["tanh", "tanh", "softmax"] },
      ]);
      expect(publicGot(result, "build-cnn").slice(0, 1)).to.deep.equal([
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
});

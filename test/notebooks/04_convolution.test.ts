import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cellById, ExecutedNotebook, streamText } from "../support/kernel";
import { executedMaster, gradedMaster } from "../support/masters";
import { gradeNotebook } from "../../grader/judge/grade";
import type { NotebookResult, QuestionResult } from "../../grader/judge/grade";
import { spec } from "../../grader/specs/04_convolution";
import { mutatedMaster, plotOutputs, publicGot } from "../support/notebook-results";

const ROOT = path.resolve(__dirname, "../..");
const MASTER = path.join(ROOT, "notebooks", "04_convolution.ipynb");

describe("notebook 04_convolution", function () {
  this.timeout(15 * 60 * 1000);

  describe("the master through the real tslab kernel", () => {
    let nb: ExecutedNotebook;
    before(async () => {
      nb = await executedMaster("04_convolution.ipynb");
    });

    it("runs every cell without an error or stderr output", () => {
      expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
      const noisy = nb.cells.filter((c) => c.cell_type === "code" && streamText(c, "stderr").trim() !== "");
      expect(noisy.map((c) => `${c.id}: ${streamText(c, "stderr")}`)).to.deep.equal([]);
    });

    it("prints the output sizes of the issue's checks", () => {
      const out = streamText(cellById(nb, "output-size-demo"), "stdout");
      expect(out).to.include("N=7 F=3 P=0 S=1 -> 5");
      expect(out).to.include("N=7 F=3 P=0 S=2 -> 3");
      expect(out).to.include("N=227 F=11 P=0 S=4 -> 55");
      expect(out).to.match(/N=10 F=3 P=0 S=2 -> .*not an integer/);
    });

    it("shows three edge heatmaps and the sliding-filter animation with one frame per output pixel", () => {
      expect(plotOutputs(cellById(nb, "edges-demo").outputs)).to.have.length(3);
      const slide = plotOutputs(cellById(nb, "slide-demo").outputs);
      expect(slide).to.have.length(1);
      const fig = slide[0].data?.["application/vnd.plotly.v1+json"] as { frames?: unknown[] };
      expect(fig.frames).to.have.length(16);
    });

    it("agrees with tf.conv2d to a relative error below 1e-6", () => {
      const out = streamText(cellById(nb, "conv-tf-compare"), "stdout");
      const m = /\|\|naive - tf\|\| \/ \|\|naive\|\|: ([0-9.e+-]+)/.exec(out);
      expect(m, out).to.not.equal(null);
      expect(Number(m![1])).to.be.lessThan(1e-6);
      expect(out).to.include("shapes: naive [2,4,4,4], tf [2,4,4,4]");
    });

    it("passes the numeric gradient check of the conv backward", () => {
      const out = streamText(cellById(nb, "conv-gradcheck"), "stdout");
      for (const name of ["dx", "dw", "db"]) {
        const m = new RegExp(`${name} relative error: ([0-9.e+-]+)`).exec(out);
        expect(m, out).to.not.equal(null);
        expect(Number(m![1])).to.be.lessThan(1e-6);
      }
    });

    it("derives the course CNN's shapes and 110,986 parameters, as tfjs counts them", () => {
      expect(streamText(cellById(nb, "course-cnn-shapes"), "stdout")).to.equal("26x26x32 -> 24x24x64 -> 12x12x64 -> 9216 -> 10\nparameters: 110986\n");
      expect(streamText(cellById(nb, "tf-model"), "stdout")).to.include("tfjs counts 110986 parameters; yours: 110986");
    });
  });

  describe("the grader on the master", () => {
    let result: NotebookResult;
    before(async () => {
      result = await gradedMaster(spec);
    });

    it("gives full marks", () => {
      const failed = result.questions.filter((q) => q.score !== q.points).map((q) => `${q.id}: ${q.message ?? ""}`);
      expect(failed).to.deep.equal([]);
      expect(result.status).to.equal("graded");
      expect(result.score).to.equal(result.maxScore);
      expect(result.maxScore).to.equal(spec.questions.reduce((n, q) => n + q.points, 0));
    });

    it("finds the issue's check values in the public probes", () => {
      expect(publicGot(result, "output-size")).to.deep.equal([5, 3, "throws", 55]);
      expect(publicGot(result, "corr2d")).to.deep.equal([[[19, 25], [37, 43]]]);
      expect(publicGot(result, "corr2d-multi")).to.deep.equal([[[56, 72], [104, 120]]]);
      // the last: a 3x3 average with padding 1 averages only the positions inside the input (17.2)
      expect(publicGot(result, "pool2d")).to.deep.equal([[[4, 5], [7, 8]], [[2, 3], [5, 6]], [[5, 7], [13, 15]], [[2, 2.5, 3], [3.5, 4, 4.5], [5, 5.5, 6]]]);
      expect(publicGot(result, "layer-shapes")).to.deep.equal([[[26, 26, 32], [24, 24, 64], [12, 12, 64], [9216], [10]], [[3, 3, 3], [27]]]);
      // A 2x2 pool with stride 2 on 5x5 keeps floor((5 - 2) / 2) + 1 = 2 rows and columns, as Keras and PyTorch.
      expect((publicGot(result, "maxpool-forward")[1] as { shape: number[] }).shape).to.deep.equal([1, 2, 2, 2]);
      expect(publicGot(result, "count-params")).to.deep.equal([110986]);
    });

    it("has hidden probes for every question", () => {
      for (const q of spec.questions) expect(q.probes.some((p) => p.hidden), q.id).to.equal(true);
    });
  });

  describe("a wrong implementation loses exactly that question's points", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-04-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Grades a mutated master and returns the questions that lost points. */
    async function lost(cellId: string, from: string, to: string): Promise<QuestionResult[]> {
      const result = await gradeNotebook(spec, mutatedMaster(MASTER, dir, cellId, from, to));
      expect(result.status).to.equal("graded");
      return result.questions.filter((q) => q.score < q.points);
    }

    it("forgetting the conv biases in countParams costs count-params only", async () => {
      const failed = await lost("layer-shapes-impl", "* layer.filters + layer.filters;", "* layer.filters;");
      expect(failed.map((q) => q.id)).to.deep.equal(["count-params"]);
      expect(failed[0].score).to.equal(0);
    });

    it("starting the max at 0 in maxPoolForward costs maxpool-forward only (the all-negative probe catches it)", async () => {
      const failed = await lost("maxpool-forward-impl", "let max = -Infinity;", "let max = 0;");
      expect(failed.map((q) => q.id)).to.deep.equal(["maxpool-forward"]);
      const allNegative = failed[0].probes.find((p) => p.index === 3);
      expect(allNegative?.passed).to.equal(false);
    });

    it("pooling that throws when the window does not tile (outputSize) costs maxpool-forward and layer-shapes, on their public probes", async () => {
      const mutated = mutatedMaster(
        MASTER, dir, "maxpool-forward-impl",
        "const oh = Math.floor((h - pool.size) / pool.stride) + 1, ow = Math.floor((w - pool.size) / pool.stride) + 1;",
        "const oh = outputSize(h, pool.size, 0, pool.stride), ow = outputSize(w, pool.size, 0, pool.stride);",
      );
      const both = mutatedMaster(
        mutated, dir, "layer-shapes-impl",
        "shape = [Math.floor((shape[0] - layer.size) / s) + 1, Math.floor((shape[1] - layer.size) / s) + 1, shape[2]];",
        "shape = [outputSize(shape[0], layer.size, 0, s), outputSize(shape[1], layer.size, 0, s), shape[2]];",
      );
      const result = await gradeNotebook(spec, both);
      expect(result.status).to.equal("graded");
      const failed = result.questions.filter((q) => q.score < q.points);
      expect(failed.map((q) => q.id)).to.deep.equal(["maxpool-forward", "layer-shapes"]);
      for (const q of failed) expect(q.probes.filter((p) => !p.hidden && !p.passed), q.id).to.have.length(1);
    });
  });
});

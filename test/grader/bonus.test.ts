import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import {
  BONUS_THRESHOLD,
  BonusEvaluation,
  bonusReport,
  evaluateBonusSandboxed,
  formatBonusReport,
  modelInputLayout,
  readBonusFolder,
  reproduceBonus,
} from "../../grader/judge/bonus";
import { loadFashionMnist } from "../../src/fashion-mnist";

/** Saves a model in the tfjs file layout the notebook's saveBonusModel writes: model.json, weights.bin, bonus.json. */
async function saveModel(model: tf.LayersModel, dir: string, seed: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const json = { modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] };
      fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(json));
      fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.from(a.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  fs.writeFileSync(path.join(dir, "bonus.json"), JSON.stringify({ seed }));
}

/** A softmax regression on flat pixels, trained deterministically (zero initial weights, no shuffling). */
async function trainedSoftmax(): Promise<tf.Sequential> {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 10, activation: "softmax", kernelInitializer: "zeros" })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  const train = loadFashionMnist({ split: "train", limit: 3000 });
  const x = tf.tensor2d(train.images, [train.count, 784]);
  const y = tf.oneHot(tf.tensor1d(train.labels, "int32"), 10).toFloat();
  await model.fit(x, y, { epochs: 3, batchSize: 100, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  return model;
}

/** The accuracy of a model on the first n test images, computed here in the test process. */
function accuracyHere(model: tf.LayersModel, n: number, layout: "flat" | "image"): number {
  const test = loadFashionMnist({ split: "test", limit: n, layout });
  const predicted = tf.tidy(() => (model.predict(tf.tensor(test.images, test.shape)) as tf.Tensor).argMax(-1).dataSync());
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === test.labels[i]) correct++;
  return correct / n;
}

describe("bonus: saved model evaluation (grader/judge/bonus.ts)", function () {
  this.timeout(10 * 60 * 1000);
  let tmp: string;
  let softmax: tf.Sequential;
  let softmaxDir: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-bonus-"));
    softmax = await trainedSoftmax();
    softmaxDir = path.join(tmp, "softmax");
    await saveModel(softmax, softmaxDir, 2026);
  });
  after(() => {
    softmax.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A copy of the good model folder, changed by `edit`. */
  function brokenCopy(name: string, edit: (dir: string) => void): string {
    const dir = path.join(tmp, name);
    fs.cpSync(softmaxDir, dir, { recursive: true });
    edit(dir);
    return dir;
  }

  describe("evaluateBonusSandboxed", () => {
    it("measures a saved flat-input model on a slice of the test set, as the model itself predicts", async () => {
      const e = await evaluateBonusSandboxed(softmaxDir, { limit: 1000 });
      expect(e.total).to.equal(1000);
      expect(e.input).to.equal("flat");
      expect(e.params).to.equal(7850);
      expect(e.correct).to.equal(Math.round(e.accuracy * 1000));
      expect(e.accuracy).to.be.closeTo(accuracyHere(softmax, 1000, "flat"), 0.0021);
      expect(e.accuracy).to.be.greaterThan(0.6);
    });

    it("feeds 28x28x1 images to a model with an image input", async () => {
      const cnn = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
      const dir = path.join(tmp, "cnn");
      await saveModel(cnn, dir, 7);
      const e = await evaluateBonusSandboxed(dir, { limit: 300 });
      expect(e.input).to.equal("image");
      expect(e.params).to.equal(cnn.countParams());
      expect(e.total).to.equal(300);
      expect(e.accuracy).to.be.closeTo(accuracyHere(cnn, 300, "image"), 0.0067);
      cnn.dispose();
    });

    it("rejects a model whose output is not 10 classes, with the reason", async () => {
      const wrong = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 3, activation: "softmax" })] });
      const dir = path.join(tmp, "three-classes");
      await saveModel(wrong, dir, 1);
      wrong.dispose();
      let error: Error | undefined;
      await evaluateBonusSandboxed(dir, { limit: 10 }).catch((e: Error) => (error = e));
      expect(error?.message).to.match(/output shape is \[.*3\]; expected \[null, 10\]/);
    });
  });

  describe("readBonusFolder", () => {
    it("reads the topology, the weights and the seed", () => {
      const a = readBonusFolder(softmaxDir);
      expect(a.meta.seed).to.equal(2026);
      expect(a.weightData.byteLength).to.equal(7850 * 4);
      expect(a.weightSpecs.map((s) => s.shape)).to.deep.equal([[784, 10], [10]]);
      expect(modelInputLayout(a.modelTopology)).to.equal("flat");
    });

    it("says which file is missing", () => {
      expect(() => readBonusFolder(path.join(tmp, "nowhere"))).to.throw(/no bonus model folder/);
      const noWeights = brokenCopy("no-weights", (d) => fs.rmSync(path.join(d, "weights.bin")));
      expect(() => readBonusFolder(noWeights)).to.throw(/weights\.bin \(named in model\.json\) is missing/);
      const noMeta = brokenCopy("no-meta", (d) => fs.rmSync(path.join(d, "bonus.json")));
      expect(() => readBonusFolder(noMeta)).to.throw(/bonus\.json is missing/);
    });

    it("rejects truncated weights, broken JSON, a missing seed and a weights path outside the folder", () => {
      const truncated = brokenCopy("truncated", (d) => fs.writeFileSync(path.join(d, "weights.bin"), Buffer.alloc(100)));
      expect(() => readBonusFolder(truncated)).to.throw(/hold 100 bytes but model\.json describes 31400/);
      const badJson = brokenCopy("bad-json", (d) => fs.writeFileSync(path.join(d, "model.json"), "{ not json"));
      expect(() => readBonusFolder(badJson)).to.throw(/model\.json .* is not valid JSON/);
      const noSeed = brokenCopy("no-seed", (d) => fs.writeFileSync(path.join(d, "bonus.json"), JSON.stringify({ seed: "x" })));
      expect(() => readBonusFolder(noSeed)).to.throw(/integer seed/);
      const escape = brokenCopy("escape", (d) => {
        const json = JSON.parse(fs.readFileSync(path.join(d, "model.json"), "utf8"));
        json.weightsManifest[0].paths = ["../softmax/weights.bin"];
        fs.writeFileSync(path.join(d, "model.json"), JSON.stringify(json));
      });
      expect(() => readBonusFolder(escape)).to.throw(/invalid weights file: \.\.\/softmax\/weights\.bin/);
    });

    it("rejects an input shape that is not a Fashion-MNIST image", () => {
      expect(() => modelInputLayout({ config: { layers: [{ config: { batch_input_shape: [null, 100] } }] } })).to.throw(/input shape is \[, 100\]/);
      expect(() => modelInputLayout({ config: {} })).to.throw(/does not say the model's input shape/);
    });
  });

  describe("bonusReport", () => {
    /** Folders with a valid bonus.json; the accuracies come from a stand-in evaluation keyed by folder name. */
    function fakeSubmissions(accuracies: Record<string, number>): { student: string; modelDir: string }[] {
      return Object.keys(accuracies).map((student) => {
        const dir = path.join(tmp, "report", student);
        fs.cpSync(softmaxDir, dir, { recursive: true });
        return { student, modelDir: dir };
      });
    }
    const fakeEvaluate = (accuracies: Record<string, number>) => async (dir: string): Promise<BonusEvaluation> => {
      const accuracy = accuracies[path.basename(dir)];
      return { accuracy, correct: Math.round(accuracy * 10000), total: 10000, params: 7850, input: "flat", seconds: 0 };
    };

    it("ranks qualifying models by accuracy with shared ranks for ties, lists the rest with the reason", async () => {
      const acc = { ann: 0.9, bob: 0.93, cid: 0.9, dan: 0.74, eve: 0.75 };
      const subs = [...fakeSubmissions(acc), { student: "fay", modelDir: path.join(tmp, "report", "missing") }];
      const report = await bonusReport(subs, { evaluate: fakeEvaluate(acc) });
      expect(report.threshold).to.equal(BONUS_THRESHOLD);
      expect(report.entries.map((e) => [e.student, e.status, e.rank ?? null])).to.deep.equal([
        ["bob", "ranked", 1],
        ["ann", "ranked", 2],
        ["cid", "ranked", 2],
        ["eve", "ranked", 4],
        ["dan", "below", null],
        ["fay", "invalid", null],
      ]);
      expect(report.entries[0].seed).to.equal(2026);
      expect(report.entries[5].reason).to.match(/no bonus model folder/);
      const text = formatBonusReport(report);
      expect(text).to.include("1\tbob\t0.9300\t7850\t2026\t");
      expect(text).to.include("-\tdan\t0.7400\t7850\t2026\tbelow 0.75: does not qualify");
      expect(text).to.match(/-\tfay\t-\t-\t-\tno valid model: no bonus model folder/);
    });

    it("measures each model itself by default (sandboxed)", async () => {
      const report = await bonusReport([{ student: "real", modelDir: softmaxDir }], { limit: 500, threshold: 0.5 });
      expect(report.testImages).to.equal(500);
      expect(report.entries[0].status).to.equal("ranked");
      expect(report.entries[0].accuracy).to.be.closeTo(accuracyHere(softmax, 500, "flat"), 0.0041);
    });
  });

  describe("reproduceBonus", () => {
    /** A two-notebook fixture: the master says which cell is the bonus cell and which cells the grader skips. */
    function fixture(bonusSource: string): { master: string; submission: string } {
      const cells = [
        { id: "setup", tags: [], source: 'import * as tf from "@tensorflow/tfjs";\nimport { loadFashionMnist } from "nnkit";' },
        { id: "heavy", tags: ["skip-in-grader"], source: 'throw new Error("a skipped cell ran");' },
        {
          id: "saver",
          tags: [],
          source: 'async function saveBonusModel(model: tf.LayersModel, dir: string, seed: number): Promise<void> {\n  throw new Error("the real saver must not run in the rerun");\n}',
        },
        { id: "bonus-train", tags: ["skip-in-grader", "bonus-model"], source: bonusSource },
      ];
      const nb = (withTags: boolean) => ({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" }, language_info: { name: "typescript" } },
        cells: cells.map((c) => ({ id: c.id, cell_type: "code", metadata: withTags ? { tags: c.tags } : {}, source: c.source, outputs: [], execution_count: null })),
      });
      const master = path.join(tmp, "master.ipynb");
      const submission = path.join(tmp, "submission.ipynb");
      fs.writeFileSync(master, JSON.stringify(nb(true)));
      fs.writeFileSync(submission, JSON.stringify(nb(false)));
      return { master, submission };
    }

    const BONUS_CELL = `const BONUS_SEED = 2026;
{
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 10, activation: "softmax", kernelInitializer: "zeros" })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  const train = loadFashionMnist({ split: "train", limit: 3000 });
  const x = tf.tensor2d(train.images, [train.count, 784]);
  const y = tf.oneHot(tf.tensor1d(train.labels, "int32"), 10).toFloat();
  await model.fit(x, y, { epochs: 3, batchSize: 100, shuffle: false, verbose: 0 });
  await saveBonusModel(model, "bonus-model", BONUS_SEED);
}`;

    it("reruns the bonus cell with the seed in a sandbox and reports the accuracy difference", async () => {
      const { master, submission } = fixture(BONUS_CELL);
      const saved = accuracyHere(softmax, 1000, "flat");
      const r = await reproduceBonus(submission, softmaxDir, { masterPath: master, limit: 1000, savedAccuracy: saved, student: "ann" });
      expect(r.seed).to.equal(2026);
      expect(r.student).to.equal("ann");
      expect(r.savedAccuracy).to.equal(saved);
      // Same data, zero initial weights, no shuffling: only float rounding on another backend may differ.
      expect(Math.abs(r.difference)).to.be.lessThan(0.01);
      expect(r.difference).to.be.closeTo(r.rerunAccuracy - r.savedAccuracy, 1e-12);
    });

    it("names the failing cell when the rerun breaks", async () => {
      const { master, submission } = fixture('throw new Error("training diverged");');
      let error: Error | undefined;
      await reproduceBonus(submission, softmaxDir, { masterPath: master, limit: 100, savedAccuracy: 0.8 }).catch((e: Error) => (error = e));
      expect(error?.message).to.match(/cell bonus-train failed in the rerun: .*training diverged/);
    });
  });
});

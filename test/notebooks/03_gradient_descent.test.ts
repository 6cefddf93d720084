import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cellById, streamText, type CellOutput, type ExecutedNotebook } from "../support/kernel";
import { executedMaster, gradedMaster } from "../support/masters";
import { gradeNotebook, type NotebookResult } from "../../grader/judge/grade";
import { spec } from "../../grader/specs/03_gradient_descent";
import { mutatedMaster, plotOutputs, publicGot, question, scores, withSolution } from "../support/notebook-results";

const ROOT = path.resolve(__dirname, "../..");
const MASTER = path.join(ROOT, "notebooks", "03_gradient_descent.ipynb");

/** The plotly figure of a plot output. */
function figureOf(output: CellOutput): { data: { type?: string; name?: string }[]; frames?: unknown[] } {
  return output.data?.["application/vnd.plotly.v1+json"] as { data: { type?: string; name?: string }[]; frames?: unknown[] };
}

/** The probe inputs of a question's public probe. */
function publicInputs(result: NotebookResult, id: string, index: number): Record<string, unknown> {
  const q = result.questions.find((x) => x.id === id);
  const probe = q?.probes.filter((p) => !p.hidden)[index];
  if (!probe?.inputs) throw new Error(`no inputs for public probe ${index} of ${id}`);
  return probe.inputs as Record<string, unknown>;
}

/** Asserts that two points agree coordinate by coordinate within `tol`. */
function expectPoint(got: unknown, want: number[], tol: number, what: string): void {
  expect(got, what).to.be.an("array").with.length(want.length);
  (got as number[]).forEach((v, i) => expect(v, `${what}[${i}]`).to.be.closeTo(want[i], tol));
}

/** The two numbers of a line "<name> ends at (x1, x2)". */
function endPointIn(out: string, name: string): number[] {
  const line = out.split("\n").find((l) => l.startsWith(name));
  const m = line && /ends at \(([-0-9.e+]+), ([-0-9.e+]+)\)/.exec(line);
  if (!m) throw new Error(`no end point for ${name} in:\n${out}`);
  return [Number(m[1]), Number(m[2])];
}

function sourceOf(nb: { cells: { id?: string; source: string | string[] }[] }, id: string): string {
  const cell = nb.cells.find((c) => c.id === id);
  if (!cell) throw new Error(`no cell ${id}`);
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** AdaGrad as the lecture's slide writes it: theta - eta / sqrt(G + eps) * g. */
const LECTURE_ADAGRAD = `  const eps = config.eps ?? EPS;
  const G = Float64Array.from(state.cache ?? zerosLike(params), (c, i) => c + grads[i] ** 2);
  const next = params.map((theta, i) => theta - (config.lr / Math.sqrt(G[i] + eps)) * grads[i]);
  return { params: next, state: { cache: G } };`;

/** RMSProp in the same form, with the running average E[g^2]. */
const LECTURE_RMSPROP = `  const gamma = config.decay ?? DEFAULTS.decay;
  const eps = config.eps ?? EPS;
  const Eg2 = Float64Array.from(state.cache ?? zerosLike(params), (c, i) => gamma * c + (1 - gamma) * grads[i] ** 2);
  const next = params.map((theta, i) => theta - (config.lr / Math.sqrt(Eg2[i] + eps)) * grads[i]);
  return { params: next, state: { cache: Eg2 } };`;

/** Adam as the lecture's slide writes it: theta - eta / (sqrt(v_hat) + eps) * m_hat. */
const LECTURE_ADAM = `  const b1 = config.beta1 ?? DEFAULTS.beta1;
  const b2 = config.beta2 ?? DEFAULTS.beta2;
  const eps = config.eps ?? EPS;
  const t = (state.t ?? 0) + 1;
  const m = (state.m ?? zerosLike(params)).map((mi, i) => b1 * mi + (1 - b1) * grads[i]);
  const v = (state.v ?? zerosLike(params)).map((vi, i) => b2 * vi + (1 - b2) * grads[i] ** 2);
  const next = params.map((theta, i) => {
    const mHat = m[i] / (1 - b1 ** t);
    const vHat = v[i] / (1 - b2 ** t);
    return theta - (config.lr / (Math.sqrt(vHat) + eps)) * mHat;
  });
  return { params: next, state: { m, v, t } };`;

/** The label of the public probe, one per adaptive rule, on which eps's place shows. */
const EPS_PLACE_LABEL = "the first step with gradients of order 1e-3, where the place of eps (inside or outside the root) shows";

const fullMarks = Object.fromEntries(spec.questions.map((q) => [q.id, q.points]));

/** The cells that run the race, one surface each. */
const RACE_CELLS = ["race", "race-rosenbrock", "race-saddle"];

describe("notebook 03_gradient_descent", function () {
  this.timeout(20 * 60 * 1000);

  describe("the master through the real tslab kernel", () => {
    let nb: ExecutedNotebook;
    before(async () => {
      nb = await executedMaster("03_gradient_descent.ipynb");
    });

    it("runs every cell, the race included, without an error or stderr output", () => {
      expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
      const noisy = nb.cells.filter((c) => c.cell_type === "code" && streamText(c, "stderr").trim() !== "");
      expect(noisy.map((c) => `${c.id}: ${streamText(c, "stderr")}`)).to.deep.equal([]);
    });

    it("reaches the issue's end points on the bowl f = 0.1 x1^2 + 2 x2^2 after 20 steps", () => {
      const out = streamText(cellById(nb, "trajectories-run"), "stdout");
      // The cell prints six decimals, so the tolerance is half a unit in the last place.
      expectPoint(endPointIn(out, "GD, lr 0.4"), [-0.943467, -0.000073], 5e-7, "GD lr 0.4");
      expectPoint(endPointIn(out, "momentum, lr 0.6, gamma 0.5"), [0.007188, 0.002553], 5e-7, "momentum");
      expectPoint(endPointIn(out, "AdaGrad, lr 0.4"), [-2.382562, -0.158591], 5e-7, "AdaGrad");
      expectPoint(endPointIn(out, "RMSProp, lr 0.4, gamma 0.9"), [-0.010598, 0], 5e-7, "RMSProp");
      expect(Math.abs(endPointIn(out, "GD, lr 0.6")[1]), "GD lr 0.6 diverges").to.be.greaterThan(1000);
    });

    it("shows that one batch step is theta - lr * mean gradient and that mini-batch with n = N is batch GD to the last bit", () => {
      expect(streamText(cellById(nb, "gd-step-check"), "stdout")).to.include("equals theta - lr * mean gradient: true");
      const out = streamText(cellById(nb, "batch-equals-minibatch"), "stdout");
      expect(out).to.include("identical to the last bit: true");
    });

    it("prints Adam's check value from -0.40094747 to 0.59801459", () => {
      expect(streamText(cellById(nb, "adam-check"), "stdout")).to.include("adam next_w: -0.40094747 ... 0.59801459");
    });

    it("agrees with every tf.train optimizer to float32 precision, and the control shows a real difference", () => {
      const out = streamText(cellById(nb, "tfjs-crosscheck"), "stdout");
      const errors = [...out.matchAll(/^tf\.train\.(\S+).*max rel\. error ([0-9.e+-]+)$/gm)].map((m) => ({ name: m[1], err: Number(m[2]) }));
      expect(errors.map((e) => e.name)).to.deep.equal(["sgd(0.4)", "momentum(0.1,", "momentum(0.1,", "adagrad(0.4)", "rmsprop(0.1,", "adam(0.1,"]);
      for (const e of errors) expect(e.err, e.name).to.be.lessThan(1e-4);
      const control = /control, .* max rel\. error ([0-9.e+-]+)/.exec(out);
      expect(control, out).to.not.equal(null);
      expect(Number(control![1])).to.be.greaterThan(1e-3);
    });

    it("draws the batch-size charts, the bowl's paths and, for each surface, an animated race with six paths plus a loss chart", () => {
      expect(plotOutputs(cellById(nb, "batch-sizes-plot").outputs)).to.have.length(2);
      const bowl = plotOutputs(cellById(nb, "trajectories-plot").outputs);
      expect(bowl).to.have.length(1);
      expect(figureOf(bowl[0]).data.map((t) => t.type)).to.deep.equal(["contour", "scatter", "scatter", "scatter", "scatter"]);
      // One cell per surface, so that no output grows into the classic Notebook's scroll box.
      const race = RACE_CELLS.flatMap((id) => plotOutputs(cellById(nb, id).outputs));
      RACE_CELLS.forEach((id) => expect(plotOutputs(cellById(nb, id).outputs), id).to.have.length(2));
      race.forEach((output, i) => {
        const fig = figureOf(output);
        if (i % 2 === 0) {
          expect(fig.frames?.length ?? 0, `race ${i} frames`).to.be.greaterThan(10);
          // The surface is drawn as contour lines (scatter traces), which survive the animation.
          expect(fig.data.filter((t) => t.name === "contours").length, `race ${i} contour lines`).to.be.greaterThan(10);
          expect(fig.data.filter((t) => t.type === "scatter" && t.name !== "contours").length).to.be.at.least(12);
        } else {
          expect(fig.data).to.have.length(6);
        }
      });
    });

    it("starts the race with the sweep's best rates on Beale and Rosenbrock", () => {
      const sweep = streamText(cellById(nb, "lr-sweep"), "stdout");
      const settings = sourceOf(nb, "race-settings");
      for (const surface of ["beale", "rosenbrock"]) {
        const block = sweep.split(`${surface}:`)[1].split(/\n\S/)[0];
        const row = new RegExp(`^\\s*${surface}:\\s*\\{(.*)\\},?$`, "m").exec(settings);
        expect(row, settings).to.not.equal(null);
        for (const m of block.matchAll(/^\s+(\S+)\s+lr (\S+)/gm)) {
          expect(row![1], `${surface} ${m[1]}`).to.match(new RegExp(`\\b${m[1]}: ${m[2].replace(".", "\\.")}\\b`));
        }
      }
    });

    it("backs the closing advice: Adam wins Beale, GD and AdaGrad stall at the saddle, the others escape", () => {
      const out = RACE_CELLS.map((id) => streamText(cellById(nb, id), "stdout")).join("");
      const beale = out.split("rosenbrock")[0];
      const losses = [...beale.matchAll(/^\s+(\S+) \(lr [^)]+\)\s+f = ([0-9.e+-]+)/gm)].map((m) => ({ name: m[1], f: Number(m[2]) }));
      expect(losses).to.have.length(6);
      const best = losses.reduce((a, b) => (b.f < a.f ? b : a));
      expect(best.name).to.equal("Adam");
      const saddle = out.split(/^saddle$/m)[1];
      for (const name of ["GD", "AdaGrad"]) expect(saddle).to.match(new RegExp(`^\\s+${name} \\(lr 0\\.01\\)\\s+still near the saddle`, "m"));
      for (const name of ["momentum", "Nesterov", "RMSProp", "Adam"]) {
        const m = new RegExp(`^\\s+${name} \\(lr 0\\.01\\)\\s+f < -1 after (\\d+) steps`, "m").exec(saddle);
        expect(m, `${name} escapes`).to.not.equal(null);
        expect(Number(m![1])).to.be.within(60, 90);
      }
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
      const [, gd04, gd06] = publicGot(result, "gd-step");
      expectPoint(gd04, [-0.943467, -7.31e-5], 5e-7, "GD lr 0.4");
      expect(Math.abs((gd06 as number[])[1])).to.be.greaterThan(1000);
      expectPoint(publicGot(result, "momentum-step")[1], [0.007188, 0.002553], 5e-7, "momentum");
      expectPoint(publicGot(result, "adagrad-step")[1], [-2.3825624, -0.15859055], 5e-9, "AdaGrad");
      expectPoint(publicGot(result, "rmsprop-step")[1], [-0.01059798, 0], 5e-9, "RMSProp");
      const adam = publicGot(result, "adam-step")[0] as { params: number[]; t: number };
      expect(adam.params).to.have.length(20);
      expect(adam.params[0]).to.be.closeTo(-0.40094747, 5e-9);
      expect(adam.params[19]).to.be.closeTo(0.59801459, 5e-9);
      expect(adam.t, "t is incremented before use").to.equal(6);
      expect((publicGot(result, "adam-step")[1] as { t: number }).t).to.equal(1);
    });

    it("has mini-batch with n = N give exactly the numbers of batch gradient descent", () => {
      // Batch GD on the probe's own inputs: theta <- theta - lr * mean over all rows of (theta - a_i).
      const inputs = publicInputs(result, "minibatch-gd", 3) as { A: number[][]; theta0: number[] };
      const theta = inputs.theta0.slice();
      for (let epoch = 0; epoch < 4; epoch++) {
        const g = theta.map((t, j) => inputs.A.reduce((s, row) => s + (t - row[j]), 0) / inputs.A.length);
        g.forEach((gj, j) => (theta[j] = theta[j] - 0.2 * gj));
      }
      expect(publicGot(result, "minibatch-gd")[3]).to.deep.equal(theta);
    });

    it("has hidden probes for every question, and several carried steps for every stateful rule", () => {
      for (const q of spec.questions) expect(q.probes.some((p) => p.hidden), q.id).to.equal(true);
      for (const id of ["momentum-step", "nesterov-step", "adagrad-step", "rmsprop-step", "adam-step"]) {
        const q = spec.questions.find((x) => x.id === id)!;
        expect(q.probes.filter((p) => p.hidden && /successive steps/.test(p.label ?? "")).length, id).to.equal(2);
      }
    });
  });

  describe("a wrong implementation loses exactly that question's points", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-03-"));
    });
    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("Adam that uses its step counter before incrementing it scores 0 on adam-step, full marks elsewhere", async () => {
      const file = mutatedMaster(MASTER, dir, "adam-impl", "const t = (state.t ?? 0) + 1;", "const t = state.t ?? 0;");
      const result = await gradeNotebook(spec, file);
      expect(result.status).to.equal("graded");
      expect(scores(result)).to.deep.equal({ ...fullMarks, "adam-step": 0 });
    });

    it("the lecture's formulas, typed as the lecture writes them, get full marks on AdaGrad, RMSProp and Adam", async () => {
      // eta / sqrt(G + eps) * g for AdaGrad and RMSProp, eta / (sqrt(v_hat) + eps) * m_hat for Adam, written
      // with map and ** rather than the master's loops, so the rounding differs from the master's.
      let file = withSolution(MASTER, dir, "adagradStep", LECTURE_ADAGRAD);
      file = withSolution(file, dir, "rmspropStep", LECTURE_RMSPROP);
      file = withSolution(file, dir, "adamStep", LECTURE_ADAM);
      const result = await gradeNotebook(spec, file);
      expect(result.status).to.equal("graded");
      expect(scores(result)).to.deep.equal(fullMarks);
    });

    it("eps on the other side of the root (PyTorch's place for AdaGrad and RMSProp, inside for Adam) passes the CS231n vectors but fails each rule's small-gradient probe", async () => {
      let file = mutatedMaster(MASTER, dir, "adagrad-impl", "Math.sqrt(cache[i] + eps)", "(Math.sqrt(cache[i]) + eps)");
      file = mutatedMaster(file, dir, "rmsprop-impl", "Math.sqrt(cache[i] + eps)", "(Math.sqrt(cache[i]) + eps)");
      file = mutatedMaster(file, dir, "adam-impl", "(Math.sqrt(v[i] / correction2) + eps)", "Math.sqrt(v[i] / correction2 + eps)");
      const result = await gradeNotebook(spec, file);
      expect(result.status).to.equal("graded");
      // With eps = 1e-8 the placement moves the CS231n results by at most 3e-7 (tolerance 1e-6); with
      // gradients of order 1e-3 the squares are only ~100 eps and the step changes by ~0.5%.
      for (const id of ["adagrad-step", "rmsprop-step", "adam-step"]) {
        const publicProbes = question(result, id).probes.filter((p) => !p.hidden);
        expect(publicProbes.filter((p) => !p.passed).map((p) => p.label), id).to.deep.equal([EPS_PLACE_LABEL]);
        expect(question(result, id).score, id).to.be.lessThan(fullMarks[id]);
      }
      expect({ ...scores(result), "adagrad-step": 0, "rmsprop-step": 0, "adam-step": 0 }).to.deep.equal({ ...fullMarks, "adagrad-step": 0, "rmsprop-step": 0, "adam-step": 0 });
    });

    it("the kit's old Adam (eps = 1e-6 inside the root) also fails the first step on the CS231n vectors (relative error 3.0e-5 > 1e-6)", async () => {
      const file = mutatedMaster(MASTER, dir, "adam-impl", "(Math.sqrt(v[i] / correction2) + eps)", "Math.sqrt(v[i] / correction2 + (config.eps ?? 1e-6))");
      const result = await gradeNotebook(spec, file);
      const adam = question(result, "adam-step");
      // the CS231n vectors at t = 5 pass, the first step and the eps-placement probe fail; the new-arrays probe (17.2) passes
      expect(adam.probes.filter((p) => !p.hidden).map((p) => p.passed)).to.deep.equal([true, false, false, true]);
      expect(adam.score).to.be.lessThan(fullMarks["adam-step"]);
    });

    it("mini-batch descent that forgets to sort each batch loses points on minibatch-gd only", async () => {
      const file = mutatedMaster(MASTER, dir, "minibatch-impl", ".slice(start, start + opts.batchSize).sort((a, b) => a - b);", ".slice(start, start + opts.batchSize);");
      const result = await gradeNotebook(spec, file);
      const got = scores(result);
      expect(got["minibatch-gd"]).to.be.lessThan(fullMarks["minibatch-gd"]);
      expect({ ...got, "minibatch-gd": fullMarks["minibatch-gd"] }).to.deep.equal(fullMarks);
    });
  });
});

/**
 * Issue 17.2: every mistake a notebook's text warns about is caught by a public probe, so that
 * check() shows it before the grader's hidden probes take the points.
 *
 * For each notebook, one variant of the shipped master carries all of that notebook's warned-about
 * mistakes (each in a different function). The variant is graded by the real grader: each mistake's
 * question loses points, and the public probe that names the mistake fails. The variant's cells up to
 * the last check involved then run through the real tslab kernel, where check() prints that probe
 * as failed (✗) next to its hint. The master passes every one of these probes.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { gradeNotebook, type NotebookResult, type QuestionResult } from "../../grader/judge/grade";
import type { NotebookJson } from "../../grader/core/notebook";
import { readNotebook, cellSource } from "../../grader/core/notebook";
import type { NotebookSpec, Probe } from "../../grader/core/spec";
import { spec as nb01 } from "../../grader/specs/01_activations";
import { spec as nb02 } from "../../grader/specs/02_mlp";
import { spec as nb03 } from "../../grader/specs/03_gradient_descent";
import { spec as nb04 } from "../../grader/specs/04_convolution";
import { spec as nb05 } from "../../grader/specs/05_fashion_mnist";
import { executeNotebook, streamText, type ExecutedNotebook } from "../support/kernel";
import { gradedMaster, masterPath, workFolder } from "../support/masters";

/** One edit of a master cell: `from` must occur exactly once in the cell. */
type Edit = [cell: string, from: string, to: string];

interface Mistake {
  /** The mistake, as the notebook's text warns about it. */
  what: string;
  edits: Edit[];
  /** The question that must lose points. */
  question: string;
  /** The label of the public probe that catches it. */
  probe: RegExp;
  /** The cell whose check() output must show the probe as failed. */
  checkCell: string;
}

interface NotebookCase {
  spec: NotebookSpec;
  mistakes: Mistake[];
}

/** Inside a rule of notebook 03: update the given state array in place and hand it back. */
function stateInPlace(cell: string, field: string, local: string): Edit {
  return [cell, `return { params: next, state: { ...state, ${field} } };`, `${local}.set(${field});\n  return { params: next, state: { ...state, ${field}: ${local} } };`];
}

const CASES: NotebookCase[] = [
  {
    spec: nb01,
    mistakes: [
      {
        what: "tanh written as the formula, which is Infinity / Infinity = NaN for |z| > 710",
        edits: [["tanh-impl", "const t = (1 - e) / (1 + e);\n  return z >= 0 ? t : -t;", "return (Math.exp(z) - Math.exp(-z)) / (Math.exp(z) + Math.exp(-z));"]],
        question: "tanh",
        probe: /^tanh at ±40, ±711 and ±900/,
        checkCell: "tanh-check",
      },
      {
        what: "ReLU'(0) = 1 (z >= 0 instead of z > 0)",
        edits: [["relu-impl", "return z > 0 ? 1 : 0;", "return z >= 0 ? 1 : 0;"]],
        question: "relu-grad",
        probe: /^reluGrad\(0\) at the kink/,
        checkCell: "relu-check",
      },
      {
        what: "leaky ReLU'(0) = 1",
        edits: [["relu-impl", "return z > 0 ? 1 : alpha;", "return z >= 0 ? 1 : alpha;"]],
        question: "leaky-relu-grad",
        probe: /^leakyReluGrad\(0, 0\.1\) at the kink/,
        checkCell: "relu-check",
      },
      {
        what: "softmaxBackward with its own softmax that exponentiates the scores directly",
        edits: [["softmax-impl", "const s = softmax(x);", "const ex = x.map((v) => Math.exp(v));\n  const total = ex.reduce((a, b) => a + b, 0);\n  const s = ex.map((v) => v / total);"]],
        question: "softmax-backward",
        probe: /^softmaxBackward\(\[1000, 1001, 1002\]/,
        checkCell: "softmax-check",
      },
    ],
  },
  {
    spec: nb02,
    mistakes: [
      {
        what: "a cross-entropy that exponentiates the scores without subtracting the maximum",
        edits: [
          [
            "softmax-loss-impl",
            "    const m = Math.max(...row);\n",
            "    const m = 0;\n",
          ],
        ],
        question: "softmax-loss",
        probe: /^loss and dscores for scores of ±1000/,
        checkCell: "softmax-loss-check",
      },
    ],
  },
  {
    spec: nb03,
    mistakes: [
      {
        what: "gdStep that steps the params in place",
        edits: [["gd-step-impl", "return { params: next, state };", "params.set(next);\n  return { params, state };"]],
        question: "gd-step",
        probe: /^gdStep twice with the same arguments/,
        checkCell: "gd-step-check",
      },
      {
        what: "minibatchGD that steps theta0 itself",
        edits: [
          ["minibatch-impl", "let theta = Float64Array.from(theta0);", "const theta = theta0;"],
          ["minibatch-impl", "      theta = next;", "      theta.set(next);"],
        ],
        question: "minibatch-gd",
        probe: /^theta0 is left unchanged/,
        checkCell: "minibatch-check",
      },
      { what: "momentum that updates the given velocity in place", edits: [stateInPlace("momentum-impl", "velocity", "v0")], question: "momentum-step", probe: /^momentumStep twice with the same arguments/, checkCell: "momentum-check" },
      { what: "Nesterov that updates the given velocity in place", edits: [stateInPlace("nesterov-impl", "velocity", "v0")], question: "nesterov-step", probe: /^nesterovStep twice with the same arguments/, checkCell: "nesterov-check" },
      { what: "AdaGrad that updates the given cache in place", edits: [stateInPlace("adagrad-impl", "cache", "c0")], question: "adagrad-step", probe: /^adagradStep twice with the same arguments/, checkCell: "adagrad-check" },
      { what: "RMSProp that updates the given cache in place", edits: [stateInPlace("rmsprop-impl", "cache", "c0")], question: "rmsprop-step", probe: /^rmspropStep twice with the same arguments/, checkCell: "rmsprop-check" },
      {
        what: "Adam that updates the given moments in place",
        edits: [["adam-impl", "return { params: next, state: { ...state, m, v, t } };", "m0.set(m);\n  v0.set(v);\n  return { params: next, state: { ...state, m: m0, v: v0, t } };"]],
        question: "adam-step",
        probe: /^adamStep twice with the same arguments/,
        checkCell: "adam-check",
      },
    ],
  },
  {
    spec: nb04,
    mistakes: [
      {
        what: "average pooling that counts the padded positions",
        edits: [["pool2d-impl", 'row.push(mode === "max" ? max : sum / count);', 'row.push(mode === "max" ? max : sum / (size * size));']],
        question: "pool2d",
        probe: /the average of the positions inside the input only/,
        checkCell: "pool2d-check",
      },
    ],
  },
  {
    spec: nb05,
    mistakes: [
      {
        what: "the MLP's layers built without the given seed",
        edits: [["mlp-impl", "const init = () => tf.initializers.glorotUniform({ seed: seed++ });", "const init = () => tf.initializers.glorotUniform({});"]],
        question: "build-mlp",
        probe: /^buildMlp\(1\) twice gives the same initial weights/,
        checkCell: "mlp-check",
      },
      {
        what: "the CNN's layers built without the given seed",
        edits: [["cnn-impl", "const init = () => tf.initializers.glorotUniform({ seed: seed++ });", "const init = () => tf.initializers.glorotUniform({});"]],
        question: "build-cnn",
        probe: /^buildCnn\(1\) twice gives the same initial weights/,
        checkCell: "cnn-check",
      },
    ],
  },
];

/** The master with every edit applied (each `from` must occur exactly once in its cell). */
function variant(master: string, edits: Edit[]): NotebookJson {
  const nb = JSON.parse(fs.readFileSync(master, "utf8")) as NotebookJson;
  for (const [id, from, to] of edits) {
    const cell = nb.cells.find((c) => c.id === id);
    if (!cell) throw new Error(`${path.basename(master)} has no cell ${id}`);
    const source = cellSource(cell);
    if (source.split(from).length !== 2) throw new Error(`cell ${id} does not hold exactly one ${JSON.stringify(from)}`);
    cell.source = source.replace(from, to);
  }
  return nb;
}

/** The notebook's cells up to `lastCell`, without those the grader skips (long training, big plots). */
function upTo(nb: NotebookJson, lastCell: string): NotebookJson {
  const end = nb.cells.findIndex((c) => c.id === lastCell);
  if (end < 0) throw new Error(`no cell ${lastCell}`);
  const cells = nb.cells.slice(0, end + 1).filter((c) => !(c.metadata?.tags ?? []).includes("skip-in-grader"));
  return { ...nb, cells };
}

/** The public probe of a question whose label matches, from the spec (exactly one must match). */
function publicProbe(spec: NotebookSpec, question: string, label: RegExp): Probe {
  const q = spec.questions.find((x) => x.id === question);
  if (!q) throw new Error(`no question ${question}`);
  const found = q.probes.filter((p) => !p.hidden && label.test(p.label ?? ""));
  expect(found, `public probes of ${question} labelled ${label}`).to.have.length(1);
  return found[0];
}

function resultOf(r: NotebookResult, id: string): QuestionResult {
  const q = r.questions.find((x) => x.id === id);
  if (!q) throw new Error(`no result for ${id}`);
  return q;
}

for (const { spec, mistakes } of CASES) {
  describe(`public probes of ${spec.notebook} catch the mistakes its text warns about (17.2)`, function () {
    this.timeout(30 * 60 * 1000);
    const master = masterPath(spec.notebook);
    let dir: string;
    let graded: NotebookResult;
    let executed: ExecutedNotebook;
    let masterResult: NotebookResult;

    before(async () => {
      dir = await workFolder("public-probes");
      const nb = variant(master, mistakes.flatMap((m) => m.edits));
      const file = path.join(dir, spec.notebook);
      fs.writeFileSync(file, JSON.stringify(nb, null, 1));
      readNotebook(file); // a broken edit must fail here, not look like a grading result
      // the kernel runs the variant up to the last check involved, in the order the notebook has them
      const lastCheck = nb.cells.map((c) => c.id).filter((id) => mistakes.some((m) => m.checkCell === id)).pop()!;
      const partial = path.join(dir, `partial-${spec.notebook}`);
      fs.writeFileSync(partial, JSON.stringify(upTo(nb, lastCheck), null, 1));
      [graded, executed, masterResult] = await Promise.all([gradeNotebook(spec, file), executeNotebook(partial, { cwd: dir }), gradedMaster(spec)]);
    });

    it("the master passes every one of these probes, with full marks", () => {
      expect(masterResult.score).to.equal(masterResult.maxScore);
      for (const m of mistakes) {
        const probe = publicProbe(spec, m.question, m.probe);
        const got = resultOf(masterResult, m.question).probes.find((p) => p.label === probe.label);
        expect(got?.passed, `${m.question}: ${probe.label}`).to.equal(true);
      }
    });

    it("the variant runs through the kernel up to its last check without an error (check() reports, it does not throw)", () => {
      expect(executed.metadata.nnkit_execution.error_cell).to.equal(null);
    });

    for (const m of mistakes) {
      it(`${m.what}: fails the public probe in the grader and in check(), with the hint`, () => {
        const probe = publicProbe(spec, m.question, m.probe);
        const q = resultOf(graded, m.question);
        expect(q.score, `${m.question} keeps ${q.score} of ${q.points}`).to.be.below(q.points);
        const result = q.probes.find((p) => p.label === probe.label);
        expect(result?.hidden, "the probe is public").to.equal(false);
        expect(result?.passed, `${probe.label}: ${result?.message ?? ""}`).to.equal(false);

        const cell = executed.cells.find((c) => c.id === m.checkCell);
        if (!cell) throw new Error(`no cell ${m.checkCell}`);
        const out = streamText(cell, "stdout");
        const question = spec.questions.find((x) => x.id === m.question)!;
        const block = out.slice(out.indexOf(`${m.question}: `));
        expect(block, `check("${m.question}") output`).to.include(`✗ ${probe.label}`);
        expect(block).to.include(`Hint: ${question.hint}`);
      });
    }
  });
}

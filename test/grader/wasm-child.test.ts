/**
 * The sandboxed child gets tfjs's wasm backend (issue 21.1). The sandbox's address-space limit
 * used to sit below what V8 reserves around a WebAssembly memory: each child then spent seconds
 * in emergency garbage collections and now and then fell back to the cpu backend, which changed
 * the numbers a notebook computed from one run to the next.
 */
import { expect } from "chai";
import { DEFAULT_LIMITS, runNotebook, type RunQuestion } from "../../grader/run/run";
import type { PlannedCell } from "../../grader/run/cells";
import { KIT_ROOT } from "../../grader/core/version";

function cell(id: string, source: string): PlannedCell {
  return { id, source, tags: [], origin: "submission" };
}

/** A setup cell as the masters have it, and the chosen backend as a top-level name. */
const SETUP = cell("setup", 'import * as tf from "@tensorflow/tfjs";\nimport { setupBackend } from "nnkit";\nconst choice = await setupBackend();\nconst sum = tf.tensor1d([1, 2, 3]).sum().arraySync();');

const QUESTIONS: RunQuestion[] = [
  { id: "backend", requires: ["choice", "sum"], probes: [
    { index: 0, js: "choice.name", inputs: {} },
    { index: 1, js: "tf.getBackend()", inputs: {} },
    { index: 2, js: "sum", inputs: {} },
  ] },
];

describe("grader: the sandboxed child's tfjs backend", function () {
  this.timeout(300_000);

  // Three children: under the former limit about every second one fell back to the cpu backend.
  for (const n of [1, 2, 3]) {
    it(`is wasm, in bubblewrap, with the tensors computed on it (child ${n} of 3)`, async () => {
      const run = await runNotebook(KIT_ROOT, [SETUP], QUESTIONS, DEFAULT_LIMITS);
      expect(run.status, run.reason).to.equal("ok");
      expect(run.cells[0].ok, run.cells[0].error).to.equal(true);
      expect(run.cells[0].stdout).to.match(/^tfjs backend: wasm \(1 thread\)/);
      const got = run.outcomes.get("backend");
      expect(got?.get(0)).to.deep.equal({ ok: true, value: "wasm" });
      expect(got?.get(1)).to.deep.equal({ ok: true, value: "wasm" });
      expect(got?.get(2)).to.deep.equal({ ok: true, value: 6 });
    });
  }
});

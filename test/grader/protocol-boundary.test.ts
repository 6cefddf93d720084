/**
 * What crosses into the sandboxed child (issue 15.1): the exact bytes written to its stdin while
 * every shipped master in notebooks/ is graded (the grading the other tests of the masters share,
 * which records them), searched for every probe's expected value.
 * Also: the child's encoder gives the same text as the rules of src/check.ts.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { loadSpecs, referenceFor } from "../../grader/judge/grade";
import { KIT_ROOT } from "../../grader/core/version";
import { encodePlain, toPlain, materializeInput, type EncodedInput, type PlainValue } from "../../src/check";
import { encodeResult, materializeInputs } from "../../grader/run/child/encode";
import { decodeOutcome, decodeReplyOutcome } from "../../grader/core/plain";
import type { Reference } from "../../grader/judge/expected";
import { gradedMaster, gradedMasterStdin } from "../support/masters";

/** Every number of a plain value. */
function numbers(v: PlainValue, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (Array.isArray(v)) for (const x of v) numbers(x, out);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) numbers(x, out);
  return out;
}

/**
 * The numbers written in a text, each as JSON writes it (and without its sign), so that a search
 * for thousands of values (a model's weights) is one set lookup each instead of a scan of the text.
 */
function numberTokens(text: string): Set<string> {
  const out = new Set<string>();
  for (const t of text.match(/-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g) ?? []) {
    out.add(t);
    if (t.startsWith("-")) out.add(t.slice(1));
  }
  return out;
}

/** A text searched for whole serialised values (by substring) and for single numbers (by token). */
class Haystack {
  private readonly numbers: Set<string>;
  constructor(readonly text: string) {
    this.numbers = numberTokens(text);
  }
  holds(form: Form): boolean {
    return form.kind === "number" ? this.numbers.has(form.form) || this.numbers.has(form.form.replace(/^-/, "")) : this.text.includes(form.form);
  }
}

interface Form {
  form: string;
  kind: "number" | "whole";
  hidden: boolean;
  where: string;
}

/**
 * The serialised forms of a reference's expected values that would betray it: each non-integer
 * number as JSON writes it (at least 6 characters, so not "0.5"), and each whole value whose JSON
 * is at least 16 characters. Forms that also occur in what the child legitimately receives (an
 * input, a cell, a conversion) are left out: relu(x) returns x's own numbers.
 */
function expectedForms(ref: Reference, legit: Haystack): Form[] {
  const out: Form[] = [];
  const seen = new Set<string>();
  const add = (f: Form): void => {
    if (seen.has(f.form) || legit.holds(f)) return;
    seen.add(f.form);
    out.push(f);
  };
  for (const q of ref.questions) {
    if (q.compare.kind === "output") continue; // graded output is the child's own printing, not a probe's value
    for (const p of q.probes) {
      if (!p.expected.ok) continue;
      const where = `${q.id} probe ${p.index}${p.hidden ? " (hidden)" : ""}`;
      const whole = JSON.stringify(encodePlain(p.expected.value));
      if (whole.length >= 16) add({ form: whole, kind: "whole", hidden: p.hidden, where });
      for (const n of numbers(p.expected.value)) {
        const text = JSON.stringify(n);
        if (Number.isFinite(n) && !Number.isInteger(n) && text.length >= 6) add({ form: text, kind: "number", hidden: p.hidden, where });
      }
    }
  }
  return out;
}

/** What the child may legitimately hold of a notebook: cells, probe code and inputs, conversions. */
function legitimate(ref: Reference): string {
  const parts: string[] = [JSON.stringify(ref.cells), JSON.stringify(ref.conversions)];
  for (const q of ref.questions) for (const p of q.probes) parts.push(p.js, JSON.stringify(p.inputs));
  return parts.join("\n");
}

describe("grader protocol: what crosses into the child", function () {
  this.timeout(1_800_000);
  const root = KIT_ROOT;
  const specs = loadSpecs();

  it("finds the shipped masters", () => {
    expect(specs.map((s) => s.notebook)).to.include.members(["01_activations.ipynb", "02_mlp.ipynb"]);
    for (const s of specs) expect(fs.existsSync(path.join(root, "notebooks", s.notebook)), s.notebook).to.equal(true);
  });

  for (const spec of loadSpecs()) {
    it(`grading ${spec.notebook}: no expected value of any probe, public or hidden, is written to the child's stdin`, async () => {
      // The grading shared with the other tests of the masters, which records what it writes to
      // its children's stdin (test/support/masters.ts).
      const [result, bytes] = await Promise.all([gradedMaster(spec), gradedMasterStdin(spec)]);
      expect(result.score, `${spec.notebook}: ${JSON.stringify(result.questions.map((q) => q.message))}`).to.equal(result.maxScore);
      const ref = await referenceFor(spec);
      const sent = bytes.toString("utf8");
      // The capture saw the run: every probe's code went through it.
      const probes = ref.questions.flatMap((q) => (q.compare.kind === "output" ? [] : q.probes));
      expect(probes.length).to.be.greaterThan(0);
      for (const p of probes) expect(sent, `probe code of ${p.expr}`).to.include(JSON.stringify(p.js).slice(1, -1));
      // One request per line, each with its own fresh nonce.
      const lines = sent.split("\n").filter((l) => l.length > 0);
      const nonces = lines.map((l) => (JSON.parse(l) as { nonce: string }).nonce);
      for (const n of nonces) expect(n).to.match(/^[0-9a-f]{32}$/);
      expect(new Set(nonces).size).to.equal(nonces.length);
      const forms = expectedForms(ref, new Haystack(legitimate(ref)));
      // Not vacuous: there are forms to look for, hidden ones among them, and the search finds
      // each of them in the stored reference (which holds the expected values).
      expect(forms.length, "expected values to search for").to.be.greaterThan(3);
      if (ref.questions.some((q) => q.compare.kind !== "output" && q.probes.some((p) => p.hidden))) {
        expect(forms.some((f) => f.hidden), "a hidden probe's expected value to search for").to.equal(true);
      }
      const stored = JSON.stringify(ref.questions.map((q) => q.probes.map((p) => (p.expected.ok ? encodePlain(p.expected.value) : null))));
      const inStored = new Haystack(stored);
      const inSent = new Haystack(sent);
      for (const f of forms) expect(inStored.holds(f), `the search finds ${f.where} in the reference`).to.equal(true);
      for (const f of forms) expect(inSent.holds(f), `${f.where}: ${f.form.slice(0, 80)} was sent to the child`).to.equal(false);
      for (const word of ['"expected"', '"hint"', '"compare"', '"label"', '"hidden"', '"points"', '"title"', '"rtol"', '"atol"']) {
        expect(sent.includes(word), `${word} in the bytes sent`).to.equal(false);
      }
    });
  }
});

describe("grader protocol: the child's encoder follows src/check.ts", () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const tensor = { shape: [2], dtype: "float32", arraySync: () => [1.5, NaN] };
  const values: [string, unknown][] = [
    ["numbers", [0, -0, 1.25, NaN, Infinity, -Infinity, 1e-300, 123456789.123]],
    ["nested", [[1, 2], [3, [4, 5]]]],
    ["strings and booleans", ["a\"b\n\u2028", true, false, null, undefined]],
    ["typed arrays", [new Float32Array([0.1, 2]), new Int8Array([-3, 4]), new BigInt64Array([5n]), new Uint8Array(0)]],
    ["bigint, symbol, function", [7n, Symbol("s"), function named() {}, () => 1]],
    ["map and set", [new Map<unknown, unknown>([["k", 1], [2, [3]], [{}, "obj"]]), new Set([1, "two", [3]])]],
    ["errors", [new Error("boom"), new RangeError("range")]],
    ["objects", { b: 1, a: { c: [1, NaN] }, 10: "ten", 2: "two", $nonfinite: "x" }],
    ["circular", circular],
    ["a tensor", tensor],
    ["a number", 3.75],
    ["undefined", undefined],
  ];
  for (const [name, v] of values) {
    it(`encodes ${name} as JSON.stringify(encodePlain(toPlain(v)))`, () => {
      expect(encodeResult(v)).to.equal(JSON.stringify(encodePlain(toPlain(v))));
    });
  }

  it("throws as toPlain does on values too deep or too large", () => {
    let deep: unknown[] = [];
    const top = deep;
    for (let i = 0; i < 80; i++) {
      const next: unknown[] = [];
      deep.push(next);
      deep = next;
    }
    expect(() => toPlain(top)).to.throw(/nested too deeply/);
    expect(() => encodeResult(top)).to.throw(/nested too deeply/);
    const disposed = { shape: [1], dtype: "float32", isDisposed: true, arraySync: () => [1] };
    expect(() => encodeResult(disposed)).to.throw(/disposed tensor/);
    expect(() => encodeResult(new Float64Array(5_000_001))).to.throw(/too large/);
  });

  it("materialises inputs as materializeInput does", () => {
    const inputs: Record<string, EncodedInput> = {
      n: { as: "number", value: 2.5 },
      a: { as: "array", value: [1, { $nonfinite: "NaN" }, { $nonfinite: "-Infinity" }] },
      m: { as: "nested", value: [[1, 2], [3, 4]] },
      f64: { as: "float64array", value: [0.1, { $nonfinite: "Infinity" }] },
      f32: { as: "float32array", value: [Math.fround(0.3), 2] },
      p: { as: "plain", value: { k: [1, "x"] } },
    };
    const mine = materializeInputs(JSON.stringify(inputs));
    for (const name of Object.keys(inputs)) expect(mine[name], name).to.deep.equal(materializeInput(inputs[name]));
    expect(mine.f64).to.be.instanceOf(Float64Array);
    expect(mine.f32).to.be.instanceOf(Float32Array);
    expect(() => materializeInputs(JSON.stringify({ x: { as: "array", value: [{ $nonfinite: "nope" }] } }))).to.throw(/bad non-finite tag/);
  });
});

describe("grader protocol: decoding a reply", () => {
  it("reads an outcome as decodeOutcome does, and rejects a __proto__ key anywhere in it", () => {
    const ok = { ok: true, value: [1, { a: { $nonfinite: "NaN" } }] };
    expect(decodeReplyOutcome(ok)).to.deep.equal(decodeOutcome(ok));
    expect(decodeReplyOutcome({ ok: false, error: "boom" })).to.deep.equal({ ok: false, error: "boom" });
    const forged = JSON.parse('{"ok":true,"value":[{"x":1,"__proto__":{"y":2}}]}') as unknown;
    expect(() => decodeReplyOutcome(forged)).to.throw(/__proto__/);
    expect(() => decodeReplyOutcome({ ok: "yes" })).to.throw(/malformed/);
  });
});

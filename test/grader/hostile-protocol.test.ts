/**
 * Hostile notebooks against the boundary between the grader and the sandboxed child (issues 15.1,
 * 22.2, 22.3b, 22.4). Each is graded next to the untouched stub (the released student version of
 * the fixture master) or the master, and must score exactly what that does.
 */
import { expect } from "chai";
import { gradeNotebook, referenceFor, type GradeOptions, type NotebookResult } from "../../grader/judge/grade";
import type { PlainValue } from "../../src/check";
import type { NotebookJson } from "../../grader/core/notebook";
import type { Reference } from "../../grader/judge/expected";
import { spec } from "../fixtures/grader/spec";
import { FIXTURE_OPTIONS, TempDir, fixtureMaster } from "./fixture";
import { answers, exercises, scores, stub, studentVisible, withCells } from "./hostile-helpers";

describe("grader: hostile notebooks against the runner's protocol", function () {
  this.timeout(1_200_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());
  const grade = (nb: NotebookJson, opts: GradeOptions = FIXTURE_OPTIONS): Promise<NotebookResult> => gradeNotebook(spec, tmp.write(nb), opts);
  let ref: Reference;
  let stubResult: NotebookResult;
  let masterResult: NotebookResult;

  before(async () => {
    ref = await referenceFor(spec, FIXTURE_OPTIONS);
    stubResult = await grade(stub());
    masterResult = await grade(fixtureMaster());
    expect(masterResult.score).to.equal(masterResult.maxScore);
    expect(stubResult.score).to.be.lessThan(masterResult.maxScore);
  });

  it("forged replies written to the result channel ahead of the real ones (cells, timers, functions) are ignored and counted", async () => {
    const forge = String.raw`
const fs = require("fs");
const answers: Record<string, unknown[]> = ${JSON.stringify(answers(ref))};
const nonces = ["", "0".repeat(32), require("crypto").randomBytes(16).toString("hex"), "undefined"];
(globalThis as any).__forge = () => {
  for (const nonce of nonces) {
    fs.writeSync(3, JSON.stringify({ t: "names", nonce, types: { square: "function", dot: "function", logSumExp: "function" } }) + "\n");
    for (const [question, list] of Object.entries(answers)) list.forEach((value, index) => {
      fs.writeSync(3, JSON.stringify({ t: "probe", nonce, question, index, outcome: { ok: true, value }, printed: 0 }) + "\n");
    });
    fs.writeSync(3, JSON.stringify({ t: "cell", nonce, ok: true, stdout: "sum of squares: 14\n", stderr: "", dropped: 0, conversions: [] }) + "\n");
  }
};
(globalThis as any).__forge();
setInterval(() => { try { (globalThis as any).__forge(); } catch {} }, 5);
`;
    const nb = withCells(exercises(stub(), '(globalThis as any).__forge?.();\n  throw new Error("not implemented");'), ["forge", forge]);
    const r = await grade(nb);
    expect(r.cells.find((c) => c.id === "forge")!.ok).to.equal(true);
    expect(scores(r)).to.deep.equal(scores(stubResult));
    expect((r.instructorNotes ?? []).join("\n")).to.match(/tampering: \d+ line\(s\) on the result channel answered no request/);
    expect(r.log).to.not.match(/tampering/);
  });

  /** Patches of what a runner uses to read, encode and send; `forging` ones turn failures into the master's answers. */
  function patches(forging: boolean): string {
    return String.raw`
const g: any = globalThis;
const RA = Reflect.apply;
const log = console.log;
const answers: Record<string, unknown[]> = ${JSON.stringify(answers(ref))};
const first = Object.values(answers)[0][0];
const pick = (v: any) => (v && answers[v.question] ? answers[v.question][v.index] : first);
const forge = (v: any) => (v && typeof v === "object" && "outcome" in v ? { ...v, outcome: { ok: true, value: pick(v) } } : v);
const realStringify = JSON.stringify;
const tries: string[] = [];
const attempt = (name: string, f: () => void) => { try { f(); tries.push(name); } catch (e) { tries.push(name + " refused"); } };
attempt("JSON.stringify", () => { (JSON as any).stringify = function (v: any, ...r: any[]) { return RA(realStringify, JSON, [forge(v), ...r]); } as any; });
attempt("toJSON", () => Object.defineProperty(Object.prototype, "toJSON", { value: function (this: any) { return forge(this); }, configurable: true, writable: true }));
attempt("probe slot", () => Object.defineProperty(Object.prototype, "__nnkit_probe__", { get() { return () => first; }, set() {}, configurable: true }));
attempt("fs.writeSync", () => {
  const fs = require("fs");
  const real = fs.writeSync;
  fs.writeSync = function (fd: number, data: any, ...rest: any[]) {
    if (fd === 3 && typeof data === "string") data = data.replace(/"outcome":\{"ok":false,"error":"(?:[^"\\]|\\.)*"\}/g, '"outcome":{"ok":true,"value":' + realStringify(first) + "}");
    return RA(real, fs, [fd, data, ...rest]);
  };
});
attempt("vm.Script", () => { require("vm").Script.prototype.runInThisContext = function () { return first; }; });
attempt("vm.runInThisContext", () => { const vm = require("vm"); const real = vm.runInThisContext; vm.runInThisContext = function (code: string, o: any) { return /__nnkit/.test(code) ? () => first : RA(real, vm, [code, o]); }; });
attempt("Object.keys", () => { (Object as any).keys = () => ["forged"]; });
attempt("Array.isArray", () => { (Array as any).isArray = () => false; });
attempt("Number.isFinite", () => { (Number as any).isFinite = () => false; });
attempt("Math.abs", () => { (Math as any).abs = () => 0; });
attempt("console", () => { (console as any).log = () => undefined; (console as any).error = () => undefined; });
attempt("process.exit", () => { (process as any).exit = () => undefined; });
attempt("Buffer.from", () => { const real = Buffer.from; (Buffer as any).from = function (...a: any[]) { return RA(real, Buffer, typeof a[0] === "string" ? [a[0].replace(/"ok":false/g, '"ok":true'), ...a.slice(1)] : a); }; });
attempt("String.prototype.slice", () => { (String.prototype as any).slice = function () { return "forged"; }; });
attempt("RegExp.prototype.exec", () => { (RegExp.prototype as any).exec = function () { return null; }; });
attempt("Promise.prototype.then", () => { const real = Promise.prototype.then; (Promise.prototype as any).then = function (this: any, ok: any, err: any) { return RA(real, this, [(v: any) => ok && ok(forge(v)), err]); }; });
${forging ? String.raw`
attempt("Array.prototype.map", () => { (Array.prototype as any).map = function () { return [first]; }; });
attempt("Array index setter", () => Object.defineProperty(Array.prototype, "0", { get() { return first; }, set() {}, configurable: true }));
attempt("Array iterator", () => { (Array.prototype as any)[Symbol.iterator] = function* () { yield first; }; });
` : String.raw`
attempt("Array.prototype.map", () => { const real = Array.prototype.map; (Array.prototype as any).map = function (this: any, f: any, t: any) { return String(f).includes("v * v") ? RA(real, this, [f, t]) : RA(real, this, [() => 0]); }; });
`}
attempt("Function.prototype.call", () => { (Function.prototype as any).call = function () { return first; }; });
attempt("Function.prototype.apply", () => { (Function.prototype as any).apply = function () { return first; }; });
attempt("Reflect.apply", () => { (Reflect as any).apply = () => first; });
log("patched: " + tries.join(", "));
`;
  }

  /** The patches the cell made (it prints them): the test is not vacuous. */
  function patched(r: NotebookResult): string {
    const cell = r.cells.find((c) => c.id === "patch")!;
    expect(cell.ok, cell.error).to.equal(true);
    const line = /patched: (.*)/.exec(r.log);
    expect(line, r.log).to.not.equal(null);
    for (const name of ["JSON.stringify", "toJSON", "probe slot", "fs.writeSync", "Object.keys", "Array.isArray", "Array.prototype.map", "Function.prototype.call", "Reflect.apply"]) {
      expect(line![1].split(", "), name).to.include(name);
    }
    return line![1];
  }

  it("patched built-ins (JSON, Object.keys, Array methods, Math, Object.prototype slots, fs, vm, console, process.exit) do not turn a stub's failures into answers", async () => {
    const r = await grade(withCells(stub(), ["patch", patches(true)]));
    patched(r);
    expect(r.status).to.equal("graded");
    expect(scores(r)).to.deep.equal(scores(stubResult));
  });

  it("patched built-ins do not change what the runner reports for the master's functions", async () => {
    const r = await grade(withCells(fixtureMaster(), ["patch", patches(false)]));
    expect(r.status).to.equal("graded");
    expect(scores(r)).to.deep.equal(scores(masterResult));
    const got = (x: NotebookResult) => x.questions.map((q) => q.probes.map((p) => p.got));
    expect(got(r)).to.deep.equal(got(masterResult));
    patched(r);
  });

  it("what a function prints while a hidden probe runs (stdout, stderr, fd 1 and 2) reaches nothing a student sees", async () => {
    const print = String.raw`if (args[0].length !== 3) {
    const text = "ARGS " + JSON.stringify(args.map((a: any) => Array.from(a)));
    console.log(text);
    console.error(text);
    process.stdout.write(text + "\n");
    process.stderr.write(text + "\n");
    require("fs").writeSync(1, text + "\n");
    require("fs").writeSync(2, text + "\n");
  }`;
    const nb = fixtureMaster();
    const square = nb.cells.find((c) => c.id === "square-impl")!;
    square.source = (Array.isArray(square.source) ? square.source.join("") : square.source).replace("calls++;", `calls++;\n  const args: any[] = [x];\n  ${print}`);
    const dot = nb.cells.find((c) => c.id === "dot-impl")!;
    dot.source = (Array.isArray(dot.source) ? dot.source.join("") : dot.source).replace("{\n", `{\n  const args: any[] = [a, b];\n  ${print}\n`);
    const r = await grade(nb);
    expect(scores(r)).to.deep.equal(scores(masterResult));
    // Not vacuous: the functions did print, and the instructor is told how much.
    const notes = (r.instructorNotes ?? []).join("\n");
    expect(notes).to.match(/printed \d+ character\(s\) while its probes ran/);
    expect(notes).to.match(/\d+ byte\(s\) were written straight to the child's stdout\/stderr/);
    const visible = studentVisible(r);
    const hidden = ref.questions.flatMap((q) => q.probes.filter((p) => p.hidden).map((p) => ({ q: q.id, inputs: p.inputs })));
    expect(hidden.length).to.be.greaterThan(1);
    let searched = 0;
    for (const h of hidden) {
      for (const [name, input] of Object.entries(h.inputs)) {
        const value = input.value as PlainValue;
        const forms = [JSON.stringify(value), ...(Array.isArray(value) ? value.flat(3).filter((n) => typeof n === "number" && !Number.isInteger(n)).map((n) => JSON.stringify(n)).filter((t) => t.length >= 8) : [])];
        for (const form of forms) {
          searched++;
          expect(visible.includes(form), `hidden input ${name} of ${h.q} (${form.slice(0, 60)}) is shown to the student`).to.equal(false);
        }
      }
    }
    expect(searched).to.be.greaterThan(5);
    expect(visible).to.not.include("ARGS ");
  });
});

/**
 * test/support/shared-once.ts, with real processes as `mocha --parallel` has them: several
 * processes ask for one result at once, one computes it, the others get a structured clone of it;
 * a failure reaches every asker; a process waiting on an owner that died is told so.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { computedKeys } from "../support/shared-once";

const ROOT = path.resolve(__dirname, "../..");
const SHARED_ONCE = path.join(ROOT, "test", "support", "shared-once.ts");

interface Asker {
  pid: number;
  /** Resolves with the process's stdout once it exits with code 0 (rejects otherwise). */
  done: Promise<string>;
  /** Resolves once the process has printed `line`. */
  printed: (line: string) => Promise<void>;
  kill: () => void;
}

/**
 * A process that asks sharedOnce(key) for a result whose computation waits for the file `go` in
 * `dir` (so that the others ask while it runs), then returns `result` (a JS expression) or throws.
 */
function asker(runDir: string, dir: string, key: string, result: string): Asker {
  const script = `
    const fs = require("fs"), path = require("path");
    const { sharedOnce } = require(${JSON.stringify(SHARED_ONCE)});
    const go = path.join(${JSON.stringify(dir)}, "go");
    const untilGo = () => new Promise((resolve) => {
      const w = fs.watch(${JSON.stringify(dir)}, () => { if (fs.existsSync(go)) { w.close(); resolve(); } });
      if (fs.existsSync(go)) { w.close(); resolve(); }
    });
    console.log("asking");
    sharedOnce(${JSON.stringify(key)}, async () => {
      fs.appendFileSync(path.join(${JSON.stringify(dir)}, "computed"), process.pid + "\\n");
      console.log("computing");
      await untilGo();
      return ${result};
    }).then(
      (v) => console.log("got " + require("v8").serialize(v).toString("base64")),
      (e) => console.log("failed " + e.message),
    );`;
  const child = spawn(process.execPath, ["-r", "tsx/cjs", "-e", script], { cwd: ROOT, env: { ...process.env, NNKIT_TEST_RUN_DIR: runDir }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters: { line: string; resolve: () => void }[] = [];
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) {
      if (out.split("\n").includes(w.line)) w.resolve();
      else waiters.push(w);
    }
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.on("exit", (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code ?? signal}: ${err}`))));
  });
  return {
    pid: child.pid!,
    done,
    printed: (line) => (out.split("\n").includes(line) ? Promise.resolve() : new Promise((resolve) => waiters.push({ line, resolve }))),
    kill: () => child.kill("SIGKILL"),
  };
}

function gotValue(out: string): unknown {
  const line = out.split("\n").find((l) => l.startsWith("got "));
  if (!line) throw new Error(`no result in ${out}`);
  return require("v8").deserialize(Buffer.from(line.slice(4), "base64")) as unknown;
}

describe("sharedOnce: one result per test run, across mocha's processes", function () {
  this.timeout(120_000);
  let runDir: string;
  let dir: string;
  beforeEach(() => {
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-shared-once-run-"));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-shared-once-"));
  });
  afterEach(() => {
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("computes once while three processes ask, and gives each the same value (NaN, undefined and typed arrays kept)", async () => {
    const value = "({ pid: process.pid, nan: NaN, none: undefined, xs: Float64Array.of(1.5, -2) })";
    const askers = [0, 1, 2].map(() => asker(runDir, dir, "k", value));
    await Promise.all(askers.map((a) => a.printed("asking")));
    await Promise.race(askers.map((a) => a.printed("computing")));
    fs.writeFileSync(path.join(dir, "go"), "");
    const outs = await Promise.all(askers.map((a) => a.done));
    const computed = fs.readFileSync(path.join(dir, "computed"), "utf8").trim().split("\n").map(Number);
    expect(computed, "computed by exactly one process").to.have.length(1);
    expect(askers.map((a) => a.pid)).to.include(computed[0]);
    // The run's own list of computations (what NNKIT_TEST_TIMES reports) says the same.
    expect(computedKeys(runDir)).to.deep.equal(["k"]);
    for (const out of outs) {
      const v = gotValue(out) as { pid: number; nan: number; none: undefined; xs: Float64Array };
      expect(v.pid).to.equal(computed[0]);
      expect(Number.isNaN(v.nan)).to.equal(true);
      expect(v).to.have.property("none", undefined);
      expect(v.xs).to.be.instanceOf(Float64Array);
      expect([...v.xs]).to.deep.equal([1.5, -2]);
    }
  });

  it("gives every asker the failure when the computation throws", async () => {
    const askers = [0, 1].map(() => asker(runDir, dir, "k", "(() => { throw new Error('the master crashed'); })()"));
    await Promise.all(askers.map((a) => a.printed("asking")));
    await Promise.race(askers.map((a) => a.printed("computing")));
    fs.writeFileSync(path.join(dir, "go"), "");
    const outs = await Promise.all(askers.map((a) => a.done));
    for (const out of outs) expect(out).to.match(/^failed the master crashed/m);
    expect(fs.readFileSync(path.join(dir, "computed"), "utf8").trim().split("\n")).to.have.length(1);
  });

  it("tells a waiting process when the process computing the result dies without one", async () => {
    const owner = asker(runDir, dir, "k", "1");
    await owner.printed("computing");
    const waiter = asker(runDir, dir, "k", "2");
    await waiter.printed("asking");
    owner.kill();
    await owner.done.catch(() => undefined);
    const out = await waiter.done;
    expect(out).to.include(`failed the mocha process ${owner.pid} that was computing`);
    expect(out.split("\n"), "the waiter computed nothing itself").to.not.include("computing");
  });

  it("keeps different keys apart", async () => {
    const a = asker(runDir, dir, "a", "'A'");
    const b = asker(runDir, dir, "b", "'B'");
    await Promise.all([a.printed("computing"), b.printed("computing")]);
    fs.writeFileSync(path.join(dir, "go"), "");
    expect(gotValue(await a.done)).to.equal("A");
    expect(gotValue(await b.done)).to.equal("B");
    expect(computedKeys(runDir).sort()).to.deep.equal(["a", "b"]);
  });
});

// setupBackend's choice, its one-line message, the env overrides and their
// errors. Each choice needs a fresh process: the wasm backend initialises once.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeBackend, requestedBackend, requestedThreads } from "../../src/backend";

const ROOT = path.resolve(__dirname, "../..");

/** Runs a snippet in a fresh Node process from TypeScript (tsx), returning its output. */
function runChild(code: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env.NNKIT_BACKEND === undefined) delete childEnv.NNKIT_BACKEND;
  if (env.NNKIT_THREADS === undefined) delete childEnv.NNKIT_THREADS;
  const r = spawnSync(process.execPath, ["-r", "tsx/cjs", "-e", code], {
    cwd: ROOT,
    env: childEnv,
    encoding: "utf8",
    // A pthread worker that kept Node alive would hit this instead of exiting.
    timeout: 240_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SETUP = `
const tf = require("@tensorflow/tfjs");
const { setupBackend } = require("./src/backend");
(async () => {
  const a = await setupBackend();
  const b = await setupBackend();
  const t = tf.tensor([1, 2, 3]).square().sum();
  console.log("same=" + (a === b) + " current=" + tf.getBackend() + " sum=" + t.dataSync()[0]);
})().catch((e) => { console.log("error: " + e.message); process.exit(3); });
`;

describe("setupBackend", function () {
  this.timeout(300_000);

  it("reads NNKIT_BACKEND and NNKIT_THREADS, and rejects bad values with a clear message", function () {
    expect(requestedBackend({}, {})).to.equal(null);
    expect(requestedBackend({}, { NNKIT_BACKEND: "cpu" })).to.equal("cpu");
    expect(requestedBackend({ backend: "wasm" }, { NNKIT_BACKEND: "cpu" })).to.equal("wasm");
    expect(() => requestedBackend({}, { NNKIT_BACKEND: "webgl" })).to.throw(/unknown tfjs backend "webgl".*tensorflow, wasm, cpu/);
    expect(requestedThreads({}, {})).to.equal(os.cpus().length);
    expect(requestedThreads({}, { NNKIT_THREADS: "3" })).to.equal(3);
    expect(requestedThreads({ threads: 1 }, { NNKIT_THREADS: "3" })).to.equal(1);
    expect(() => requestedThreads({}, { NNKIT_THREADS: "two" })).to.throw(/whole number >= 1, got "two"/);
    expect(() => requestedThreads({}, { NNKIT_THREADS: "0" })).to.throw(/whole number >= 1/);
  });

  it("formats the one-line summary", function () {
    expect(describeBackend({ name: "wasm", threads: 2, reason: "tfjs-node is not installed" })).to.equal(
      "tfjs backend: wasm (2 threads): tfjs-node is not installed",
    );
    expect(describeBackend({ name: "wasm", threads: 1, reason: "x" })).to.equal("tfjs backend: wasm (1 thread): x");
    expect(describeBackend({ name: "cpu", threads: 1, reason: "forced by NNKIT_BACKEND" })).to.equal("tfjs backend: cpu: forced by NNKIT_BACKEND");
  });

  it("picks threaded wasm without tfjs-node, prints one line once, and lets Node exit", function () {
    const r = runChild(SETUP);
    expect(r.status, r.stderr).to.equal(0);
    const threads = os.cpus().length;
    expect(r.stdout).to.equal(
      `tfjs backend: wasm (${threads} thread${threads === 1 ? "" : "s"}): tfjs-node is not installed\nsame=true current=wasm sum=14\n`,
    );
    expect(r.stderr).to.not.match(/looks like you are running TensorFlow\.js in Node\.js/);
  });

  it("writes the pthread worker into a private folder of its own, named by its content, never beside the notebooks", function () {
    // tslab watches the folders above a notebook: a file that appears or vanishes directly in
    // the temporary folder (where the tests' notebooks run) made kernels rebuild or die.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-pthread-"));
    try {
      const r = runChild(SETUP, { NNKIT_BACKEND: "wasm", NNKIT_THREADS: "2", TMPDIR: tmp });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^tfjs backend: wasm \(2 threads\)/);
      const uid = process.getuid ? process.getuid() : 0;
      // (tsx, which runs the snippet, keeps its cache there too)
      expect(fs.readdirSync(tmp).filter((n) => !n.startsWith("tsx-"))).to.deep.equal([`nnkit-${uid}`]);
      const dir = path.join(tmp, `nnkit-${uid}`);
      expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
      const files = fs.readdirSync(dir);
      expect(files).to.have.length(1);
      expect(files[0]).to.match(/^wasm-pthread-[0-9a-f]{16}\.js$/);
      // A second process finds the same file and leaves it as it is.
      const before = fs.statSync(path.join(dir, files[0])).mtimeMs;
      const again = runChild(SETUP, { NNKIT_BACKEND: "wasm", NNKIT_THREADS: "2", TMPDIR: tmp });
      expect(again.status, again.stderr).to.equal(0);
      expect(fs.readdirSync(dir)).to.deep.equal(files);
      expect(fs.statSync(path.join(dir, files[0])).mtimeMs).to.equal(before);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("falls back to one thread, saying why, when its folder is writable by others", function () {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-pthread-"));
    try {
      const uid = process.getuid ? process.getuid() : 0;
      const dir = path.join(tmp, `nnkit-${uid}`);
      fs.mkdirSync(dir);
      fs.chmodSync(dir, 0o777);
      const r = runChild(SETUP, { NNKIT_BACKEND: "wasm", NNKIT_THREADS: "2", TMPDIR: tmp });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.include(`tfjs backend: wasm (1 thread): forced by NNKIT_BACKEND; 1 thread: cannot write the pthread worker (${dir} belongs to another user or is writable by others)`);
      expect(r.stdout).to.include("current=wasm sum=14");
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("honours NNKIT_BACKEND=cpu without the tfjs-node banner", function () {
    const r = runChild(SETUP, { NNKIT_BACKEND: "cpu" });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("tfjs backend: cpu: forced by NNKIT_BACKEND\nsame=true current=cpu sum=14\n");
    expect(r.stderr).to.not.match(/looks like you are running/);
  });

  it("honours NNKIT_THREADS=1 on wasm", function () {
    const r = runChild(SETUP, { NNKIT_BACKEND: "wasm", NNKIT_THREADS: "1" });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("tfjs backend: wasm (1 thread): forced by NNKIT_BACKEND\nsame=true current=wasm sum=14\n");
  });

  it("fails clearly when tensorflow is forced but tfjs-node is missing, or the name is unknown", function () {
    const tfjsNode = (() => {
      try {
        require.resolve("@tensorflow/tfjs-node");
        return true;
      } catch {
        return false;
      }
    })();
    if (!tfjsNode) {
      const r = runChild(SETUP, { NNKIT_BACKEND: "tensorflow" });
      expect(r.status).to.equal(3);
      expect(r.stdout).to.match(/error: backend "tensorflow" was forced by NNKIT_BACKEND, but tfjs-node is not installed: npm install @tensorflow\/tfjs-node/);
    }
    const bad = runChild(SETUP, { NNKIT_BACKEND: "gpu" });
    expect(bad.status).to.equal(3);
    expect(bad.stdout).to.match(/error: unknown tfjs backend "gpu"/);
  });
});

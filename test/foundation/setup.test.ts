import { expect } from "chai";
import { spawnSync, SpawnSyncReturns } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const STAMP = path.join(ROOT, "node_modules", ".nnkit-lock-sha256");

/**
 * Where these runs register the kernel: a Jupyter data folder of their own, so that the test
 * neither changes the user's registration nor depends on it (another checkout of the kit may
 * have registered its kernel since, and may be running its tests now).
 */
const JUPYTER_DATA = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-setup-jupyter-"));
process.once("exit", () => fs.rmSync(JUPYTER_DATA, { recursive: true, force: true }));

function runSetup(args: string[] = [], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync("bash", [path.join(ROOT, "setup.sh"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, JUPYTER_DATA_DIR: JUPYTER_DATA, ...env },
    timeout: 15 * 60 * 1000,
  });
}

/** What setup.sh writes into its stamp when node_modules matches the lockfile. */
function expectedStamp(): string {
  const lockSha = createHash("sha256").update(fs.readFileSync(path.join(ROOT, "package-lock.json"))).digest("hex");
  return `${lockSha} node-abi-${process.versions.modules}`;
}

describe("setup.sh", function () {
  this.timeout(30 * 60 * 1000);

  it("changes nothing on a second run and says so, without rerunning npm ci", function () {
    // A first run here could start `npm ci` and delete the node_modules this test runs from.
    const stamp = fs.existsSync(STAMP) ? fs.readFileSync(STAMP, "utf8").trim() : "(missing)";
    expect(stamp, "node_modules does not match package-lock.json: run ./setup.sh before the tests").to.equal(expectedStamp());

    const first = runSetup();
    expect(first.status, first.stderr + first.stdout).to.equal(0);
    const stampTime = fs.statSync(STAMP).mtimeMs;

    const second = runSetup();
    expect(second.status, second.stderr + second.stdout).to.equal(0);
    expect(second.stdout).to.include("[npm] node_modules matches package-lock.json: nothing to install");
    expect(second.stdout).to.not.match(/running npm ci|npm ci done/);
    expect(second.stdout).to.include("[kernel] tslab kernel already registered");
    expect(second.stdout).to.match(/\[done\] nothing changed: everything was already set up/);
    expect(fs.statSync(STAMP).mtimeMs, "the lockfile stamp was rewritten").to.equal(stampTime);
  });

  it("records the Python that has Jupyter in .nnkit/python", function () {
    const py = fs.readFileSync(path.join(ROOT, ".nnkit", "python"), "utf8").trim();
    expect(path.isAbsolute(py), py).to.equal(true);
    const probe = spawnSync(py, ["-c", "import notebook, nbconvert, nbclient; print('ok')"], { encoding: "utf8" });
    expect(probe.stdout.trim(), probe.stderr).to.equal("ok");
  });

  it("fails naming the step and the file when a Fashion-MNIST file is damaged", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-fmnist-"));
    try {
      for (const f of ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]) {
        fs.writeFileSync(path.join(dir, f), "not the real data");
      }
      const run = runSetup([], { FASHION_MNIST_DIR: dir });
      expect(run.status).to.equal(1);
      expect(run.stderr).to.include(`${dir}/train-images-idx3-ubyte.gz is damaged`);
      expect(run.stderr).to.include('setup.sh: FAILED at step "fashion-mnist"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects an unknown option with a clear message", function () {
    const run = runSetup(["--no-such-option"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include("unknown option '--no-such-option'");
  });
});

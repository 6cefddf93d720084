/**
 * The student kit is a kit for students (issue 16.2): released from the shipped masters,
 * set up in a fresh folder (node_modules hard-linked from this work tree: offline and fast;
 * the kernel registered in a temporary JUPYTER_DATA_DIR, never the user's), Run All of every
 * notebook with the stubs through the real kernel, then `npm run check` and `npm run submit`.
 */
import AdmZip from "adm-zip";
import { expect } from "chai";
import { spawn, spawnSync, type SpawnSyncReturns } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KIT_ROOT } from "../../grader/core/version";
import { jupyterPython } from "../support/jupyter-python";
import { executeNotebook, streamText } from "../support/kernel";
import { readJson } from "../cli/helpers";

const KERNEL = "tslab-nn-exercises";

interface LockFile {
  packages: Record<string, { version?: string; optional?: boolean }>;
}

/** node_modules for the kit: exactly the packages of its lockfile, hard-linked from this work tree. */
function linkNodeModules(kit: string): void {
  const lock = readJson<LockFile>(path.join(kit, "package-lock.json"));
  const have: LockFile["packages"] = {};
  for (const [key, entry] of Object.entries(lock.packages)) {
    // top-level packages only: a nested one comes with its parent's folder
    if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(key)) continue;
    const from = path.join(KIT_ROOT, key);
    if (!fs.existsSync(from)) {
      expect(entry.optional, `${key} is in the kit's lockfile but not installed here`).to.equal(true);
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(kit, key)), { recursive: true });
    const r = spawnSync("cp", ["-al", from, path.join(kit, key)], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    have[key] = entry;
  }
  for (const [key, entry] of Object.entries(lock.packages)) if (key.includes("/node_modules/") && fs.existsSync(path.join(kit, key))) have[key] = entry;
  const r = spawnSync("cp", ["-a", path.join(KIT_ROOT, "node_modules", ".bin"), path.join(kit, "node_modules", ".bin")], { encoding: "utf8" });
  expect(r.status, r.stderr).to.equal(0);
  // npm's own record of what is installed, which setup.sh reads to adopt node_modules without npm ci
  fs.writeFileSync(path.join(kit, "node_modules", ".package-lock.json"), JSON.stringify({ name: "kit", lockfileVersion: 3, requires: true, packages: have }, null, 2));
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 1_200_000 });
}

function kernelArgv0(env: NodeJS.ProcessEnv, name: string): string {
  const r = run(jupyterPython(), ["-c", "import sys\nfrom jupyter_client.kernelspec import KernelSpecManager\nprint(KernelSpecManager().get_kernel_spec(sys.argv[1]).argv[0])", name], KIT_ROOT, env);
  return r.status === 0 ? r.stdout.trim() : `(none: ${r.stderr.trim().split("\n").pop()})`;
}

describe("the student kit, set up in a fresh folder", function () {
  this.timeout(3_600_000);
  // Not directly in /tmp: tslab's compiler watches the folders above a notebook for modules, and a
  // folder another process deletes in /tmp meanwhile has killed the kernel ("Unexpected pending
  // rebuildTimer" in tslab's converter). A folder of its own keeps that churn away.
  const base = path.join(os.homedir(), ".cache", "nnkit-tests");
  fs.mkdirSync(base, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(base, "student-kit-"));
  const kit = path.join(tmp, "kit");
  const jdata = path.join(tmp, "jupyter-data");
  const otherTslab = path.join(tmp, "other-course", "node_modules", ".bin", "tslab");
  const env: NodeJS.ProcessEnv = {
    JUPYTER_DATA_DIR: jdata,
    JUPYTER_PYTHON: jupyterPython(),
    FASHION_MNIST_DIR: "/usr/share/datasets/fashion-mnist",
    CI: "",
  };
  let kernel = KERNEL;
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("is released with a student README, a student package.json and a kit-named kernel", () => {
    const r = run(process.execPath, ["-r", "tsx/cjs", path.join(KIT_ROOT, "grader", "cli", "main.ts"), "release", "-o", kit], KIT_ROOT, {});
    expect(r.status, r.stderr).to.equal(0);
    const readme = fs.readFileSync(path.join(kit, "README.md"), "utf8");
    for (const step of ["./setup.sh", "npm start", "npm run check", "npm run submit"]) expect(readme, step).to.include(step);
    expect(readme).to.include(KERNEL);
    expect(readme).not.to.match(/\b(releas|grad(e|ing|er)\b|export|gradebook|Gradescope|instructor)/i);
    const pkg = readJson<Record<string, unknown> & { scripts: Record<string, string>; dependencies: Record<string, string> }>(path.join(kit, "package.json"));
    expect(Object.keys(pkg.scripts).sort()).to.deep.equal(["build", "check", "prepare", "start", "submit"]);
    expect(pkg).not.to.have.property("devDependencies");
    // exactly what the kit's own files import or its scripts run, at this kit's versions: a package
    // only the instructor's side uses (the gradebook's better-sqlite3, csv-parse and csv-stringify)
    // or only the tests use changes this list and fails here
    const rootPkg = readJson<{ dependencies: Record<string, string>; optionalDependencies: Record<string, string>; devDependencies: Record<string, string> }>(path.join(KIT_ROOT, "package.json"));
    const at = (names: string[], from: Record<string, string>): Record<string, string> => Object.fromEntries(names.map((n) => [n, from[n]]));
    expect(pkg.dependencies).to.deep.equal(at([
      "@tensorflow/tfjs", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-backend-wasm", "commander", "esbuild", "nnkit",
      "plotly.js-dist-min", "tslab", "tsx", "typescript", "yauzl", "yazl",
    ], rootPkg.dependencies));
    expect(pkg.optionalDependencies).to.deep.equal(at(["@tensorflow/tfjs-node"], rootPkg.optionalDependencies));
    // nor does npm ci in the kit install any of them
    const lock = readJson<{ packages: Record<string, unknown> }>(path.join(kit, "package-lock.json"));
    expect(lock.packages).to.have.property("node_modules/tslab");
    // two dev tools of this kit are also what a student package needs: tfjs-node (optional) depends
    // on adm-zip, and tslab on @types/node to type-check the notebooks
    const reachedByStudentPackages = ["adm-zip", "@types/node"];
    const graderOnly = ["better-sqlite3", "csv-parse", "csv-stringify", ...Object.keys(rootPkg.devDependencies).filter((n) => !reachedByStudentPackages.includes(n))];
    expect(graderOnly).to.include.members(["better-sqlite3", "mocha", "chai", "playwright-core"]);
    for (const n of graderOnly) expect(lock.packages, n).not.to.have.property(`node_modules/${n}`);
    for (const nb of fs.readdirSync(path.join(kit, "notebooks"))) {
      expect(readJson<{ metadata: { kernelspec: { name: string } } }>(path.join(kit, "notebooks", nb)).metadata.kernelspec.name).to.equal(KERNEL);
    }
    const setup = fs.readFileSync(path.join(kit, "setup.sh"), "utf8");
    expect(setup).to.include(`KIT_KERNEL="${KERNEL}"`);
    expect(setup).not.to.match(/build-checks|--e2e|chromium/);
    expect(fs.statSync(path.join(kit, "setup.sh")).mode & 0o777).to.equal(0o755);
  });

  it("setup.sh registers its own kernel and leaves the one another folder registered alone", () => {
    linkNodeModules(kit);
    // another course's kit registered the same name first
    fs.mkdirSync(path.dirname(otherTslab), { recursive: true });
    fs.writeFileSync(otherTslab, "#!/bin/sh\n", { mode: 0o755 });
    const spec = path.join(jdata, "kernels", KERNEL);
    fs.mkdirSync(spec, { recursive: true });
    fs.writeFileSync(path.join(spec, "kernel.json"), JSON.stringify({ argv: [otherTslab, "kernel", "--config-path", "{connection_file}"], display_name: "other", language: "typescript" }));

    const r = run("bash", ["setup.sh"], kit, env);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include("node_modules already matches package-lock.json");
    expect(r.stdout).to.match(new RegExp(`kernel ${KERNEL} belongs to another folder`));
    expect(kernelArgv0(env, KERNEL), "the other folder's kernel is untouched").to.equal(otherTslab);
    kernel = fs.readFileSync(path.join(kit, ".nnkit", "kernel"), "utf8").trim();
    expect(kernel).to.match(new RegExp(`^${KERNEL}-[0-9a-f]{8}$`));
    expect(kernelArgv0(env, kernel)).to.equal(path.join(kit, "node_modules", ".bin", "tslab"));
    for (const nb of fs.readdirSync(path.join(kit, "notebooks"))) {
      expect(readJson<{ metadata: { kernelspec: { name: string } } }>(path.join(kit, "notebooks", nb)).metadata.kernelspec.name, nb).to.equal(kernel);
    }
    expect(fs.existsSync(path.join(kit, "src", "dist", "index.js"))).to.equal(true);
    // a second run changes nothing
    const again = run("bash", ["setup.sh"], kit, env);
    expect(again.status, again.stdout + again.stderr).to.equal(0);
    expect(again.stdout).to.include(`kernel ${kernel} already registered`);
    expect(again.stdout).to.match(/nothing changed/);
  });

  it("npm start in a copied kit says in one line what to run; in the kit itself it serves the notebooks", async () => {
    const copy = path.join(tmp, "kit-copy");
    expect(run("cp", ["-a", kit, copy], tmp, {}).status).to.equal(0);
    const r = run("npm", ["start", "--silent"], copy, env);
    expect(r.status).to.not.equal(0);
    const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("npm start:"));
    expect(lines.length, r.stderr).to.equal(1);
    expect(lines[0]).to.match(/moved or copied kit\?\): run \.\/setup\.sh here, then npm start$/);
    fs.rmSync(copy, { recursive: true, force: true });

    // the kit itself: Jupyter starts with this kit's kernel as the default
    const child = spawn("npm", ["start", "--silent"], { cwd: kit, env: { ...process.env, ...env, NNKIT_NO_BROWSER: "1", NNKIT_PORT: "18931" }, detached: true });
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /open (http:\/\/127\.0\.0\.1:\d+\/tree\?token=\w+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("exit", (code) => reject(new Error(`npm start exited (${code}): ${out}`)));
    });
    expect(out).to.include(`with kernel ${kernel}`);
    // wait until the server answers, then stop it (its process group: npm, bash, python)
    let status = 0;
    for (let i = 0; i < 120 && status !== 200; i++) {
      status = await fetch(url).then((res) => res.status, () => 0);
      if (status !== 200) await new Promise((r2) => setTimeout(r2, 500));
    }
    process.kill(-(child.pid as number), "SIGTERM");
    expect(status).to.equal(200);
  });

  it("Run All of every notebook with the stubs runs through the kit's kernel up to the first exercise", async () => {
    for (const nb of fs.readdirSync(path.join(kit, "notebooks")).sort()) {
      const executed = await executeNotebook(path.join(kit, "notebooks", nb), { env });
      const failed = executed.metadata.nnkit_execution.error_cell;
      // the only failure a fresh kit may have: an exercise not implemented yet
      expect(failed, `${nb} ran to the end without reaching an exercise`).to.be.a("string");
      const cells = executed.cells.filter((c) => c.cell_type === "code" && c.execution_count);
      expect(cells.length, nb).to.be.greaterThan(1);
      const setupOut = streamText(cells[0], "stdout") + streamText(cells[0], "stderr");
      expect(setupOut, `${nb}: setup cell`).to.match(/tfjs backend: /);
      const failing = executed.cells.find((c) => c.id === failed);
      const text = JSON.stringify(failing?.outputs ?? []);
      // tslab writes a failing cell's error to stderr; nbclient may also keep an error output
      expect(text, `${nb}: cell ${failed}`).to.match(/not implemented/);
      // the error shows the notebook's own frames only, none of tslab's, Node's or the kit's nnkit (17.3)
      const frames = streamText(failing!, "stderr").split("\n").filter((l) => /^\s*at /.test(l));
      expect(frames.filter((l) => !/evalmachine|\(<anonymous>\)/.test(l)), `${nb}: frames of cell ${failed}`).to.deep.equal([]);
    }
  });

  it("npm run check reports every notebook's questions as not implemented, and npm run submit packs the notebooks", () => {
    const check = run("npm", ["run", "--silent", "check"], kit, env);
    const out = check.stdout + check.stderr;
    for (const nb of fs.readdirSync(path.join(kit, "notebooks"))) expect(out, nb).to.include(nb);
    expect(out).to.match(/not implemented/);
    expect(check.status, out).to.not.equal(0);

    const submit = run("npm", ["run", "--silent", "submit", "--", "--student", "ada", "--no-check"], kit, env);
    expect(submit.status, submit.stdout + submit.stderr).to.equal(0);
    const zipFile = path.join(kit, "nn-exercises-ada.zip");
    expect(submit.stdout).to.include(zipFile);
    expect(fs.statSync(zipFile).mode & 0o777).to.equal(0o644);
    const zip = new AdmZip(zipFile);
    const manifest = JSON.parse(zip.readAsText("manifest.json")) as { student: string; assignment: string; files: Record<string, string> };
    expect(manifest.student).to.equal("ada");
    expect(manifest.assignment).to.equal("nn-exercises");
    const names = fs.readdirSync(path.join(kit, "notebooks")).map((n) => `notebooks/${n}`).sort();
    expect(Object.keys(manifest.files).filter((f) => f.endsWith(".ipynb")).sort()).to.deep.equal(names);
    for (const n of names) {
      const bytes = zip.readFile(n) as Buffer;
      expect(crypto.createHash("sha256").update(bytes).digest("hex"), n).to.equal(manifest.files[n]);
      expect(bytes.equals(fs.readFileSync(path.join(kit, n))), n).to.equal(true);
    }
  });
});

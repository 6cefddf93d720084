/**
 * The exported Gradescope autograder, tested offline from a clean folder (issue 16.7): unzip
 * it, run its setup.sh with the one step that needs the internet (npm ci) stood in for by this
 * work tree's packages, then run_autograder on a submission. The runner and the expected
 * values are built by setup.sh, so the run builds nothing (the first run used to take 87 s).
 */
import AdmZip from "adm-zip";
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { GradescopeResults } from "../../grader/export/gradescope";
import { cellSource, type NotebookJson } from "../../grader/core/notebook";
import { packSubmission } from "../../grader/submit/submit";
import { KIT_ROOT } from "../../grader/core/version";
import { grader, readJson, tmpDir } from "../cli/helpers";

/** Every file under a folder with its size and modification time. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else {
        const st = fs.statSync(path.join(dir, r));
        out[r] = `${st.size} ${st.mtimeMs}`;
      }
    }
  };
  if (fs.existsSync(dir)) walk("");
  return out;
}

describe("the Gradescope autograder, offline from a clean folder", function () {
  this.timeout(3_600_000);
  const tmp = tmpDir("gradescope-offline");
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("sets up with the runner cache built, and grades a submission without building anything", async () => {
    const out = path.join(tmp, "export");
    const r = grader(["export", "gradescope", "-o", out]);
    expect(r.code, r.err).to.equal(0);
    const zipFile = path.join(out, "gradescope-autograder.zip");
    expect(fs.statSync(zipFile).mode & 0o777).to.equal(0o644);

    // Gradescope's layout: /autograder/{source,submission,results}
    const ag = path.join(tmp, "autograder");
    const source = path.join(ag, "source");
    new AdmZip(zipFile).extractAllTo(source, true, true);
    expect(fs.existsSync(path.join(source, ".cache"))).to.equal(false);
    // what npm ci would install, hard-linked (a symlink would put the packages outside the folder the sandbox allows)
    const cp = spawnSync("cp", ["-al", path.join(KIT_ROOT, "node_modules"), path.join(source, "node_modules")], { encoding: "utf8" });
    expect(cp.status, cp.stderr).to.equal(0);
    // stand-ins: npm ci (the internet step) is recorded; anything else that would go online fails loudly
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    const calls = path.join(tmp, "calls.log");
    // npm ci = the packages (hard-linked above) + the package's prepare script (builds src/dist, offline)
    fs.writeFileSync(path.join(bin, "npm"), `#!/bin/sh\necho "npm $*" >> "${calls}"\n[ "$1" = ci ] && exec node_modules/.bin/tsc -p src\n`, { mode: 0o755 });
    for (const tool of ["curl", "wget", "apt-get"]) fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${calls}"\nexit 97\n`, { mode: 0o755 });
    // setup.sh cds to /autograder/source: run a copy that cds to this folder instead
    const setup = fs.readFileSync(path.join(source, "setup.sh"), "utf8");
    expect(setup).to.match(/^cd \/autograder\/source$/m);
    fs.writeFileSync(path.join(tmp, "setup.sh"), setup.replace(/^cd \/autograder\/source$/m, `cd "${source}"`));
    const s = spawnSync("bash", [path.join(tmp, "setup.sh")], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 1_800_000 });
    expect(s.status, s.stdout + s.stderr).to.equal(0);
    expect(fs.readFileSync(calls, "utf8").trim().split("\n")).to.deep.equal(["npm ci --no-audit --no-fund"]);
    const notebooks = fs.readdirSync(path.join(source, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
    for (const nb of notebooks) expect(s.stdout).to.match(new RegExp(`${nb.replace(".", "\\.")}: runner and expected values cached`));
    const cache = listing(path.join(source, ".cache"));
    expect(Object.keys(cache).some((f) => f.startsWith("runner"))).to.equal(true);
    expect(Object.keys(cache).filter((f) => f.startsWith("expected")).length).to.be.at.least(notebooks.length);

    // a student's submission: notebook 01 solved (the master's solutions, without the markers)
    const studentKit = path.join(tmp, "student");
    fs.mkdirSync(path.join(studentKit, "notebooks"), { recursive: true });
    const master = JSON.parse(fs.readFileSync(path.join(KIT_ROOT, "notebooks", "01_activations.ipynb"), "utf8")) as NotebookJson;
    for (const c of master.cells) if (c.cell_type === "code") c.source = cellSource(c).replace(/^[ \t]*\/\/[ \t]*(BEGIN|END) SOLUTION.*$\n?/gm, "");
    fs.writeFileSync(path.join(studentKit, "notebooks", "01_activations.ipynb"), JSON.stringify(master, null, 1));
    const packed = await packSubmission({ root: studentKit, student: "ada", assignment: "nn-exercises", kitVersion: "0.1.0" });
    fs.mkdirSync(path.join(ag, "submission"));
    fs.copyFileSync(packed.zip, path.join(ag, "submission", path.basename(packed.zip)));

    const run = spawnSync("bash", [path.join(source, "run_autograder")], { encoding: "utf8", env: { ...process.env, AUTOGRADER_ROOT: ag, PATH: `${bin}:${process.env.PATH}` }, timeout: 1_800_000 });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    const results = readJson<GradescopeResults>(path.join(ag, "results", "results.json"));
    const nb01 = results.tests.filter((t) => t.tags?.includes("01_activations"));
    expect(nb01.length).to.be.greaterThan(0);
    for (const t of nb01) expect(t.score, `${t.name}: ${t.output}`).to.equal(t.max_score);
    const others = results.tests.filter((t) => !t.tags?.includes("01_activations"));
    for (const t of others) expect(t.score, t.name).to.equal(0);
    expect(results.score).to.equal(nb01.reduce((n, t) => n + t.max_score, 0));
    expect(results.output).to.match(/missing notebook: 02_mlp\.ipynb is not in the submission/);
    // the run built no runner and computed no expected value: all were there from setup
    expect(listing(path.join(source, ".cache"))).to.deep.equal(cache);
    expect(fs.readFileSync(calls, "utf8").trim().split("\n")).to.deep.equal(["npm ci --no-audit --no-fund"]);
  });
});

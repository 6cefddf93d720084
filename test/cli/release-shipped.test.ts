/**
 * Release on the course as shipped (issue 16.1): the real `npm run release` on notebooks/,
 * and the leak check still catching a real solution line and a real hidden probe, with
 * file and line.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadAssignment } from "../../grader/judge/assignment";
import { cellSource, type NotebookJson } from "../../grader/core/notebook";
import { buildRelease } from "../../grader/release/release";
import { collectSecrets, scanKit } from "../../grader/release/release-leaks";
import { toStudentNotebook } from "../../grader/release/release-transform";
import { KIT_ROOT } from "../../grader/core/version";
import { readJson, tmpDir } from "./helpers";

const MASTERS = path.join(KIT_ROOT, "notebooks");

describe("release of the shipped masters", () => {
  const specs = loadAssignment();
  let tmp: string;
  before(() => {
    tmp = tmpDir("release-shipped");
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("`npm run release` builds the kit from notebooks/ as shipped and finds no leak", () => {
    const out = path.join(tmp, "kit");
    const r = spawnSync("npm", ["run", "--silent", "release", "--", "-o", out], { cwd: KIT_ROOT, encoding: "utf8", timeout: 300_000 });
    expect(r.stderr, r.stderr).not.to.match(/leak/);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`student kit: ${out} \\(\\d+ files, checked for leaks\\)`));
    const shipped = fs.readdirSync(MASTERS).filter((f) => f.endsWith(".ipynb")).sort();
    expect(shipped.length).to.be.greaterThan(0);
    expect(fs.readdirSync(path.join(out, "notebooks")).sort()).to.deep.equal(specs.map((s) => s.notebook).sort());
    for (const nb of fs.readdirSync(path.join(out, "notebooks"))) {
      const text = fs.readFileSync(path.join(out, "notebooks", nb), "utf8");
      expect(text, nb).not.to.include("BEGIN SOLUTION");
      expect(text, nb).to.include("not implemented");
    }
    // the lines that used to be reported as leaks are in the kit, as given code
    const kit03 = fs.readFileSync(path.join(out, "notebooks", "03_gradient_descent.ipynb"), "utf8");
    expect(kit03).to.include("for (let i = 0; i < n; i++) {");
    const masters = specs.map((s) => readJson<NotebookJson>(path.join(MASTERS, s.notebook)));
    const secrets = collectSecrets(masters, specs, path.join(KIT_ROOT, "src"));
    expect(secrets.solutionLines.length).to.be.greaterThan(50);
    expect(secrets.solutionLines).not.to.include("for (let i = 0; i < n; i++) {");
    expect(secrets.solutionLines).not.to.include("tf.layers.flatten(),");
    expect(scanKit(out, secrets)).to.deep.equal([]);
  });

  it("fails naming the notebook, cell and line when a solution region reaches the kit", () => {
    const master = readJson<NotebookJson>(path.join(MASTERS, "01_activations.ipynb"));
    // the first cell with a solution region, and its first distinctive solution line
    const idx = master.cells.findIndex((c) => /BEGIN SOLUTION/.test(cellSource(c)));
    const lines = cellSource(master.cells[idx]).split("\n");
    const begin = lines.findIndex((l) => /BEGIN SOLUTION/.test(l));
    const secrets = collectSecrets([master], specs, path.join(KIT_ROOT, "src"));
    const lineNo = lines.findIndex((l, i) => i > begin && secrets.solutionLines.includes(l.trim()));
    expect(lineNo).to.be.greaterThan(begin);
    // a broken transform that forgets to stub this one cell
    const leaky = (m: unknown): unknown => {
      const given = m as NotebookJson;
      const nb = toStudentNotebook(given);
      const cell = given.cells[idx];
      if (cell && cellSource(cell) === cellSource(master.cells[idx])) nb.cells[idx] = JSON.parse(JSON.stringify(cell)) as typeof cell;
      return nb;
    };
    const out = path.join(tmp, "leaky");
    const where = `notebooks/01_activations.ipynb cell ${idx + 1} (${master.cells[idx].id}) line ${lineNo + 1}`;
    expect(() => buildRelease({ root: KIT_ROOT, out, specs, toStudent: leaky }))
      .to.throw(Error)
      .that.satisfies((e: Error) => {
        expect(e.message).to.match(/^the kit leaks \d+ solution line\(s\) or hidden probe\(s\)/);
        expect(e.message).to.include(`notebooks/01_activations.ipynb: ${JSON.stringify(lines[lineNo].trim())} (solution line, at ${where})`);
        return true;
      });
  });

  it("fails naming the checks file and line when a hidden probe with its inputs reaches the kit", () => {
    const checks = path.join(tmp, "checks");
    fs.cpSync(path.join(KIT_ROOT, "checks"), checks, { recursive: true });
    // a hidden probe of 03 whose expression the notebook itself shows: alone it is no leak...
    const spec03 = specs.find((s) => s.notebook === "03_gradient_descent.ipynb");
    const probe = spec03?.questions.flatMap((q) => q.probes).find((p) => p.hidden && p.expr === "linregGradient(theta, X, y, rows)");
    expect(probe, "the shipped spec has the probe").to.not.equal(undefined);
    const file = path.join(checks, "03_gradient_descent.json");
    const data = readJson<{ questions: { id: string; probes: unknown[] }[] }>(file);
    fs.writeFileSync(file, JSON.stringify({ ...data, note: "linregGradient(theta, X, y, rows)" }, null, 1) + "\n");
    expect(buildRelease({ root: KIT_ROOT, out: path.join(tmp, "k1"), specs, checksDir: checks }).files.length).to.be.greaterThan(10);
    // ...but with its inputs beside it (a checks builder that forgot to drop hidden probes), it is
    const q = data.questions.find((x) => x.id === "linreg-gradient") ?? data.questions[0];
    q.probes.push({ index: 99, expr: probe?.expr, inputs: probe?.inputs });
    const text = JSON.stringify(data, null, 1) + "\n";
    fs.writeFileSync(file, text);
    const exprLine = text.split("\n").findIndex((l) => l.includes(`"expr": "linregGradient(theta, X, y, rows)"`)) + 1;
    expect(exprLine).to.be.greaterThan(0);
    expect(() => buildRelease({ root: KIT_ROOT, out: path.join(tmp, "k2"), specs, checksDir: checks }))
      .to.throw(`checks/03_gradient_descent.json: "linregGradient(theta, X, y, rows)" (hidden probe 03_gradient_descent.ipynb`)
      .with.property("message").that.includes(`at checks/03_gradient_descent.json:${exprLine})`);
  });
});

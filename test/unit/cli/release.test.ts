import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { loadSpecsFrom } from "../../../grader/judge/assignment";
import { buildRelease, findLeaks, hiddenTexts, importClosure, solutionLines } from "../../../grader/release/release";
import { KIT_ROOT } from "../../../grader/core/version";
import { FIXTURE_MASTERS, FIXTURE_SPECS, NotebookJsonLike, readJson, TINY, tmpDir } from "../../cli/helpers";

/** Every text file under a folder, with its content (node_modules excluded). */
function allText(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out.set(r, fs.readFileSync(path.join(dir, r), "utf8"));
    }
  };
  walk("");
  return out;
}

describe("release", () => {
  let tmp: string;
  let checks: string;
  const specs = loadSpecsFrom(FIXTURE_SPECS);
  beforeEach(() => {
    tmp = tmpDir("release");
    checks = path.join(tmp, "checks");
    fs.mkdirSync(checks);
    // what the public checks file holds: public probes and their expected values only
    fs.writeFileSync(path.join(checks, "01_tiny.json"), JSON.stringify({ notebook: TINY, questions: [{ id: "tiny-scale", probes: [{ expr: "scaleAll([1, 2, 3], 2)", expected: [2, 4, 6] }] }] }));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("builds a kit with student notebooks, src, checks and the student commands, and no secret", () => {
    const r = buildRelease({ root: KIT_ROOT, out: path.join(tmp, "kit"), specs, mastersDir: FIXTURE_MASTERS, checksDir: checks });
    const kit = r.out;
    expect(r.files).to.include.members([path.join("notebooks", TINY), path.join("checks", "01_tiny.json"), "grader/cli/main.ts", "grader/cli/submit.ts", "grader/submit/submit.ts", "src/index.ts", "package.json"]);
    expect(r.files.some((f) => f.startsWith("src/dist"))).to.equal(false);
    expect(r.files.some((f) => f.startsWith("grader/specs"))).to.equal(false);
    // none of the instructor's modules, each on its own (the gradebook would bring better-sqlite3 and csv-parse)
    for (const f of ["grader/gradebook/gradebook.ts", "grader/submit/submission-times.ts", "grader/cli/grade.ts", "grader/release/release.ts"]) expect(r.files, f).not.to.include(f);
    expect(r.files.filter((f) => f.startsWith("grader/gradebook/"))).to.deep.equal([]);
    const student = readJson<NotebookJsonLike>(path.join(kit, "notebooks", TINY));
    const impl = student.cells.find((c) => c.id === "square-impl");
    expect(Array.isArray(impl?.source) ? impl?.source.join("") : impl?.source).to.match(/not implemented/);

    // grep the whole kit for every solution line and every hidden probe
    const master = readJson<NotebookJsonLike>(path.join(FIXTURE_MASTERS, TINY));
    const secrets = [...solutionLines(master), ...hiddenTexts(specs)];
    expect(secrets).to.include.members([
      "const squaredValues = xs.map((value) => value * value);", "return squaredValues;", "squareAll([-7.25, 0, 1e3, 0.5])", "scaleAll([4.5, -8.125], -3.75)",
    ]);
    const texts = allText(kit);
    for (const [file, text] of texts) {
      for (const s of secrets) expect(text.includes(s), `${file} contains ${s}`).to.equal(false);
      if (file.endsWith(".ipynb")) expect(text.includes("BEGIN SOLUTION"), `${file} has a solution marker`).to.equal(false);
    }
    const pkg = readJson<{ scripts: Record<string, string> }>(path.join(kit, "package.json"));
    expect(Object.keys(pkg.scripts).sort()).to.deep.equal(["build", "check", "prepare", "start", "submit"]);
  });

  it("fails the release when a secret would leak, naming the file", () => {
    fs.writeFileSync(path.join(checks, "01_tiny.json"), JSON.stringify({ leaked: "scaleAll([4.5, -8.125], -3.75)" }));
    expect(() => buildRelease({ root: KIT_ROOT, out: path.join(tmp, "kit"), specs, mastersDir: FIXTURE_MASTERS, checksDir: checks }))
      .to.throw(/leaks 1 solution line\(s\) or hidden probe\(s\), e.g. checks\/01_tiny.json: "scaleAll/);
  });

  it("refuses to release without public checks or into the kit itself, and packs a tarball", () => {
    expect(() => buildRelease({ root: KIT_ROOT, out: path.join(tmp, "kit"), specs, mastersDir: FIXTURE_MASTERS, checksDir: path.join(tmp, "none") }))
      .to.throw(/no public checks/);
    expect(() => buildRelease({ root: KIT_ROOT, out: path.dirname(KIT_ROOT), specs, mastersDir: FIXTURE_MASTERS, checksDir: checks }))
      .to.throw(/refusing to release/);
    const r = buildRelease({ root: KIT_ROOT, out: path.join(tmp, "kit"), specs, mastersDir: FIXTURE_MASTERS, checksDir: checks, tarball: true });
    expect(fs.statSync(r.tarball ?? "").size).to.be.greaterThan(1000);
  });

  it("follows imports to find what the student commands need", () => {
    const files = importClosure(KIT_ROOT, ["grader/cli/submit.ts"]);
    expect(files).to.include.members(["grader/cli/submit.ts", "grader/submit/submit.ts", "grader/core/course.ts", "grader/core/version.ts"]);
    expect(findLeaks(path.join(FIXTURE_SPECS), ["squareAll([-7.25"])).to.deep.equal([["01_tiny.ts", "squareAll([-7.25"]]);
  });
});

import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildGradescopeZip } from "../../../grader/export/gradescope";
import { packSubmission } from "../../../grader/submit/submit";
import { readZipEntry, writeZip } from "../../../grader/core/zip-write";
import { FIXTURE_MASTERS, sha256, TINY, tmpDir } from "../../cli/helpers";

interface PythonView {
  /** unzip's own check of every entry's CRC: "" when the archive is sound. */
  bad: string | null;
  entries: { name: string; sha256: string; mode: number; utf8Flag: boolean }[];
}

/** Reads a zip with Python's zipfile (another implementation than the one that wrote it). */
function pythonView(zip: string): PythonView {
  const script = [
    "import hashlib, json, sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "print(json.dumps({'bad': z.testzip(), 'entries': [",
    "  {'name': i.filename, 'sha256': hashlib.sha256(z.read(i)).hexdigest(), 'mode': (i.external_attr >> 16) & 0o777, 'utf8Flag': bool(i.flag_bits & 0x800)}",
    "  for i in z.infolist()]}))",
  ].join("\n");
  const r = spawnSync("python3", ["-c", script, zip], { encoding: "utf8" });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout) as PythonView;
}

/** Info-ZIP's `unzip -t`: tests every entry (exit 0 when all are sound). */
function unzipTest(zip: string): void {
  const r = spawnSync("unzip", ["-t", zip], { encoding: "utf8" });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") return; // python's check above still ran
  expect(r.status, r.stdout + r.stderr).to.equal(0);
  expect(r.stdout).to.match(/No errors detected/);
}

describe("zip writing (yazl)", () => {
  let tmp: string;
  beforeEach(() => (tmp = tmpDir("zip-write")));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("writes exactly the given names and bytes, a Unicode name in UTF-8, a file from disk and a script's mode bits", async () => {
    const onDisk = path.join(tmp, "weights.bin");
    const weights = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
    fs.writeFileSync(onDisk, weights);
    const unicodeName = "notebooks/Übung_λ_ß_日本.ipynb";
    const unicodeText = '{"cells": [], "note": "Größe λ = 0.5"}\n';
    const zip = path.join(tmp, "out", "kit.zip");
    const names = await writeZip(zip, [
      { name: unicodeName, data: unicodeText },
      { name: "notebooks/bonus-model/weights.bin", file: onDisk },
      { name: "run_autograder", data: "#!/bin/bash\necho hi\n", mode: 0o755 },
      { name: "empty.txt", data: Buffer.alloc(0) },
    ]);
    expect(names).to.deep.equal([unicodeName, "notebooks/bonus-model/weights.bin", "run_autograder", "empty.txt"]);
    expect(fs.statSync(zip).mode & 0o777).to.equal(0o644);
    expect(fs.readdirSync(path.dirname(zip))).to.deep.equal(["kit.zip"]); // no temporary file left behind
    unzipTest(zip);
    const view = pythonView(zip);
    expect(view.bad).to.equal(null);
    expect(view.entries.map((e) => [e.name, e.sha256])).to.deep.equal([
      [unicodeName, sha256(unicodeText)],
      ["notebooks/bonus-model/weights.bin", sha256(weights)],
      ["run_autograder", sha256("#!/bin/bash\necho hi\n")],
      ["empty.txt", sha256("")],
    ]);
    expect(view.entries.find((e) => e.name === unicodeName)?.utf8Flag).to.equal(true);
    expect(view.entries.find((e) => e.name === "run_autograder")?.mode).to.equal(0o755);
    expect(view.entries.find((e) => e.name === "empty.txt")?.mode).to.equal(0o644);
    expect((await readZipEntry(zip, unicodeName, 1024))?.toString("utf8")).to.equal(unicodeText);
    expect(await readZipEntry(zip, "notebooks/bonus-model/weights.bin", 1000)).to.equal(null); // over the limit
    expect(await readZipEntry(zip, "missing.txt", 1024)).to.equal(null);
  });

  it("rejects when a file to add cannot be read, leaving neither the zip nor its temporary file", async () => {
    const zip = path.join(tmp, "broken.zip");
    const err = await writeZip(zip, [{ name: "a.txt", data: "a" }, { name: "gone.bin", file: path.join(tmp, "missing.bin") }]).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/ENOENT/);
    expect(fs.readdirSync(tmp)).to.deep.equal([]);
  });

  it("the submission zip holds the notebooks under their Unicode names, with the manifest's hashes", async () => {
    fs.mkdirSync(path.join(tmp, "notebooks"));
    const tiny = fs.readFileSync(path.join(FIXTURE_MASTERS, TINY), "utf8");
    fs.writeFileSync(path.join(tmp, "notebooks", TINY), tiny);
    fs.writeFileSync(path.join(tmp, "notebooks", "02_Übung_é.ipynb"), tiny);
    const ok = await packSubmission({ root: tmp, student: "zoe", assignment: "tiny", kitVersion: "0.1.0" });
    unzipTest(ok.zip);
    const view = pythonView(ok.zip);
    expect(view.bad).to.equal(null);
    expect(view.entries.map((e) => e.name)).to.deep.equal(["notebooks/01_tiny.ipynb", "notebooks/02_Übung_é.ipynb", "manifest.json"]);
    for (const e of view.entries) if (e.name !== "manifest.json") expect(ok.manifest.files[e.name]).to.equal(e.sha256);
    expect(ok.manifest.files["notebooks/02_Übung_é.ipynb"]).to.equal(sha256(tiny));
  });

  it("the Gradescope autograder zip holds the kit's files byte for byte and its two scripts as executables", async () => {
    const root = path.join(tmp, "kit");
    fs.mkdirSync(path.join(root, "src", "dist"), { recursive: true });
    fs.mkdirSync(path.join(root, "grader", "run", "child"), { recursive: true });
    fs.mkdirSync(path.join(root, "notebooks"), { recursive: true });
    const files: Record<string, string> = {
      "package.json": '{"name":"k"}\n',
      "src/index.ts": "export const x = 1;\n",
      "src/dist/index.js": "compiled, left out\n",
      "grader/cli/main.ts": "// the CLI\n",
      "grader/run/child/runner.ts": "// the child\n",
      "notebooks/01_Übung.ipynb": "{}\n",
      "notebooks/notes.txt": "not a notebook, left out\n",
    };
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    }
    const out = path.join(tmp, "export", "gradescope-autograder.zip");
    const names = await buildGradescopeZip({ root, out });
    const view = pythonView(out);
    unzipTest(out);
    expect(view.bad).to.equal(null);
    expect(view.entries.map((e) => e.name)).to.deep.equal(names);
    expect([...names].sort()).to.deep.equal(
      ["package.json", "src/index.ts", "grader/cli/main.ts", "grader/run/child/runner.ts", "notebooks/01_Übung.ipynb", "gradescope.json", "setup.sh", "run_autograder"].sort(),
    );
    for (const e of view.entries) if (files[e.name] !== undefined) expect(e.sha256, e.name).to.equal(sha256(files[e.name]));
    expect(view.entries.filter((e) => e.mode === 0o755).map((e) => e.name).sort()).to.deep.equal(["run_autograder", "setup.sh"]);
  });
});

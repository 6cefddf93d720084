import AdmZip from "adm-zip";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { BONUS_DIR } from "../../../grader/judge/bonus";
import type { Manifest } from "../../../grader/submit/discover";
import { BONUS_MODEL_DIR, MAX_OUTPUT_BYTES, packSubmission, stripLargeOutputs } from "../../../grader/submit/submit";
import { FIXTURE_MASTERS, sha256, TINY, tmpDir } from "../../cli/helpers";

function readManifest(zip: string): Manifest {
  return JSON.parse(new AdmZip(zip).getEntry("manifest.json")?.getData().toString("utf8") ?? "{}") as Manifest;
}

describe("submit", () => {
  let kit: string;
  beforeEach(() => {
    kit = tmpDir("submit");
    fs.mkdirSync(path.join(kit, "notebooks", BONUS_MODEL_DIR), { recursive: true });
    const nb = JSON.parse(fs.readFileSync(path.join(FIXTURE_MASTERS, TINY), "utf8")) as { cells: { outputs?: unknown[] }[] };
    nb.cells[2].outputs = [
      { output_type: "stream", name: "stdout", text: "1 4 9\n" },
      { output_type: "display_data", data: { "text/html": "x".repeat(MAX_OUTPUT_BYTES + 10) }, metadata: {} },
    ];
    fs.writeFileSync(path.join(kit, "notebooks", TINY), JSON.stringify(nb));
    fs.writeFileSync(path.join(kit, "notebooks", ".scratch.ipynb"), "{}");
    fs.writeFileSync(path.join(kit, "notebooks", BONUS_MODEL_DIR, "model.json"), "{\"modelTopology\":{}}");
    fs.writeFileSync(path.join(kit, "notebooks", BONUS_MODEL_DIR, "weights.bin"), Buffer.from([1, 2, 3, 4]));
  });
  afterEach(() => fs.rmSync(kit, { recursive: true, force: true }));

  it("packs notebooks, the bonus model and a manifest with each file's SHA-256", async () => {
    const r = await packSubmission({ root: kit, student: "alice", assignment: "tiny", kitVersion: "0.1.0", now: new Date("2026-12-01T10:00:00Z") });
    expect(path.basename(r.zip)).to.equal("tiny-alice.zip");
    expect(r.strippedOutputs).to.equal(1);
    const zip = new AdmZip(r.zip);
    expect(zip.getEntries().map((e) => e.entryName).sort()).to.deep.equal([
      "manifest.json", "notebooks/01_tiny.ipynb", "notebooks/bonus-model/model.json", "notebooks/bonus-model/weights.bin",
    ]);
    const m = readManifest(r.zip);
    expect(m).to.deep.include({ student: "alice", assignment: "tiny", kitVersion: "0.1.0", timestamp: "2026-12-01T10:00:00.000Z", history: [] });
    for (const e of zip.getEntries()) {
      if (e.entryName !== "manifest.json") expect(m.files[e.entryName]).to.equal(sha256(e.getData()));
    }
    const nb = JSON.parse(zip.getEntry("notebooks/01_tiny.ipynb")?.getData().toString("utf8") ?? "") as { cells: { outputs?: { text?: string }[] }[] };
    expect(nb.cells[2].outputs?.[0].text).to.equal("1 4 9\n");
    expect(nb.cells[2].outputs?.[1].text).to.match(/^\[output of \d+ bytes removed by submit\]/);
  });

  it("replaces an earlier submission but keeps its hash in the history, also in the exchange folder", async () => {
    const exchange = path.join(kit, "exchange");
    fs.mkdirSync(exchange);
    const first = await packSubmission({ root: kit, student: "bob", assignment: "tiny", kitVersion: "0.1.0", to: exchange, now: new Date("2026-12-01T10:00:00Z") });
    const firstHash = sha256(fs.readFileSync(first.zip));
    expect(first.copiedTo).to.equal(path.join(exchange, "tiny-bob.zip"));
    expect(sha256(fs.readFileSync(path.join(exchange, "tiny-bob.zip")))).to.equal(firstHash);
    const second = await packSubmission({ root: kit, student: "bob", assignment: "tiny", kitVersion: "0.1.0", to: exchange, now: new Date("2026-12-02T10:00:00Z") });
    const third = await packSubmission({ root: kit, student: "bob", assignment: "tiny", kitVersion: "0.1.0", to: exchange, now: new Date("2026-12-03T10:00:00Z") });
    expect(fs.readdirSync(exchange)).to.deep.equal(["tiny-bob.zip"]);
    const m = readManifest(path.join(exchange, "tiny-bob.zip"));
    expect(m.timestamp).to.equal("2026-12-03T10:00:00.000Z");
    expect(m.history.map((h) => h.timestamp)).to.deep.equal(["2026-12-01T10:00:00.000Z", "2026-12-02T10:00:00.000Z"]);
    expect(m.history[0].sha256).to.equal(firstHash);
    expect(second.manifest.history).to.have.length(1);
    expect(third.manifest.history).to.have.length(2);
  });

  it("refuses a bad student id, a missing exchange folder and a kit without notebooks", () => {
    expect(() => packSubmission({ root: kit, student: "../x", assignment: "tiny", kitVersion: "0" })).to.throw(/student id "..\/x" may hold only/);
    expect(() => packSubmission({ root: kit, student: "x", assignment: "tiny", kitVersion: "0", to: path.join(kit, "nope") })).to.throw(/exchange folder not found/);
    const empty = tmpDir("submit-empty");
    try {
      expect(() => packSubmission({ root: empty, student: "x", assignment: "tiny", kitVersion: "0" })).to.throw(/no notebooks to submit/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it("packs the folder the bonus cell saves into (grader/judge/bonus.ts)", () => {
    expect(BONUS_MODEL_DIR).to.equal(BONUS_DIR);
  });

  it("leaves a notebook alone when nothing is too large", () => {
    const text = JSON.stringify({ cells: [{ outputs: [{ output_type: "stream", text: "hi" }] }] });
    expect(stripLargeOutputs(text)).to.deep.equal({ text, stripped: 0 });
  });
});

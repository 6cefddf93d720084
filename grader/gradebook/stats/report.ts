/**
 * The class statistics as files: stats.html, one self-contained page (plotly.js inlined once,
 * so it works offline; every chart's data embedded as JSON with `<` escaped), and stats.csv
 * (one row per question) and probes.csv (one row per probe), written with csv-stringify.
 */
import { stringify } from "csv-stringify/sync";
import * as fs from "fs";
import * as path from "path";
import type { QuestionStat } from "./stats";

const esc = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

const share = (n: number, d: number): number => (d === 0 ? 0 : Math.round((1000 * n) / d) / 1000);

/** The plotly.js bundle, made safe to inline (it must not end its own script element). */
export function plotlySource(): string {
  const file = require.resolve("plotly.js-dist-min");
  return fs.readFileSync(file, "utf8").replace(/<\/script/gi, "<\\/script");
}

export function statsCsv(stats: QuestionStat[]): string {
  return stringify(stats.map((s) => ({
    notebook: s.notebook, question: s.id, title: s.title, points: s.points, students: s.scores.length, mean: s.mean, median: s.median,
    min: s.scores[0] ?? "", max: s.scores[s.scores.length - 1] ?? "", full_marks_share: share(s.fullMarks, s.scores.length),
    zero_share: share(s.zero, s.scores.length), median_seconds: s.medianSeconds,
    top_failure: s.messages[0] ? `${s.messages[0].count}x ${s.messages[0].message}` : "",
  })), { header: true, columns: ["notebook", "question", "title", "points", "students", "mean", "median", "min", "max", "full_marks_share", "zero_share", "median_seconds", "top_failure"] });
}

export function probesCsv(stats: QuestionStat[]): string {
  return stringify(stats.flatMap((s) => s.probes.map((p) => ({
    notebook: s.notebook, question: s.id, probe: p.index + 1, hidden: p.hidden ? "yes" : "no", name: p.name,
    failed: p.failed, students: p.total, failed_share: share(p.failed, p.total),
  }))), { header: true, columns: ["notebook", "question", "probe", "hidden", "name", "failed", "students", "failed_share"] });
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:72rem;margin:1.5rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin:1.6rem 0 .3rem;border-top:1px solid #ddd;padding-top:.8rem}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}.chart{height:260px}.summary{color:#444}
ul.messages{margin:.3rem 0}code{font-size:90%}`;

/** The self-contained statistics page. */
export function statsHtml(stats: QuestionStat[], title: string): string {
  const charts: { id: string; data: unknown[]; layout: Record<string, unknown> }[] = [];
  charts.push({
    id: "overview",
    data: [
      { type: "bar", name: "full marks", x: stats.map((s) => s.id), y: stats.map((s) => share(s.fullMarks, s.scores.length)), marker: { color: "#2f9e44" } },
      { type: "bar", name: "zero", x: stats.map((s) => s.id), y: stats.map((s) => share(s.zero, s.scores.length)), marker: { color: "#e03131" } },
    ],
    layout: { title: { text: "Share of the class with full marks and with zero, per question" }, barmode: "group", yaxis: { range: [0, 1], tickformat: ".0%" }, margin: { t: 40, b: 80 } },
  });
  let sections = "";
  stats.forEach((s, i) => {
    const dist = new Map<number, number>();
    for (const x of s.scores) dist.set(x, (dist.get(x) ?? 0) + 1);
    const xs = [...dist.keys()].sort((a, b) => a - b);
    charts.push({
      id: `hist-${i}`,
      data: [{ type: "bar", x: xs, y: xs.map((x) => dist.get(x)), marker: { color: "#1c7ed6" }, hovertemplate: "score %{x}: %{y} students<extra></extra>" }],
      layout: { title: { text: "Scores" }, xaxis: { title: { text: `points (of ${s.points})` }, range: [-0.5, s.points + 0.5] }, yaxis: { title: { text: "students" } }, margin: { t: 36, b: 44 } },
    });
    charts.push({
      id: `pass-${i}`,
      data: [{ type: "bar", orientation: "h", y: s.probes.map((p) => p.name), x: s.probes.map((p) => share(p.total - p.failed, p.total)), marker: { color: "#2f9e44" },
        hovertemplate: "%{y}: %{x:.0%} passed<extra></extra>" }],
      layout: { title: { text: "Pass rate per probe" }, xaxis: { range: [0, 1], tickformat: ".0%" }, yaxis: { automargin: true, autorange: "reversed" }, margin: { t: 36, b: 30 } },
    });
    sections += `<h2 id="q-${esc(s.id)}">${esc(s.title)} <code>${esc(s.id)}</code> <small>${esc(s.notebook)}</small></h2>` +
      `<p class="summary">${s.points} points · ${s.scores.length} students · median ${s.median} · mean ${s.mean} · ` +
      `full marks ${Math.round(share(s.fullMarks, s.scores.length) * 100)}% · median grading time ${s.medianSeconds} s (whole notebook)</p>` +
      `<div class="charts"><div class="chart" id="hist-${i}"></div><div class="chart" id="pass-${i}"></div></div>` +
      (s.messages.length ? `<p>Most common failures:</p><ul class="messages">${s.messages.map((m) => `<li>${m.count}× ${esc(m.message)}</li>`).join("")}</ul>` : "<p>No failures.</p>");
  });
  const draw = `const charts = ${scriptJson(charts)};
for (const c of charts) Plotly.newPlot(c.id, c.data, Object.assign({ font: { size: 12 } }, c.layout), { displaylogo: false, responsive: true, staticPlot: false });`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style>` +
    `<script>${plotlySource()}</script></head><body><h1>${esc(title)}</h1>` +
    `<p>Numbers of students are those with a current run of the question's notebook. Hidden probes are named by number only. Messages have their numbers replaced by #.</p>` +
    `<div class="chart" id="overview" style="height:320px"></div>${sections}<script>${draw}</script></body></html>\n`;
}

/** Writes stats.html, stats.csv and probes.csv into `outDir`; returns the files. */
export function writeStatsExport(stats: QuestionStat[], outDir: string, title: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const files = [path.join(outDir, "stats.html"), path.join(outDir, "stats.csv"), path.join(outDir, "probes.csv")];
  fs.writeFileSync(files[0], statsHtml(stats, title));
  fs.writeFileSync(files[1], statsCsv(stats));
  fs.writeFileSync(files[2], probesCsv(stats));
  return files;
}

import { expect } from "chai";
import { inspect } from "util";
import { gunzipSync } from "zlib";
import { clearRecordedDisplays, recordedDisplays } from "../../../src/display";
import { makeMoons } from "../../../src/datasets";
import {
  Figure, unpackFigure, classColor, confusionMatrixChart, lightClassColor, poolingFigure, poolingLayout, contourChart, contourLevels, decisionBoundary, isoLines, sampleGrid, figureBundle, heatmap, imageGrid, lineChart, scatterByClass, show, surface3d, trajectoryAnimation,
} from "../../../src/plot";

/** The figure embedded in a chart's text/html script (what classic Notebook draws): inline JSON or gzip+base64. */
function figureInHtml(html: string): Figure {
  const inline = /var figure = Promise\.resolve\((\{.*\})\);\nfunction draw/s.exec(html);
  if (inline) return JSON.parse(inline[1]) as Figure;
  const packed = /var figure = gunzipJson\("([A-Za-z0-9+/=]+)"\);/.exec(html);
  if (packed) return JSON.parse(gunzipSync(Buffer.from(packed[1], "base64")).toString("utf8")) as Figure;
  throw new Error("no embedded figure in the chart's HTML");
}

describe("plot", () => {
  beforeEach(() => clearRecordedDisplays());

  it("a chart emits one bundle: plotly JSON, text/html with an nnkit-plot root, and text/plain", () => {
    const fig = lineChart({ loss: [1, 0.5, 0.25] }, { title: "loss", xLabel: "epoch" });
    const shown = recordedDisplays();
    expect(shown).to.have.length(1);
    const bundle = shown[0].bundle;
    expect(Object.keys(bundle).sort()).to.deep.equal(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    const json = JSON.parse(bundle["application/vnd.plotly.v1+json"]) as Figure;
    expect(json.data[0]).to.include({ type: "scatter", mode: "lines", name: "loss" });
    expect(json.data[0].x).to.deep.equal([0, 1, 2]);
    expect(json.data[0].y).to.deep.equal([1, 0.5, 0.25]);
    expect((json.layout.title as { text: string }).text).to.equal("loss");
    expect(bundle["text/html"]).to.match(/^<div class="nnkit-plot" id="nnkit-plot-[\w-]+"/);
    expect(figureInHtml(bundle["text/html"])).to.deep.equal(json);
    expect(bundle["text/plain"]).to.equal('<nnkit chart "loss": 1 trace(s) (scatter)>');
    expect(fig.data).to.have.length(1);
    // tslab prints a cell's last value with console.log: a chart prints one line, not its attributes.
    expect(inspect(fig)).to.equal('<nnkit chart "loss": 1 trace(s) (scatter)>');
    expect(Object.keys(fig)).to.deep.equal(["data", "layout"]);
  });

  it("never embeds plotly.js in a chart, and loads it from the local nbextension", () => {
    const html = figureBundle(lineChart({ a: [1, 2] }, { display: false }))["text/html"];
    expect(html.length).to.be.below(5000);
    expect(html).to.contain("nbextensions/nnkit-plotly/plotly.min");
    expect(html).to.not.match(/https?:\/\//);
  });

  it("keeps the figure JSON small and safe inside the HTML script", () => {
    const bundle = figureBundle({ data: [{ type: "scatter", y: Float64Array.from([1 / 3, NaN, 2]), name: "</script><b>$&" }], layout: {} });
    const json = JSON.parse(bundle["application/vnd.plotly.v1+json"]) as Figure;
    expect(json.data[0].y).to.deep.equal([0.3333, null, 2]);
    expect(bundle["text/html"]).to.not.contain("</script><b>");
    expect(figureInHtml(bundle["text/html"]).data[0].name).to.equal("</script><b>$&");
  });

  it("embeds a large figure gzipped in the HTML, identical to the plotly JSON part", () => {
    const z = Array.from({ length: 250 }, (_, j) => Array.from({ length: 250 }, (_, i) => (i > j ? 1 : 0)));
    const bundle = figureBundle({ data: [{ type: "contour", z }], layout: {} });
    const json = bundle["application/vnd.plotly.v1+json"];
    expect(json.length).to.be.above(40000);
    expect(bundle["text/html"]).to.contain("gunzipJson(");
    expect(bundle["text/html"].length).to.be.below(json.length / 10);
    expect(figureInHtml(bundle["text/html"])).to.deep.equal(JSON.parse(json));
  });

  it("packs long numeric arrays as plotly typed arrays, so a saved notebook stays small, and unpacks them exactly", () => {
    const grid = Array.from({ length: 300 }, (_, j) => Array.from({ length: 300 }, (_, i) => (i * i + j * j < 20000 ? 1 : 0)));
    const floats = Array.from({ length: 300 }, (_, i) => Math.sin(i / 10));
    const gaps = [...Array.from({ length: 200 }, (_, i) => i / 4), null, NaN, ...Array.from({ length: 100 }, () => 2)];
    const fig: Figure = { data: [{ type: "contour", z: grid, x: floats, y: [1, 2, 3] }, { type: "scatter", x: gaps, y: new Float64Array(302).fill(1.5) }], layout: {} };
    const saved = JSON.parse(figureBundle(fig)["application/vnd.plotly.v1+json"]) as Figure;
    const [c, s] = saved.data as Record<string, unknown>[];
    expect(c.z).to.include({ dtype: "i1", shape: "300,300" });
    expect(c.x).to.have.property("dtype", "f4");
    expect(c.y, "short lists stay lists").to.deep.equal([1, 2, 3]);
    expect(s.x).to.have.property("dtype", "f4");
    const back = unpackFigure(saved);
    expect(back.data[0].z).to.deep.equal(grid);
    (back.data[0].x as number[]).forEach((v, i) => expect(v).to.be.closeTo(floats[i], 1e-6));
    expect((back.data[1].x as (number | null)[]).slice(199, 203)).to.deep.equal([49.75, null, null, 2]);
    expect(back.data[1].y).to.deep.equal(new Array(302).fill(1.5));
    // Jupyter writes outputs indented by one space per level: the packed grid is one line, not 90,000.
    const onDisk = JSON.stringify(saved, null, 1).length;
    expect(onDisk).to.be.below(150_000);
    expect(JSON.stringify(unpackFigure(saved), null, 1).length, "the same figure as lists").to.be.above(700_000);
  });

  it("display: false builds the figure without showing it", () => {
    lineChart({ a: [1] }, { display: false });
    expect(recordedDisplays()).to.have.length(0);
  });

  it("lineChart rejects mismatched x and empty input", () => {
    expect(() => lineChart({ a: [1, 2] }, { x: [1, 2, 3] })).to.throw(/series "a" has 2 y values but 3 x values/);
    expect(() => lineChart([])).to.throw(/no series/);
  });

  it("scatterByClass draws one trace per class plus crosses for highlighted points", () => {
    const ds = makeMoons({ nSamples: 20, seed: 1 });
    const fig = scatterByClass(ds, { highlight: [0, 3] });
    expect(fig.data.map((t) => t.name)).to.deep.equal(["class 0", "class 1", "misclassified (2)"]);
    expect((fig.data[0].x as number[]).length + (fig.data[1].x as number[]).length).to.equal(20);
    expect(fig.data[2].x).to.deep.equal([ds.x[0][0], ds.x[3][0]]);
    expect(() => scatterByClass([[0, 0]], [0, 1])).to.throw(/1 points but 2 labels/);
  });

  it("decisionBoundary samples a 0.02 grid over the data range +-1 and marks misclassified points", () => {
    const x = [[0, 0], [1, 1], [0.5, 0.2]];
    const y = Int32Array.from([0, 1, 1]);
    // Class 1 right of x1 = 0.6: point [0.5, 0.2] is misclassified.
    const fig = decisionBoundary((pts) => pts.map((p) => (p[0] > 0.6 ? 1 : 0)), x, y);
    const contour = fig.data[0];
    expect(contour.type).to.equal("contour");
    const gx = contour.x as number[];
    const gy = contour.y as number[];
    expect(gx[0]).to.be.closeTo(-1, 1e-9);
    expect(gx[1] - gx[0]).to.be.closeTo(0.02, 1e-9);
    expect(gx[gx.length - 1]).to.be.closeTo(2, 1e-6);
    expect(gx.length).to.equal(151);
    const z = contour.z as number[][];
    expect(z.length).to.equal(gy.length);
    expect(z[0][0]).to.equal(0);
    expect(z[0][gx.length - 1]).to.equal(1);
    const crosses = fig.data.find((t) => String(t.name).startsWith("misclassified"));
    expect(crosses?.x).to.deep.equal([0.5]);
    // A wide range: the default step grows to keep at most 200 points per side; an explicit step is kept.
    const wide = decisionBoundary((pts) => pts.map((p) => (p[0] > 0 ? 1 : 0)), [[-4, -3], [4, 3]], [0, 1], { display: false });
    const wx = wide.data[0].x as number[];
    expect(wx.length).to.equal(200);
    expect(wx[1] - wx[0]).to.be.closeTo(10 / 199, 1e-9);
    expect((wide.data[0].y as number[]).length).to.be.at.most(200);
    const fine = decisionBoundary((pts) => pts.map((p) => (p[0] > 0 ? 1 : 0)), [[-4, -3], [4, 3]], [0, 1], { display: false, step: 0.02 });
    expect((fine.data[0].x as number[]).length).to.equal(501);
  });

  it("decisionBoundary accepts per-class scores and tfjs models", async () => {
    const tf = await import("@tensorflow/tfjs");
    const x = [[-1, 0], [1, 0]];
    const y = [0, 1];
    const scores = decisionBoundary((pts) => pts.map((p) => [-p[0], p[0]]), x, y, { display: false, step: 0.5 });
    expect(scores.data.some((t) => String(t.name).startsWith("misclassified"))).to.equal(false);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], activation: "softmax", kernelInitializer: "zeros" })] });
    model.layers[0].setWeights([tf.tensor2d([[-5, 5], [0, 0]]), tf.tensor1d([0, 0])]);
    const fig = decisionBoundary(model, x, y, { display: false, step: 0.5 });
    const z = fig.data[0].z as number[][];
    expect(z[0][0]).to.equal(0);
    expect(z[0][z[0].length - 1]).to.equal(1);
    expect(() => decisionBoundary(() => [0], x, y, { display: false })).to.throw(/returned 1 results for/);
  });

  it("contourChart, surface3d and heatmap sample and check their grids", () => {
    const c = contourChart((a, b) => a * a + b * b, { xRange: [-1, 1], steps: 3, display: false });
    expect(c.data[0].z).to.deep.equal([[2, 1, 2], [1, 0, 1], [2, 1, 2]]);
    const s = surface3d({ x: [0, 1], y: [0, 1, 2], z: [[0, 1], [1, 2], [2, 3]] }, { display: false });
    expect(s.data[0].type).to.equal("surface");
    expect(() => contourChart({ x: [0, 1], y: [0], z: [[1]] })).to.throw(/z must have 1 rows/);
    const h = heatmap([[1, 2], [3, 4]], { showValues: true, display: false });
    expect(h.data[0]).to.include({ type: "heatmap", texttemplate: "%{z}" });
    expect(() => heatmap([[1], [2, 3]])).to.throw(/rectangular/);
  });

  it("imageGrid tiles images into one heatmap with a title per image", () => {
    const img = (v: number): number[] => new Array<number>(16).fill(v);
    const fig = imageGrid([img(0.1), img(0.2), img(0.3)], { titles: ["a", "b", "c"], columns: 2, display: false });
    const z = fig.data[0].z as (number | null)[][];
    const annotations = fig.layout.annotations as { text: string }[];
    expect(annotations.map((a) => a.text)).to.deep.equal(["a", "b", "c"]);
    // Pixels in [0, 1] become bytes 0..254; 255 marks the gaps between tiles (drawn white).
    const values = new Set(z.flat().filter((v) => v !== 255));
    expect([...values].sort()).to.deep.equal([25, 51, 76]);
    expect(z.flat().filter((v) => v === 76)).to.have.length(16);
    expect(fig.data[0]).to.include({ zmin: 0, zmax: 255 });
    expect(z.flat().some((v) => v === 255)).to.equal(true);
    const raw = imageGrid([[[-2, 3], [0, 1]]], { display: false });
    expect((raw.data[0].z as (number | null)[][]).flat(), "values outside [0, 1] are drawn as they are").to.include.members([-2, 3, 0, 1, null]);
    expect(() => imageGrid([new Array<number>(10).fill(0)])).to.throw(/10 pixels, which is not 3x3/);
    expect(() => imageGrid([img(0)], { titles: ["a", "b"] })).to.throw(/2 titles for 1 images/);
  });

  it("trajectoryAnimation makes one frame per step with growing paths and play/pause buttons", () => {
    const pts = Array.from({ length: 11 }, (_, i) => [i / 10, 1 - i / 10]);
    const fig = trajectoryAnimation((a, b) => a * a + b * b, [{ name: "sgd", points: pts }, { name: "adam", points: pts.slice(0, 4) }], { steps: 10, display: false });
    expect(fig.frames).to.have.length(11);
    // The surface comes first, as contour lines in scatter traces (a contour trace vanishes while plotly animates).
    const lines = fig.data.filter((t) => t.name === "contours");
    expect(lines.length).to.equal(24);
    expect(fig.data.slice(0, lines.length)).to.deep.equal(lines);
    expect(fig.data.some((t) => t.type === "contour" || t.type === "heatmap")).to.equal(false);
    const n = lines.length;
    const last = fig.frames![10];
    // Frames move one marker per path (traces n+1 and n+3) along the full paths (traces n and n+2), and carry nothing else.
    expect(last.traces).to.deep.equal([n + 1, n + 3]);
    expect(last.data).to.deep.equal([{ x: [1], y: [0] }, { x: [0.3], y: [0.7] }]);
    expect(fig.frames![5].data[0].x).to.deep.equal([0.5]);
    expect((fig.data[n].x as number[]).length).to.equal(11);
    expect((fig.data[n + 2].x as number[]).length).to.equal(4);
    const menus = fig.layout.updatemenus as { buttons: { label: string; args: [unknown, { frame: { redraw: boolean } }] }[] }[];
    expect(menus[0].buttons.map((b) => b.label)).to.deep.equal(["▶ play", "❚❚ pause"]);
    // No full redraw per frame: it is slow and makes the surface flicker.
    expect(menus[0].buttons[0].args[1].frame.redraw).to.equal(false);
    const long = trajectoryAnimation((a, b) => a + b, [{ name: "p", points: Array.from({ length: 1000 }, () => [0, 0]) }], { maxFrames: 50, display: false });
    expect(long.frames!.length).to.be.at.most(51);
    expect(() => trajectoryAnimation((a) => a, [{ name: "bad", points: [[1, 2, 3]] }])).to.throw(/point 0 of "bad" has 3 coordinates/);
  });

  it("isoLines traces the circles of x^2 + y^2 as closed lines through the right points", () => {
    const g = sampleGrid((a, b) => a * a + b * b, { xRange: [-2, 2], steps: 81 });
    const [one, two] = isoLines(g, [1, 2.25]);
    for (const [line, r] of [[one, 1], [two, 1.5]] as const) {
      expect(line.x.includes(null), "one piece").to.equal(false);
      const pts = line.x.map((x, i) => [x as number, line.y[i] as number]);
      expect(pts.length).to.be.greaterThan(50);
      expect(pts[0]).to.deep.equal(pts[pts.length - 1]);
      for (const [x, y] of pts) expect(Math.hypot(x, y)).to.be.closeTo(r, 0.01);
    }
    // Simplified, the circle keeps its shape with fewer points.
    const [coarse] = isoLines(g, [1], 1 / 200);
    expect(coarse.x.length).to.be.lessThan(one.x.length / 2);
    coarse.x.forEach((x, i) => expect(Math.hypot(x as number, coarse.y[i] as number)).to.be.closeTo(1, 0.01));
    // A plane crosses each level once, as a straight segment: two points.
    const plane = sampleGrid((a) => a, { xRange: [0, 1], steps: 11 });
    const [mid] = isoLines(plane, [0.55], 1e-6);
    expect(mid.x).to.deep.equal([0.55, 0.55]);
    expect(contourLevels(plane, 4).map((v) => Number(v.toFixed(6)))).to.deep.equal([0.2, 0.4, 0.6, 0.8]);
  });

  it("confusionMatrixChart: class names on both axes with automatic margins, counts from light (0) to dark (max)", () => {
    const cm = [[5, 1, 0], [0, 7, 2], [3, 0, 4]];
    const fig = confusionMatrixChart(cm, { classNames: ["cat", "dog", "a very long class name"], display: false });
    const t = fig.data[0];
    expect(t).to.include({ type: "heatmap", zmin: 0, zmax: 7, texttemplate: "%{z}" });
    expect(t.x).to.deep.equal(["cat", "dog", "a very long class name"]);
    expect(t.y).to.deep.equal(t.x);
    const lightness = (hex: string): number => [1, 3, 5].reduce((sum, i, k) => sum + [0.299, 0.587, 0.114][k] * parseInt(hex.slice(i, i + 2), 16), 0);
    const scale = t.colorscale as [number, string][];
    for (let i = 1; i < scale.length; i++) expect(lightness(scale[i][1]), `step ${i}`).to.be.lessThan(lightness(scale[i - 1][1]));
    expect(lightness(scale[0][1])).to.be.greaterThan(245);
    const layout = fig.layout as { xaxis: Record<string, unknown>; yaxis: Record<string, unknown> };
    expect(layout.xaxis).to.include({ automargin: true, type: "category" });
    expect(layout.yaxis).to.include({ automargin: true, autorange: "reversed" });
    expect(() => confusionMatrixChart([[1, 2]])).to.throw(/square/);
    expect(() => confusionMatrixChart([[1]], { classNames: ["a", "b"] })).to.throw(/2 class names for a 1x1/);
  });

  it("poolingFigure: each window in its colour, the max in strong colour, the output in its window's colour", () => {
    const x = [[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 9, 0], [3, 4, 1, 8]];
    const layout = poolingLayout(x, 2, "max");
    expect(layout.output).to.deep.equal([[6, 4], [7, 9]]);
    expect(layout.window).to.deep.equal([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]);
    expect(layout.winners).to.deep.equal([[1, 1], [0, 3], [2, 0], [2, 2]]);
    expect(poolingLayout(x, 2, "avg").output).to.deep.equal([[3.75, 2.25], [4, 4.5]]);
    // A 5x5 input: the last row and column fit no whole window and are dropped (floor, as Keras and PyTorch).
    const five = poolingLayout(Array.from({ length: 5 }, (_, r) => [0, 1, 2, 3, 4].map((c) => r * 5 + c)), 2, "max");
    expect(five.output).to.deep.equal([[6, 8], [16, 18]]);
    expect(five.window[4]).to.deep.equal([-1, -1, -1, -1, -1]);
    expect(five.window.map((r) => r[4])).to.deep.equal([-1, -1, -1, -1, -1]);

    const fig = poolingFigure(x, { size: 2, display: false });
    const [input, output] = fig.data as { z: number[][]; text: string[][]; xaxis: string; colorscale: [number, string][] }[];
    // Codes: 2w is window w pale, 2w + 1 the same window strong.
    expect(input.z).to.deep.equal([[0, 0, 2, 3], [0, 1, 2, 2], [5, 4, 7, 6], [4, 4, 6, 6]]);
    expect(output.z).to.deep.equal([[1, 3], [5, 7]]);
    expect(output.text).to.deep.equal([["6", "4"], ["7", "9"]]);
    expect([input.xaxis, output.xaxis]).to.deep.equal(["x", "x2"]);
    // The colour scale has two stops (one band) per code, in code order.
    const colorOf = (code: number): string => input.colorscale[2 * code][1];
    expect(colorOf(1)).to.equal(classColor(0));
    expect(colorOf(7)).to.equal(classColor(3));
    expect(colorOf(0)).to.equal(lightClassColor(0, 0.6));
    expect((fig.layout.shapes as { line: { color: string } }[]).map((s) => s.line.color)).to.deep.equal([0, 1, 2, 3].map(classColor));
    expect(() => poolingFigure([[1, 2], [3]], { display: false })).to.throw(/rectangular/);
    expect(() => poolingFigure([[1, 2], [3, 4]], { size: 3, display: false })).to.throw(/from 1 to 2, got 3/);
  });

  it("show rejects something that is not a figure", () => {
    expect(() => show({} as Figure)).to.throw(/expected a plotly figure/);
  });
});

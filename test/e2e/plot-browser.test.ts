import { expect } from "chai";
import { Browser } from "playwright-core";
import { Figure, figureBundle } from "../../src/plot";
import { ChartPage, launchChromium } from "./support/browser";
import { FASHION_CLASSES } from "../../src/fashion-mnist";
import { FASHION_CONFUSION, sampleCharts } from "./support/sample-charts";

describe("charts in a browser (headless chromium, offline)", function () {
  this.timeout(300000);
  let browser: Browser;
  let charts: Record<string, Figure>;

  before(async () => {
    charts = sampleCharts();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it("draws every chart kind from its text/html output when plotly.js is in the page (HTML export)", async () => {
    expect(Object.keys(charts)).to.deep.equal(["line", "scatter", "boundary", "contour", "heatmap", "confusion", "pooling", "surface", "images", "trajectory"]);
    const page = await ChartPage.open(browser, "inline");
    for (const [kind, fig] of Object.entries(charts)) {
      const r = await page.show(figureBundle(fig)["text/html"]);
      expect(r.drawn, `${kind}: ${r.text}`).to.equal(true);
      expect(r.externalRequests, kind).to.deep.equal([]);
    }
    await page.close();
  });

  it("writes every class name of a confusion matrix in full, and the largest count in the darkest cell", async () => {
    const page = await ChartPage.open(browser, "inline");
    const r = await page.show(figureBundle(charts.confusion)["text/html"]);
    expect(r.drawn, r.text).to.equal(true);
    const seen = await page.inspect(async () => {
      const svg = document.querySelector(".nnkit-plot .main-svg")!.getBoundingClientRect();
      const ticks = Array.from(document.querySelectorAll(".nnkit-plot .xtick text, .nnkit-plot .ytick text")).map((t) => {
        const b = t.getBoundingClientRect();
        return { text: t.textContent ?? "", inside: b.left >= svg.left && b.right <= svg.right && b.top >= svg.top && b.bottom <= svg.bottom };
      });
      // Plotly draws the heatmap as one image over the plot area; read each cell's colour back through a canvas.
      const img = document.querySelector(".nnkit-plot .hm image") as SVGImageElement;
      const picture = new Image();
      picture.src = img.getAttribute("href") ?? img.getAttribute("xlink:href") ?? "";
      await picture.decode();
      const canvas = document.createElement("canvas");
      canvas.width = picture.naturalWidth;
      canvas.height = picture.naturalHeight;
      const ctx = canvas.getContext("2d")!;
      ctx.drawImage(picture, 0, 0);
      const k = 10;
      const lightness: number[][] = [];
      for (let i = 0; i < k; i++) {
        lightness.push([]);
        for (let j = 0; j < k; j++) {
          const [r, g, b] = ctx.getImageData(Math.floor(((j + 0.5) / k) * canvas.width), Math.floor(((i + 0.5) / k) * canvas.height), 1, 1).data;
          lightness[i].push(0.299 * r + 0.587 * g + 0.114 * b);
        }
      }
      return { ticks, lightness };
    });
    expect(seen.ticks.filter((t) => t.inside).map((t) => t.text).sort()).to.deep.equal([...FASHION_CLASSES, ...FASHION_CLASSES].sort());
    // Cells ordered by count must be ordered by darkness: compare the largest, a middle and the zero counts.
    const cm = FASHION_CONFUSION;
    const at = (i: number, j: number): number => seen.lightness[i][j];
    expect(at(8, 8), "965 images (the largest count) is darker than 589").to.be.lessThan(at(6, 6));
    expect(at(6, 6), "589 is darker than 157").to.be.lessThan(at(6, 0));
    expect(at(6, 0), "157 is darker than 0").to.be.lessThan(at(0, 7));
    expect(cm[0][7]).to.equal(0);
    expect(at(0, 7), "an empty cell is near white").to.be.greaterThan(240);
    await page.close();
  });

  it("keeps the race's contour lines on screen on every animation frame while it plays", async () => {
    const page = await ChartPage.open(browser, "inline");
    const r = await page.show(figureBundle(charts.trajectory)["text/html"]);
    expect(r.drawn, r.text).to.equal(true);
    const lines = charts.trajectory.data.filter((t) => t.name === "contours").length;
    const counts = await page.raw.evaluate(() => {
      // Lines with a drawn path, whichever way the surface is drawn (scatter lines or a contour trace's paths).
      const drawn = (): number => Array.from(document.querySelectorAll(".nnkit-plot .scatterlayer .js-line, .nnkit-plot .contourlayer path"))
        .filter((l) => (l.getAttribute("d") ?? "").length > 0).length;
      const seen = [drawn()];
      (document.querySelector(".nnkit-plot .updatemenu-button") as SVGElement).dispatchEvent(new MouseEvent("click", { bubbles: true }));
      return new Promise<number[]>((resolve) => {
        const tick = (): void => {
          seen.push(drawn());
          if (seen.length < 90) requestAnimationFrame(tick);
          else resolve(seen);
        };
        requestAnimationFrame(tick);
      });
    });
    const heads = await page.inspect(() => {
      const el = document.querySelector(".nnkit-plot") as HTMLElement & { _fullData: { x: number[]; name: string; showlegend: boolean }[] };
      return el._fullData.filter((t) => t.showlegend === false && t.name !== "contours").map((t) => t.x[0]);
    });
    await page.close();
    // Every contour line and both paths have a drawn path on every frame, and the markers moved.
    expect(lines, "contour lines in the figure").to.be.greaterThan(10);
    expect(counts[0]).to.be.at.least(lines);
    expect(Math.min(...counts)).to.equal(counts[0]);
    expect(heads).to.have.length(2);
    expect(heads[0], "gradient descent's marker left the start").to.not.equal(-1.5);
  });

  it("loads plotly.js once from the local nbextension when the page has none (Jupyter front end)", async () => {
    const page = await ChartPage.open(browser, "nbextension");
    const r = await page.show(figureBundle(charts.scatter)["text/html"]);
    await page.close();
    expect(r.drawn, r.text).to.equal(true);
    expect(r.externalRequests).to.deep.equal([]);
  });

  it("says how to fix it when plotly.js cannot be loaded", async () => {
    const page = await ChartPage.open(browser, "missing");
    const r = await page.show(figureBundle(charts.line)["text/html"]);
    await page.close();
    expect(r.drawn).to.equal(false);
    expect(r.text).to.match(/plotly\.js could not be loaded .*Run scripts\/install-plotly\.sh/);
  });
});

import { expect } from "chai";
import { Browser } from "playwright-core";
import { Figure, figureBundle } from "../../src/plot";
import { ChartPage, launchChromium } from "./support/browser";
import { sampleCharts } from "./support/sample-charts";

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
    expect(Object.keys(charts)).to.deep.equal(["line", "scatter", "boundary", "contour", "heatmap", "surface", "images", "trajectory"]);
    const page = await ChartPage.open(browser, "inline");
    for (const [kind, fig] of Object.entries(charts)) {
      const r = await page.show(figureBundle(fig)["text/html"]);
      expect(r.drawn, `${kind}: ${r.text}`).to.equal(true);
      expect(r.externalRequests, kind).to.deep.equal([]);
    }
    await page.close();
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

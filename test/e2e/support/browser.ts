/** Renders nnkit chart outputs in headless chromium, as a notebook front end shows their text/html part. */
import * as fs from "fs";
import * as path from "path";
import { Browser, Page, chromium } from "playwright-core";
import { KEEP_NAMES_SHIM } from "../../support/keep-names-shim";

const ROOT = path.resolve(__dirname, "../../..");
export const PLOTLY_JS = path.join(ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js");

/** Chromium flags for a quiet, offline, headless run. */
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ARGS });
}

/** What happened when a chart's HTML was put into the page. */
export interface RenderResult {
  /** Plotly drew its plot into the nnkit-plot element. */
  drawn: boolean;
  /** Text of the element when nothing was drawn (e.g. the loader's error). */
  text: string;
  /** Requests that left the page for anything but the served plotly file. */
  externalRequests: string[];
  png?: Buffer;
}

/**
 * How the page gets plotly.js:
 * "inline": window.Plotly is in the page before any chart (the kit's nbconvert template);
 * "nbextension": the chart's loader fetches /nbextensions/nnkit-plotly/plotly.min.js (served from node_modules);
 * "missing": neither (plotly.js not installed for Jupyter).
 */
export type PlotlyRoute = "inline" | "nbextension" | "missing";

/** One offline page that shows chart outputs one after another. */
export class ChartPage {
  private external: string[] = [];
  private constructor(private readonly page: Page, private readonly route: PlotlyRoute) {}

  static async open(browser: Browser, route: PlotlyRoute): Promise<ChartPage> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const cp = new ChartPage(page, route);
    await page.route("**/*", async (r) => {
      const url = r.request().url();
      if (url.endsWith("/nbextensions/nnkit-plotly/plotly.min.js") && route !== "missing") {
        await r.fulfill({ path: PLOTLY_JS, contentType: "application/javascript" });
      } else if (url === "http://kit.test/") {
        await r.fulfill({ body: "<!doctype html><html><head><meta charset='utf-8'></head><body data-base-url='/'></body></html>", contentType: "text/html" });
      } else {
        cp.external.push(url);
        await r.abort();
      }
    });
    await page.addInitScript(KEEP_NAMES_SHIM);
    await page.goto("http://kit.test/");
    if (route === "inline") await page.addScriptTag({ path: PLOTLY_JS });
    return cp;
  }

  /** Replaces the page's output with `html` and waits for plotly to draw it. */
  async show(html: string, opts: { screenshot?: boolean; lastFrame?: boolean } = {}): Promise<RenderResult> {
    this.external = [];
    // Inserted like a front end does: the markup, then each script re-created so it runs.
    await this.page.evaluate((markup) => {
      document.body.innerHTML = "";
      const holder = document.createElement("div");
      holder.className = "output";
      holder.innerHTML = markup;
      document.body.appendChild(holder);
      holder.querySelectorAll("script").forEach((old) => {
        const s = document.createElement("script");
        s.text = old.text;
        old.replaceWith(s);
      });
    }, html);
    const drawn = await this.page
      .waitForSelector(".nnkit-plot .main-svg", { timeout: this.route === "missing" ? 3000 : 30000 })
      .then(() => true)
      .catch(() => false);
    if (drawn && opts.lastFrame) {
      // Jump an animation to its end, so the picture shows whole paths.
      await this.page.evaluate(() => {
        const el = document.querySelector(".nnkit-plot") as HTMLElement & { _transitionData?: { _frames?: { name: string }[] } };
        const frames = el._transitionData?._frames ?? [];
        const P = (window as unknown as { Plotly: { animate: (e: HTMLElement, f: string[], o: object) => Promise<void> } }).Plotly;
        if (frames.length) return P.animate(el, [frames[frames.length - 1].name], { frame: { duration: 0, redraw: true }, transition: { duration: 0 }, mode: "immediate" });
      });
    }
    // Let the WebGL surface and transitions settle before a picture is taken.
    if (drawn && opts.screenshot) await this.page.waitForTimeout(800);
    const el = await this.page.$(".nnkit-plot");
    if (!drawn) await this.page.waitForFunction(() => !document.querySelector(".nnkit-plot-pending"), undefined, { timeout: 10000 }).catch(() => undefined);
    const text = drawn ? "" : ((await el?.textContent()) ?? "");
    const png = drawn && opts.screenshot && el ? await el.screenshot() : undefined;
    return { drawn, text, externalRequests: [...this.external], png };
  }

  /** Runs `fn` in the page (after `show`) and returns its result. */
  inspect<T>(fn: () => T | Promise<T>): Promise<T> {
    return this.page.evaluate(fn);
  }

  /** The underlying playwright page, for clicks and waits a test needs. */
  get raw(): Page {
    return this.page;
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

/** Writes a PNG, creating its folder. */
export function writePng(file: string, png: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, png);
}

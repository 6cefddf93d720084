/**
 * Renders one chart of each kind in headless chromium and writes docs/img/chart-<kind>.png
 * (the README's pictures). Part of `npm run screenshots`; one kind only:
 * node -r tsx/cjs test/e2e/screenshots.ts line
 */
import * as path from "path";
import { figureBundle } from "../../src/plot";
import { clearRecordedDisplays, recordedDisplays } from "../../src/display";
import { liveProgress } from "../../src/progress";
import { ChartPage, launchChromium, writePng } from "./support/browser";

type Hook = (this: { params: object }, ...args: unknown[]) => void;

/** The live training display half-way through a run, fed with made-up but typical logs. */
function progressHtml(): string {
  clearRecordedDisplays();
  let t = 0;
  const cb = liveProgress({ mode: "html", now: () => t, title: "CNN on Fashion-MNIST" }) as unknown as Record<string, Hook>;
  const self = { params: { epochs: 10, samples: 54000, batchSize: 512 } };
  cb.onTrainBegin.call(self, {});
  for (let e = 0; e < 6; e++) {
    cb.onEpochBegin.call(self, e, {});
    const last = e === 5 ? 60 : 106;
    for (let b = 0; b < last; b++) {
      t += 90;
      const loss = 0.9 * Math.exp(-(e + b / 106) / 2.5) + 0.2;
      cb.onBatchEnd.call(self, b, { loss, acc: 1 - loss * 0.9 });
    }
    if (e < 5) {
      const loss = 0.9 * Math.exp(-(e + 1) / 2.5) + 0.2;
      cb.onEpochEnd.call(self, e, { loss, acc: 1 - loss * 0.9, val_loss: loss + 0.02 + 0.01 * e, val_acc: 1 - loss * 0.9 - 0.015 });
    }
  }
  const shown = recordedDisplays();
  return shown[shown.length - 1].bundle["text/html"];
}
import { sampleCharts } from "./support/sample-charts";

async function main(): Promise<void> {
  const out = path.resolve(__dirname, "../../docs/img");
  const browser = await launchChromium();
  try {
    const page = await ChartPage.open(browser, "inline");
    const only = process.argv.slice(2);
    for (const [kind, fig] of Object.entries(sampleCharts())) {
      if (only.length && !only.includes(kind)) continue;
      const r = await page.show(figureBundle(fig)["text/html"], { screenshot: true, lastFrame: true });
      if (!r.drawn || !r.png) throw new Error(`chart ${kind} was not drawn: ${r.text}`);
      writePng(path.join(out, `chart-${kind}.png`), r.png);
      console.log(`docs/img/chart-${kind}.png  ${(r.png.length / 1024).toFixed(0)} KiB`);
    }
    if (!only.length || only.includes("progress")) {
      const page2 = await browser.newPage({ viewport: { width: 1000, height: 400 } });
      await page2.setContent(`<!doctype html><body style="margin:10px">${progressHtml()}</body>`);
      const el = await page2.$(".nnkit-progress");
      if (!el) throw new Error("no progress display");
      writePng(path.join(out, "chart-progress.png"), await el.screenshot());
      console.log("docs/img/chart-progress.png");
    }
  } finally {
    await browser.close();
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});

/**
 * Live training display for tfjs `fit`: one output, updated in place, with a
 * progress bar, epoch / batch / loss / accuracy / ETA, and loss and accuracy
 * curves (train and validation). The curves are inline SVG, so they need no
 * script and show in every front end, in untrusted notebooks and in exported
 * HTML. Outside Jupyter it prints one plain line per epoch.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { displayBundle, inJupyter, newDisplayId } from "./display";

/** The numbers tfjs passes to callbacks (loss, acc, val_loss, val_acc, ...). */
export type TrainLogs = Record<string, number>;

/** Options of `liveProgress`. */
export interface ProgressOptions {
  /** Title above the display (default "Training"). */
  title?: string;
  /** Total epochs; normally read from `fit`'s parameters, needed only if they are not passed to callbacks. */
  epochs?: number;
  /** Batches per epoch; normally read from `fit`'s parameters, else counted in the first epoch. */
  batchesPerEpoch?: number;
  /** Minimum milliseconds between two redraws during an epoch (default 250); epoch ends always redraw. */
  throttleMs?: number;
  /** "auto" (default): HTML in Jupyter, text lines elsewhere; or force one. */
  mode?: "auto" | "html" | "text";
  /** Where text lines go (default console.log). */
  print?: (line: string) => void;
  /** Clock in milliseconds (default Date.now); for tests. */
  now?: () => number;
}

/** What tfjs's fit tells its callbacks (CustomCallback.params). */
interface FitParams {
  epochs?: number;
  initialEpoch?: number;
  samples?: number | null;
  steps?: number | null;
  batchSize?: number;
  doValidation?: boolean;
}

/** The state of a training run as the display shows it. */
export interface ProgressState {
  title: string;
  epochs: number | null;
  batchesPerEpoch: number | null;
  epoch: number;
  batch: number;
  /** Mean of this epoch's batch losses / accuracies so far. */
  running: { loss: number | null; acc: number | null };
  /** One entry per finished epoch. */
  history: TrainLogs[];
  startedAt: number;
  now: number;
  done: boolean;
}

/** Accuracy under either name tfjs uses ("acc" for metrics: ["accuracy"], or "accuracy"). */
function accOf(logs: TrainLogs, prefix = ""): number | undefined {
  return logs[`${prefix}acc`] ?? logs[`${prefix}accuracy`];
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits);
}

/** Seconds as "42s", "3m05s" or "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Fraction of the whole run done (0..1), or null when the total is unknown. */
export function progressFraction(st: ProgressState): number | null {
  if (st.done) return 1;
  if (!st.epochs) return null;
  const inEpoch = st.batchesPerEpoch ? Math.min(1, st.batch / st.batchesPerEpoch) : 0;
  return Math.min(1, (st.epoch + inEpoch) / st.epochs);
}

/** Estimated seconds left, from the time per unit of progress so far. */
export function etaSeconds(st: ProgressState): number | null {
  const f = progressFraction(st);
  if (f === null || f <= 0) return null;
  const elapsed = (st.now - st.startedAt) / 1000;
  return (elapsed / f) * (1 - f);
}

/** The one-line summary: "epoch 3/10  batch 12/94  loss 0.4321  acc 0.8712  val_loss ...  12s  ETA 40s". */
export function progressLine(st: ProgressState): string {
  const last = st.history[st.history.length - 1];
  // Between epochs (and at the end) the line reports the last finished epoch.
  const between = st.done || st.batch === 0;
  const parts = [`epoch ${between ? st.history.length : st.epoch + 1}/${st.epochs ?? "?"}`];
  if (!between) parts.push(`batch ${st.batch}/${st.batchesPerEpoch ?? "?"}`);
  const loss = between ? last?.loss : st.running.loss;
  const acc = between ? (last ? accOf(last) : undefined) : st.running.acc;
  parts.push(`loss ${fmt(loss)}`);
  if (acc !== undefined && acc !== null) parts.push(`acc ${fmt(acc)}`);
  if (last?.val_loss !== undefined) parts.push(`val_loss ${fmt(last.val_loss)}`);
  if (last && accOf(last, "val_") !== undefined) parts.push(`val_acc ${fmt(accOf(last, "val_"))}`);
  parts.push(formatDuration((st.now - st.startedAt) / 1000));
  if (!st.done) {
    const eta = etaSeconds(st);
    parts.push(`ETA ${eta === null ? "?" : formatDuration(eta)}`);
  }
  return parts.join("  ");
}

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

interface Series {
  name: string;
  color: string;
  dash?: boolean;
  points: [number, number][];
}

/** A small SVG line chart (no script needed, so it updates in place anywhere). */
function svgChart(title: string, series: Series[], width = 320, height = 170): string {
  const pad = { l: 44, r: 8, t: 18, b: 22 };
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xMax = Math.max(1, ...all.map(([x]) => x));
  let yMin = Math.min(...all.map(([, y]) => y));
  let yMax = Math.max(...all.map(([, y]) => y));
  if (!all.length) [yMin, yMax] = [0, 1];
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const sx = (x: number): number => pad.l + (x / xMax) * (width - pad.l - pad.r);
  const sy = (y: number): number => pad.t + (1 - (y - yMin) / (yMax - yMin)) * (height - pad.t - pad.b);
  const lines = series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const pts = s.points.filter(([, y]) => Number.isFinite(y)).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
      const dots = s.points.length <= 40 ? s.points.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2" fill="${s.color}"/>`).join("") : "";
      return `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash ? ' stroke-dasharray="4 3"' : ""}/>${dots}`;
    })
    .join("");
  // The legend sits in the title row, so it never covers a curve.
  const legend = series
    .map((s, i) => `<text x="${width - pad.r - 90 * (series.length - 1 - i)}" y="12" text-anchor="end" font-size="10" fill="${s.color}">${s.dash ? "- - " : "— "}${escapeHtml(s.name)}</text>`)
    .join("");
  const axis =
    `<line x1="${pad.l}" y1="${height - pad.b}" x2="${width - pad.r}" y2="${height - pad.b}" stroke="#999"/>` +
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="#999"/>` +
    `<text x="${pad.l - 4}" y="${pad.t + 4}" text-anchor="end" font-size="10">${fmt(yMax, 3)}</text>` +
    `<text x="${pad.l - 4}" y="${height - pad.b}" text-anchor="end" font-size="10">${fmt(yMin, 3)}</text>` +
    `<text x="${width - pad.r}" y="${height - 6}" text-anchor="end" font-size="10">epoch ${fmt(xMax, 0)}</text>` +
    `<text x="${pad.l}" y="12" font-size="11" font-weight="bold">${escapeHtml(title)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" style="background:#fff">${axis}${lines}${legend}</svg>`;
}

/** The curves of one metric: train per epoch (plus the live running value) and validation per epoch. */
function metricSeries(st: ProgressState, metric: "loss" | "acc"): Series[] {
  const get = (logs: TrainLogs, prefix: string): number | undefined => (metric === "loss" ? logs[`${prefix}loss`] : accOf(logs, prefix));
  const train: [number, number][] = [];
  const val: [number, number][] = [];
  st.history.forEach((logs, i) => {
    const t = get(logs, "");
    const v = get(logs, "val_");
    if (t !== undefined) train.push([i + 1, t]);
    if (v !== undefined) val.push([i + 1, v]);
  });
  const live = st.running[metric];
  if (!st.done && live !== null && st.batch > 0 && st.batchesPerEpoch) train.push([st.epoch + st.batch / st.batchesPerEpoch, live]);
  const out: Series[] = [{ name: "train", color: "#1f77b4", points: train }];
  if (val.length) out.push({ name: "validation", color: "#ff7f0e", dash: true, points: val });
  return out;
}

/** The HTML of the display: root element with class `nnkit-progress`. */
export function progressHtml(st: ProgressState): string {
  const f = progressFraction(st);
  const pct = f === null ? 0 : Math.round(f * 1000) / 10;
  const bar =
    `<div style="background:#e5e5e5;border-radius:3px;height:14px;width:100%;max-width:660px">` +
    `<div class="nnkit-progress-bar" style="background:${st.done ? "#2ca02c" : "#1f77b4"};height:14px;border-radius:3px;width:${pct}%"></div></div>`;
  const hasAcc = st.history.some((l) => accOf(l) !== undefined) || st.running.acc !== null;
  const charts = st.history.length || st.batch > 0 ? svgChart("loss", metricSeries(st, "loss")) + (hasAcc ? svgChart("accuracy", metricSeries(st, "acc")) : "") : "";
  return (
    `<div class="nnkit-progress" style="font:12px monospace">` +
    `<div style="font-weight:bold;margin-bottom:3px">${escapeHtml(st.title)}${st.done ? " (done)" : ""} ${f === null ? "" : `${pct}%`}</div>` +
    bar +
    `<div class="nnkit-progress-text" style="margin:4px 0;white-space:pre">${escapeHtml(progressLine(st))}</div>` +
    `<div style="display:flex;gap:12px;flex-wrap:wrap">${charts}</div></div>`
  );
}

/**
 * Callbacks for tfjs training that show live progress in one output updated
 * in place: `await model.fit(x, y, { epochs: 10, callbacks: liveProgress() })`
 * (also works with nnkit's `fit`). Outside Jupyter it prints a line per epoch.
 */
export function liveProgress(opts: ProgressOptions = {}): tfTypes.CustomCallbackArgs {
  const now = opts.now ?? Date.now;
  const throttle = opts.throttleMs ?? 250;
  const print = opts.print ?? ((line: string) => console.log(line));
  const html = (): boolean => (opts.mode === "html" ? true : opts.mode === "text" ? false : inJupyter());
  let id = newDisplayId();
  let lastDraw = -Infinity;
  let sums = { loss: 0, acc: 0, n: 0, accN: 0 };
  let batchesSeen = 0;
  const st: ProgressState = {
    title: opts.title ?? "Training",
    epochs: opts.epochs ?? null,
    batchesPerEpoch: opts.batchesPerEpoch ?? null,
    epoch: 0,
    batch: 0,
    running: { loss: null, acc: null },
    history: [],
    startedAt: now(),
    now: now(),
    done: false,
  };
  const draw = (force: boolean, line: boolean): void => {
    st.now = now();
    if (html()) {
      if (!force && st.now - lastDraw < throttle) return;
      lastDraw = st.now;
      displayBundle({ "text/html": progressHtml(st), "text/plain": progressLine(st) }, id);
    } else if (line) {
      print(progressLine(st));
    }
  };

  // Regular functions, not arrows: tfjs calls them as methods of its CustomCallback,
  // whose `params` tell the number of epochs and of samples per epoch.
  return {
    onTrainBegin: function (this: { params?: FitParams } | undefined) {
      const p = this?.params;
      id = newDisplayId();
      st.history = [];
      st.done = false;
      st.epoch = 0;
      st.batch = 0;
      st.startedAt = now();
      if (p?.epochs !== undefined && opts.epochs === undefined) st.epochs = p.epochs - (p.initialEpoch ?? 0);
      if (opts.batchesPerEpoch === undefined) {
        if (p?.steps) st.batchesPerEpoch = p.steps;
        else if (p?.samples && p.batchSize) st.batchesPerEpoch = Math.ceil(p.samples / p.batchSize);
      }
      draw(true, false);
    },
    onEpochBegin: () => {
      st.epoch = st.history.length;
      st.batch = 0;
      sums = { loss: 0, acc: 0, n: 0, accN: 0 };
      st.running = { loss: null, acc: null };
      batchesSeen = 0;
    },
    onBatchEnd: (batch: number, logs?: TrainLogs) => {
      batchesSeen++;
      st.batch = Math.max(batch + 1, batchesSeen);
      if (logs?.loss !== undefined) {
        sums.loss += logs.loss;
        sums.n++;
      }
      const acc = logs ? accOf(logs) : undefined;
      if (acc !== undefined) {
        sums.acc += acc;
        sums.accN++;
      }
      st.running = { loss: sums.n ? sums.loss / sums.n : null, acc: sums.accN ? sums.acc / sums.accN : null };
      draw(false, false);
    },
    onEpochEnd: (_epoch: number, logs?: TrainLogs) => {
      if (st.batchesPerEpoch === null && batchesSeen > 0) st.batchesPerEpoch = batchesSeen;
      st.history.push({ ...(logs ?? {}) });
      st.epoch = st.history.length;
      st.batch = 0;
      draw(true, true);
    },
    onTrainEnd: () => {
      st.done = true;
      draw(true, false);
    },
  };
}

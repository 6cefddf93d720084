import { gzipSync } from "zlib";

/**
 * The browser-side script of a chart's text/html output. It finds plotly.js
 * without any network:
 * 1. `window.Plotly` already there (an HTML export made with the kit's nbconvert
 *    template inlines plotly.js once in the page head);
 * 2. classic Notebook: require.js loads `nbextensions/nnkit-plotly/plotly.min.js`,
 *    which scripts/install-plotly.sh installs into Jupyter's data dir;
 * 3. elsewhere (JupyterLab without plotly's extension): a <script> tag for the
 *    same file under the server's base URL.
 * The promise is shared, so plotly.js is loaded once per page.
 *
 * A large figure is embedded gzipped and base64-encoded (the plotly JSON part of
 * the same output already holds it in the clear; this halves a saved notebook)
 * and unpacked with the browser's DecompressionStream.
 */

const LOADER = `
var el = document.getElementById(__NNKIT_ID__);
if (!el) return;
var w = window;
function gunzipJson(b64) {
  var bin = atob(b64);
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  if (typeof DecompressionStream === "undefined") return Promise.reject(new Error("this browser has no DecompressionStream"));
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(JSON.parse);
}
var figure = __NNKIT_FIG__;
function draw(P) {
  figure.then(function (fig) {
    el.innerHTML = "";
    return P.newPlot(el, fig);
  }).catch(fail);
}
function fail(e) {
  el.innerHTML = '<pre style="color:#b00">nnkit: plotly.js could not be loaded (' + (e && e.message ? e.message : e) +
    '). Run scripts/install-plotly.sh, or export HTML with: jupyter nbconvert --to html --template nnkit</pre>';
}
if (w.Plotly) { draw(w.Plotly); return; }
if (!w.__nnkitPlotly) {
  w.__nnkitPlotly = new Promise(function (resolve, reject) {
    var path = "nbextensions/nnkit-plotly/plotly.min";
    if (typeof w.requirejs === "function") {
      w.requirejs([path], function (P) { w.Plotly = w.Plotly || P; resolve(w.Plotly); }, reject);
      return;
    }
    var base = "/";
    var cfg = document.getElementById("jupyter-config-data");
    try { if (cfg) base = JSON.parse(cfg.textContent).baseUrl || base; } catch (e) {}
    if (document.body && document.body.getAttribute("data-base-url")) base = document.body.getAttribute("data-base-url");
    var s = document.createElement("script");
    s.src = base.replace(/\\/?$/, "/") + path + ".js";
    s.onload = function () { w.Plotly ? resolve(w.Plotly) : reject(new Error("no window.Plotly")); };
    s.onerror = function () { reject(new Error("cannot load " + s.src)); };
    document.head.appendChild(s);
  });
}
w.__nnkitPlotly.then(draw, fail);
`;

/**
 * The chart's inline script: draws the figure into the element with id `id`.
 * `figure` is JS that evaluates to a Promise of the figure (see figureExpression).
 */
export function loaderScript(id: string, figure: string): string {
  // Function replacers: a "$" in the figure must not be read as a replacement pattern.
  const body = LOADER.replace("__NNKIT_ID__", () => JSON.stringify(id)).replace("__NNKIT_FIG__", () => figure);
  return `(function () {${body}})();`;
}

/** Figures above this many characters of JSON are embedded gzipped in the HTML. */
export const GZIP_ABOVE = 16 * 1024;

/** JS that evaluates to a Promise of the figure: inline JSON for small figures, gzip+base64 for large ones. */
export function figureExpression(json: string): string {
  if (json.length <= GZIP_ABOVE) {
    // "<" is escaped so that no string in the figure can close the <script> element.
    return `Promise.resolve(${json.replace(/</g, "\\u003c")})`;
  }
  const packed = gzipSync(Buffer.from(json, "utf8"), { level: 9 }).toString("base64");
  return `gunzipJson("${packed}")`;
}

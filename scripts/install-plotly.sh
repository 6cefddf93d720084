#!/usr/bin/env bash
# Installs the local copy of plotly.js for Jupyter, so nnkit charts draw without a network:
#  - as the classic Notebook extension file nbextensions/nnkit-plotly/plotly.min.js
#    (chart outputs load it with require.js; no "enable" step is needed for a plain file);
#  - as the nbconvert template "nnkit", which inlines plotly.js once per exported page:
#      jupyter nbconvert --to html --template nnkit notebooks/02_mlp.ipynb
# Both go to Jupyter's user data dir (or $JUPYTER_DATA_DIR). Idempotent: run it again
# after an upgrade of plotly.js-dist-min.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PLOTLY="$ROOT/node_modules/plotly.js-dist-min/plotly.min.js"
if [ ! -f "$PLOTLY" ]; then
  echo "install-plotly: $PLOTLY is missing; run 'npm ci' first" >&2
  exit 1
fi

find_python() {
  for py in "${JUPYTER_PYTHON:-}" /usr/bin/python3 python3; do
    if [ -n "$py" ] && "$py" -c "import jupyter_core" >/dev/null 2>&1; then
      echo "$py"
      return 0
    fi
  done
  return 1
}
if ! PY="$(find_python)"; then
  echo "install-plotly: no Python with Jupyter found (set JUPYTER_PYTHON); install Jupyter first" >&2
  exit 1
fi
DATA="$("$PY" -c "from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())")"

copy_if_changed() { # src dst
  if ! cmp -s "$1" "$2"; then cp "$1" "$2"; fi
}

EXT="$DATA/nbextensions/nnkit-plotly"
mkdir -p "$EXT"
copy_if_changed "$PLOTLY" "$EXT/plotly.min.js"

TPL="$DATA/nbconvert/templates/nnkit"
mkdir -p "$TPL"
copy_if_changed "$ROOT/scripts/nbconvert/nnkit/conf.json" "$TPL/conf.json"
copy_if_changed "$ROOT/scripts/nbconvert/nnkit/index.html.j2" "$TPL/index.html.j2"
# plotly.js wrapped as a raw Jinja block, so that no "{{" inside it is read as a template tag.
if grep -q "endraw" "$PLOTLY"; then
  echo "install-plotly: plotly.min.js contains 'endraw' and cannot be wrapped for Jinja" >&2
  exit 1
fi
TMP="$(mktemp)"
{ printf '{%% raw %%}'; cat "$PLOTLY"; printf '{%% endraw %%}\n'; } > "$TMP"
copy_if_changed "$TMP" "$TPL/nnkit_plotly.js.j2"
rm -f "$TMP"

echo "plotly.js $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$ROOT/node_modules/plotly.js-dist-min/package.json") installed for Jupyter in $DATA (nbextensions/nnkit-plotly, nbconvert template nnkit)"

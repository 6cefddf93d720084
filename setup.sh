#!/usr/bin/env bash
# One-command installer for ml-exercises-ts. Safe to run again: every step first
# looks at what is already there and only acts when something is missing or stale.
#
#   ./setup.sh          everything a student or instructor needs
#   ./setup.sh --e2e    also the browser (chromium) for `npm run test:e2e` (implied by CI=true)
#
# Environment: JUPYTER_PYTHON (a Python with Jupyter to use), FASHION_MNIST_DIR
# (a folder holding the four Fashion-MNIST .gz files).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

STEP="start"
CHANGED=0
APT_UPDATED=0
WANT_E2E=0
[[ "${CI:-}" == "true" ]] && WANT_E2E=1
for arg in "$@"; do
  case "$arg" in
    --e2e) WANT_E2E=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# With -E the trap also fires inside functions and $(...) subshells: report once, from the main shell.
trap '[[ "$BASHPID" == "$$" ]] && echo "setup.sh: FAILED at step \"$STEP\" (see the messages above)" >&2' ERR

say() { echo "[$STEP] $*"; }
did() { CHANGED=$((CHANGED + 1)); say "$@"; }
fail() {
  echo "[$STEP] ERROR: $*" >&2
  echo "setup.sh: FAILED at step \"$STEP\"" >&2
  exit 1
}
is_root() { [[ "$(id -u)" == "0" ]]; }
have_apt() { command -v apt-get >/dev/null 2>&1; }
apt_install() {
  if [[ "$APT_UPDATED" == "0" ]]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p .nnkit

# --- Node.js --------------------------------------------------------------
STEP="node"
command -v node >/dev/null 2>&1 || fail "Node.js is not installed: install Node 20.19 or newer (https://nodejs.org)"
NODE_VERSION="$(node -p 'process.versions.node')"
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  process.exit(maj > 20 || (maj === 20 && min >= 19) ? 0 : 1);
' || fail "Node $NODE_VERSION is too old: this kit needs Node 20.19 or newer"
say "node $NODE_VERSION found"

# --- bubblewrap: the grader's isolation of student code ---------------------------
# Every graded notebook (and `npm run check`) runs inside bubblewrap: its own user, pid and
# network namespaces and a read-only view of node and the kit's libraries. prlimit (util-linux)
# sets its resource limits. Missing bubblewrap is installed from Debian when possible.
STEP="bubblewrap"
if command -v bwrap >/dev/null 2>&1; then
  say "bubblewrap found: $(bwrap --version 2>/dev/null | head -1)"
elif is_root && have_apt; then
  apt_install bubblewrap
  command -v bwrap >/dev/null 2>&1 || fail "apt installed bubblewrap but bwrap is still not on PATH"
  did "bubblewrap installed (Debian): graded notebooks run in namespaces of their own"
else
  say "WARNING: bubblewrap is not installed and this user cannot install it (needs root and apt): 'npm run check' runs notebooks with Node's permission model only, and 'npm run grade' refuses unless given --no-isolation. Install it with: sudo apt-get install bubblewrap"
fi
command -v prlimit >/dev/null 2>&1 || say "WARNING: prlimit (util-linux) is missing: the sandbox needs it for its resource limits"
if command -v bwrap >/dev/null 2>&1; then
  # The same namespaces the grader asks for; as root it also tries as nobody (the grader drops to it).
  bwrap_ok() { "$@" bwrap --unshare-user --unshare-pid --unshare-net --unshare-ipc --die-with-parent --ro-bind / / true >/dev/null 2>&1; }
  if bwrap_ok env || { is_root && command -v setpriv >/dev/null 2>&1 && bwrap_ok setpriv --reuid=65534 --regid=65534 --clear-groups; }; then
    say "bubblewrap can create user namespaces here: student code will be isolated"
  else
    say "WARNING: bubblewrap cannot create user namespaces here (kernel.unprivileged_userns_clone=0, an AppArmor rule, or a container's seccomp profile). Allow them (see README, Security), or grade with --no-isolation"
  fi
fi

# --- npm packages ---------------------------------------------------------
# The stamp holds the lockfile's hash and Node's ABI (native modules such as
# better-sqlite3 are built for one ABI), so a matching stamp means nothing to do.
STEP="npm"
STAMP="node_modules/.nnkit-lock-sha256"
WANT_STAMP="$(sha256_of package-lock.json) node-abi-$(node -p 'process.versions.modules')"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT_STAMP" ]]; then
  say "node_modules matches package-lock.json: nothing to install"
elif [[ -f node_modules/.package-lock.json && ! -f "$STAMP" ]] && node -e '
    // node_modules was installed without this script (e.g. by a plain npm ci):
    // adopt it when npm'"'"'s own record of what it installed matches the lockfile.
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages;
    for (const [p, meta] of Object.entries(want)) {
      if (p === "" || !p.startsWith("node_modules/")) continue;
      const got = have[p];
      if (!got) { if (meta.optional) continue; process.exit(1); }
      if (got.version !== meta.version) process.exit(1);
    }
    for (const p of Object.keys(have)) if (p.startsWith("node_modules/") && !want[p]) process.exit(1);
  ' 2>/dev/null; then
  echo "$WANT_STAMP" > "$STAMP"
  say "node_modules already matches package-lock.json: recorded its hash, no npm ci needed"
else
  say "node_modules is missing or does not match package-lock.json: running npm ci (a few minutes)"
  # tfjs-node is optional: its install script needs the internet and npm goes on without it.
  npm ci --no-audit --no-fund
  echo "$WANT_STAMP" > "$STAMP"
  did "npm ci done"
fi
if [[ ! -f src/dist/index.js ]]; then
  STEP="build"
  npm run --silent build
  did "built the nnkit library (src -> src/dist)"
fi
STEP="npm"
if node -e 'require.resolve("@tensorflow/tfjs-node")' 2>/dev/null; then
  say "@tensorflow/tfjs-node is installed: notebooks will use the native backend"
else
  say "@tensorflow/tfjs-node is not installed (optional): notebooks will use the WebAssembly backend"
fi

# --- Jupyter ----------------------------------------------------------------
STEP="jupyter"
has_jupyter() { "$1" -c 'import notebook, nbconvert, nbclient, jupyter_client' >/dev/null 2>&1; }
PY=""
candidates=()
[[ -n "${JUPYTER_PYTHON:-}" ]] && candidates+=("$JUPYTER_PYTHON")
[[ -f .nnkit/python ]] && candidates+=("$(cat .nnkit/python)")
candidates+=(python3 /usr/bin/python3 python)
for c in "${candidates[@]}"; do
  if command -v "$c" >/dev/null 2>&1 && has_jupyter "$c"; then PY="$(command -v "$c")"; break; fi
done
if [[ -z "$PY" ]]; then
  if is_root && have_apt; then
    say "no Python with Jupyter (notebook, nbconvert, nbclient) found: installing Debian's"
    apt_install jupyter-notebook jupyter-nbconvert python3-nbclient
    PY=/usr/bin/python3
  else
    PIPPY="$(command -v python3 || command -v python || true)"
    [[ -n "$PIPPY" ]] || fail "no Python found: install Python 3 (and then rerun ./setup.sh)"
    say "no Python with Jupyter found: pip install --user notebook nbconvert nbclient"
    # Notebook 6: the classic interface that the plotly nbextension and the e2e test target.
    "$PIPPY" -m pip install --user --quiet "notebook<7" nbconvert nbclient
    PY="$PIPPY"
  fi
  has_jupyter "$PY" || fail "Jupyter was installed but '$PY' still cannot import notebook/nbconvert/nbclient"
  did "Jupyter installed for $PY"
fi
NB_VERSION="$("$PY" -c 'import notebook; print(notebook.__version__)')"
if [[ "$(cat .nnkit/python 2>/dev/null || true)" != "$PY" ]]; then
  echo "$PY" > .nnkit/python
  did "Jupyter Notebook $NB_VERSION found with $PY (recorded in .nnkit/python)"
else
  say "Jupyter Notebook $NB_VERSION found with $PY"
fi

# --- the TypeScript kernel --------------------------------------------------
STEP="kernel"
TSLAB="$ROOT/node_modules/.bin/tslab"
[[ -x "$TSLAB" ]] || fail "$TSLAB is missing: the npm step did not install tslab"
registered_tslab() {
  "$PY" -c '
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    print(KernelSpecManager().get_kernel_spec("tslab").argv[0])
except NoSuchKernel:
    pass' 2>/dev/null || true
}
CURRENT="$(registered_tslab)"
if [[ "$CURRENT" == "$TSLAB" ]]; then
  say "tslab kernel already registered -> $TSLAB"
else
  [[ -n "$CURRENT" ]] && say "tslab kernel points elsewhere ($CURRENT): registering this project's"
  # Per user (also for root): it needs no privileges, Jupyter prefers it over a system-wide
  # spec, and JUPYTER_DATA_DIR can point it elsewhere.
  "$TSLAB" install --user --python "$PY" --binary "$TSLAB" >/dev/null
  [[ "$(registered_tslab)" == "$TSLAB" ]] || fail "registered the tslab kernel, but Jupyter still lists '$(registered_tslab)'"
  did "tslab kernel registered -> $TSLAB"
fi
# npm start (scripts/start.sh, the same script as in a student kit) starts the kernel named here.
[[ "$(cat .nnkit/kernel 2>/dev/null || true)" == "tslab" ]] || echo "tslab" > .nnkit/kernel

# --- Fashion-MNIST ------------------------------------------------------------
STEP="fashion-mnist"
FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
# SHA-256 of the original files (identical to Debian's dataset-fashion-mnist package).
declare -A SHA=(
  [train-images-idx3-ubyte.gz]=b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7
  [train-labels-idx1-ubyte.gz]=0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056
  [t10k-images-idx3-ubyte.gz]=cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa
  [t10k-labels-idx1-ubyte.gz]=8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05
)
has_all() { for f in "${FILES[@]}"; do [[ -s "$1/$f" ]] || return 1; done; }
DEBIAN_DATA=/usr/share/datasets/fashion-mnist
LOCAL_DATA="$ROOT/data/fashion-mnist"
if [[ -n "${FASHION_MNIST_DIR:-}" ]] && has_all "$FASHION_MNIST_DIR"; then
  say "Fashion-MNIST found in \$FASHION_MNIST_DIR=$FASHION_MNIST_DIR"
elif has_all "$DEBIAN_DATA"; then
  say "Fashion-MNIST found in $DEBIAN_DATA"
elif has_all "$LOCAL_DATA"; then
  say "Fashion-MNIST found in data/fashion-mnist"
else
  if is_root && have_apt && apt_install dataset-fashion-mnist 2>/dev/null && has_all "$DEBIAN_DATA"; then
    did "Fashion-MNIST installed from Debian (dataset-fashion-mnist) in $DEBIAN_DATA"
  else
    say "downloading Fashion-MNIST into data/fashion-mnist/"
    mkdir -p "$LOCAL_DATA"
    BASE="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"
    for f in "${FILES[@]}"; do
      [[ -s "$LOCAL_DATA/$f" && "$(sha256_of "$LOCAL_DATA/$f")" == "${SHA[$f]}" ]] && continue
      if ! curl -fsSL --retry 2 -o "$LOCAL_DATA/$f.part" "$BASE/$f"; then
        rm -f "$LOCAL_DATA/$f.part"
        fail "could not download $f. Get the four files (${FILES[*]}) from https://github.com/zalandoresearch/fashion-mnist
  and put them in $LOCAL_DATA (or set FASHION_MNIST_DIR to their folder), or on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist"
      fi
      mv "$LOCAL_DATA/$f.part" "$LOCAL_DATA/$f"
    done
    did "Fashion-MNIST downloaded into data/fashion-mnist"
  fi
fi
for dir in "${FASHION_MNIST_DIR:-}" "$DEBIAN_DATA" "$LOCAL_DATA"; do
  [[ -n "$dir" ]] && has_all "$dir" || continue
  for f in "${FILES[@]}"; do
    [[ "$(sha256_of "$dir/$f")" == "${SHA[$f]}" ]] || fail "$dir/$f is damaged (SHA-256 differs from the original): delete it and rerun ./setup.sh"
  done
  say "Fashion-MNIST files checked (SHA-256)"
  break
done

# --- plotly for the classic Notebook -------------------------------------------
STEP="plotly"
if [[ -f scripts/install-plotly.sh ]]; then
  # Whether it changed anything is read off the installed files, not off its messages.
  JDATA="$("$PY" -c 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())')"
  plotly_state() { find "$JDATA/nbextensions/nnkit-plotly" "$JDATA/nbconvert/templates/nnkit" -type f -exec sha256sum {} + 2>/dev/null | LC_ALL=C sort || true; }
  before="$(plotly_state)"
  JUPYTER_PYTHON="$PY" bash scripts/install-plotly.sh "$PY" | sed "s/^/[$STEP] /"
  if [[ "$(plotly_state)" == "$before" ]]; then
    say "plotly.js for Jupyter already up to date"
  else
    did "plotly.js installed for Jupyter (offline charts in Notebook and in nbconvert HTML)"
  fi
else
  say "scripts/install-plotly.sh not present: skipped"
fi

# --- public checks ----------------------------------------------------------------
# checks/*.json are computed by running the master notebooks, so they are rebuilt only
# when a master, a spec, the grader or the library changed since the last build.
STEP="checks"
shopt -s nullglob
MASTERS=(notebooks/*.ipynb)
if [[ ! -f grader/judge/build-checks.ts ]]; then
  say "grader/judge/build-checks.ts not present: skipped"
elif [[ ${#MASTERS[@]} -eq 0 ]]; then
  say "no master notebooks in notebooks/: skipped"
else
  SOURCES_SHA="$(find notebooks grader src -type f \( -name '*.ipynb' -o -name '*.ts' \) \
    -not -path 'src/dist/*' -not -name '*.test.ts' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
  if [[ -f checks/.nnkit-sources-sha256 && "$(cat checks/.nnkit-sources-sha256)" == "$SOURCES_SHA" ]]; then
    say "checks/ is up to date with the master notebooks"
  else
    say "building the public checks from ${#MASTERS[@]} master notebook(s) (runs them through the kernel)"
    JUPYTER_PYTHON="$PY" node -r tsx/cjs grader/judge/build-checks.ts
    mkdir -p checks
    echo "$SOURCES_SHA" > checks/.nnkit-sources-sha256
    did "checks/ built"
  fi
fi
shopt -u nullglob

# --- chromium for the browser tests ---------------------------------------------------
STEP="chromium"
if [[ "$WANT_E2E" == "1" ]]; then
  if [[ -x /usr/bin/chromium ]]; then
    say "chromium found: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
  elif is_root && have_apt; then
    apt_install chromium fonts-liberation
    [[ -x /usr/bin/chromium ]] || fail "apt installed chromium but /usr/bin/chromium is missing"
    did "chromium installed (Debian)"
  else
    fail "the e2e tests need Debian's chromium at /usr/bin/chromium: run 'sudo apt-get install chromium' (or run ./setup.sh --e2e as root)"
  fi
else
  say "browser tests not requested: chromium not checked (use ./setup.sh --e2e)"
fi

STEP="done"
if [[ "$CHANGED" == "0" ]]; then
  say "nothing changed: everything was already set up. Start with: npm start"
else
  say "$CHANGED thing(s) installed or updated. Start with: npm start"
fi

#!/usr/bin/env bash
# `npm start`: Jupyter Notebook on notebooks/ with this kit's TypeScript kernel.
# Opens a browser when there is a display; otherwise (no display, CI) it listens on
# 127.0.0.1 only and prints the URL to open. Extra arguments go to Jupyter.
# Environment: NNKIT_PORT (first port to try, default 8888), NNKIT_NO_BROWSER=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ ! -f .nnkit/python || ! -f .nnkit/kernel ]]; then
  echo "npm start: this kit is not set up yet: run ./setup.sh here, then npm start" >&2
  exit 1
fi
PY="$(cat .nnkit/python)"
KERNEL="$(cat .nnkit/kernel)"
TSLAB="$ROOT/node_modules/.bin/tslab"
REGISTERED="$("$PY" - "$KERNEL" <<'PYEOF' 2>/dev/null || true
import sys
from jupyter_client.kernelspec import KernelSpecManager
print(KernelSpecManager().get_kernel_spec(sys.argv[1]).argv[0])
PYEOF
)"
if [[ "$REGISTERED" != "$TSLAB" || ! -x "$TSLAB" ]]; then
  # a moved or copied kit: its kernel (if any) still points to the folder it came from
  echo "npm start: kernel $KERNEL is not this folder's (it runs '${REGISTERED:-nothing}'; moved or copied kit?): run ./setup.sh here, then npm start" >&2
  exit 1
fi

headless=0
[[ "${CI:-}" == "true" || "${NNKIT_NO_BROWSER:-}" == "1" ]] && headless=1
if [[ "$(uname -s)" == "Linux" && -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then headless=1; fi

# Pick the port and token here so the URL printed below is exactly the one that works.
read -r PORT TOKEN < <("$PY" - "${NNKIT_PORT:-8888}" <<'EOF2'
import secrets, socket, sys
port = int(sys.argv[1])
for candidate in range(port, port + 50):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        print(candidate, secrets.token_hex(24))
        break
else:
    sys.exit("no free port between %d and %d" % (port, port + 49))
EOF2
)

args=(--notebook-dir="$ROOT/notebooks" --port="$PORT" --port-retries=0 --NotebookApp.token="$TOKEN" --MappingKernelManager.default_kernel_name="$KERNEL")
if [[ "$headless" == "1" ]]; then
  args+=(--no-browser --ip=127.0.0.1)
fi
# Containers and CI machines often run as root, which Jupyter refuses without this flag.
[[ "$(id -u)" == "0" ]] && args+=(--allow-root)

echo "npm start: Jupyter Notebook on notebooks/ with kernel $KERNEL (python: $PY)"
echo "npm start: open http://127.0.0.1:$PORT/tree?token=$TOKEN   (Ctrl-C twice to stop)"
export PYDEVD_DISABLE_FILE_VALIDATION=1
exec "$PY" -m notebook "${args[@]}" "$@"

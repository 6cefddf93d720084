# --- the TypeScript kernel --------------------------------------------------
# This kit's own kernel, named for the kit: a kernel another folder registered (another
# copy of the kit, another course) is never replaced; this folder then takes a name of its own.
STEP="kernel"
TSLAB="$ROOT/node_modules/.bin/tslab"
[[ -x "$TSLAB" ]] || fail "$TSLAB is missing: the npm step did not install tslab"
KIT_KERNEL="{{KERNEL}}"
KIT_DISPLAY="{{DISPLAY}}"
kernel_argv0() {
  "$PY" - "$1" <<'PYEOF' 2>/dev/null || true
import sys
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    print(KernelSpecManager().get_kernel_spec(sys.argv[1]).argv[0])
except NoSuchKernel:
    pass
PYEOF
}
NAME="$KIT_KERNEL"
CURRENT="$(kernel_argv0 "$NAME")"
if [[ -n "$CURRENT" && "$CURRENT" != "$TSLAB" && -e "$CURRENT" ]]; then
  NAME="$KIT_KERNEL-$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)"
  KIT_DISPLAY="$KIT_DISPLAY, $(basename "$ROOT")"
  say "kernel $KIT_KERNEL belongs to another folder ($CURRENT): this folder registers its own, $NAME"
  CURRENT="$(kernel_argv0 "$NAME")"
fi
if [[ "$CURRENT" == "$TSLAB" ]]; then
  say "kernel $NAME already registered -> $TSLAB"
else
  [[ -n "$CURRENT" ]] && say "kernel $NAME points to a folder that no longer exists ($CURRENT): registering this one"
  "$PY" - "$NAME" "$TSLAB" "$KIT_DISPLAY" <<'PYEOF'
import json, os, sys, tempfile
from jupyter_client.kernelspec import KernelSpecManager
name, tslab, display = sys.argv[1:4]
with tempfile.TemporaryDirectory() as d:
    with open(os.path.join(d, "kernel.json"), "w") as f:
        json.dump({"argv": [tslab, "kernel", "--config-path", "{connection_file}"], "display_name": display, "language": "typescript"}, f)
    # per user: needs no privileges, and JUPYTER_DATA_DIR can point it elsewhere
    KernelSpecManager().install_kernel_spec(d, kernel_name=name, user=True)
PYEOF
  [[ "$(kernel_argv0 "$NAME")" == "$TSLAB" ]] || fail "registered the kernel $NAME, but Jupyter lists '$(kernel_argv0 "$NAME")'"
  did "kernel $NAME registered -> $TSLAB"
fi
# the notebooks name the kernel they open with
"$PY" - "$NAME" "$KIT_DISPLAY" notebooks/*.ipynb <<'PYEOF'
import json, sys
name, display = sys.argv[1:3]
for path in sys.argv[3:]:
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    spec = nb.setdefault("metadata", {}).setdefault("kernelspec", {})
    if spec.get("name") == name:
        continue
    spec.update({"name": name, "display_name": display, "language": "typescript"})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("[kernel] %s now opens with kernel %s" % (path, name))
PYEOF
echo "$NAME" > .nnkit/kernel

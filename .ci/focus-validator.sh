#!/usr/bin/env bash
# The FinOps Foundation's focus-validator (PyPI), in a venv of its own beside the build.
#   .ci/focus-validator.sh install      create the venv (once)
#   .ci/focus-validator.sh check FILE   validate a CSV against FOCUS 1.0
# check exits 0 when it passes, 1 when it fails, 2 when the validator crashed, 3 when not installed.
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build-focus-validator/venv"

case "${1:-}" in
install)
    [ -x "$venv/bin/focus-validator" ] && exit 0
    python3 -m venv "$venv" || exit 1
    # 1.0.0 is the newest release; its pandera needs a multimethod from before 1.11.
    "$venv/bin/pip" install -q 'focus-validator==1.0.0' 'multimethod<1.11' || { rm -rf "$venv"; exit 1; }
    ;;
check)
    [ -x "$venv/bin/focus-validator" ] || exit 3
    data="$(realpath "$2")"
    # Two checks of focus-validator 1.0.0 contradict FOCUS 1.0 itself, and are skipped:
    # - ResourceID_Required wants "ResourceID"; the specification names the column ResourceId.
    # - SkuPriceId_Nullable reads a ChargeType column, which FOCUS 1.0 replaced by ChargeCategory
    #   (it fails with KeyError('ChargeType') on any 1.0 file). SkuPriceId is set on every row anyway.
    overrides="$(mktemp)"
    printf 'overrides:\n  - ResourceID_Required\n  - SkuPriceId_Nullable\n' >"$overrides"
    # It opens its currency table by a path relative to the working directory: run it from site-packages.
    site="$("$venv/bin/python" -c 'import focus_validator, os; print(os.path.dirname(os.path.dirname(focus_validator.__file__)))')"
    output="$(cd "$site" && "$venv/bin/focus-validator" --data-file "$data" --validate-version 1.0 --override-file "$overrides" 2>&1)"
    status=$?
    rm -f "$overrides"
    printf '%s\n' "$output"
    [ $status -ne 0 ] && exit 2
    # It exits 0 either way: its verdict is in what it prints.
    grep -qx 'Validation succeeded.' <<<"$output" && exit 0
    grep -qx 'Validation failed!' <<<"$output" && exit 1
    exit 2
    ;;
*)
    echo "usage: $0 install | check FILE" >&2
    exit 64
    ;;
esac

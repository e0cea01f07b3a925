#!/usr/bin/env bash
# The independent gateway client's Python packages (httpx, PyJWT from PyPI), in a venv beside
# the build. The gateway test runs Tests/GatewayTests/Client/kling_client.py with it.
#   .ci/gateway-client.sh install     create the venv (once)
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build-gateway-client/venv"
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import httpx, jwt' 2>/dev/null && exit 0
python3 -m venv "$venv"
"$venv/bin/pip" install -q 'httpx==0.28.1' 'PyJWT==2.10.1' || { rm -rf "$venv"; exit 1; }

#!/usr/bin/env bash
# Fills a local source mirror from Debian's source packages (see scripts/fill-mirror.ts for what it writes):
#
#   scripts/fill-mirror.sh [MIRROR_DIR]   (default: ${R_LAMBDA_LAYER_HOME:-~/.cache/r-lambda-layer}/mirror)
#
# Safe to run again: files already downloaded and verified are reused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../node_modules/.bin/tsx" "$here/fill-mirror.ts" "$@"

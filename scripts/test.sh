#!/usr/bin/env bash
# The one test command (`npm test`): installs what the tests need, then runs every test.
#   - system packages (apt-get, as root; otherwise it names what is missing),
#   - npm packages (npm ci, when node_modules is absent),
#   - the local source mirror (scripts/fill-mirror.sh: downloads only what it does not hold yet),
#   - a minimal root file system for the bare-userland test (scripts/make-rootfs.sh, once per machine),
# then typecheck, lint, unit tests, the R runtime's R-level tests (test/r), and the end-to-end tests (a full build of the layers from real sources:
# 15 to 22 minutes on 2 cores the first time; later runs reuse the stage cache in ~/.cache/r-lambda-layer).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=""
for cmd in Rscript gcc g++ gfortran make perl tar gzip bzip2 xz zip unzip file patch readelf strip shellcheck openssl debootstrap; do
  command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
done
for rpkg in jsonlite testthat; do
  if command -v Rscript >/dev/null 2>&1 && ! Rscript -e "quit(status = !requireNamespace('$rpkg', quietly = TRUE))" >/dev/null 2>&1; then
    missing="$missing r-cran-$rpkg"
  fi
done
if ! grep -qs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  missing="$missing deb-src"
elif grep -qs '^ID=debian' /etc/os-release && [ ! -f /etc/apt/sources.list.d/r-lambda-layer-newer-src.sources ]; then
  missing="$missing deb-src(newer-suites)"
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing system packages (missing:$missing)"
    bash scripts/install-test-deps.sh
  else
    echo "test: missing:$missing" >&2
    echo "test: run scripts/install-test-deps.sh as root (Debian/Ubuntu), or install them yourself." >&2
    exit 1
  fi
fi

[ -d node_modules ] || npm ci --no-audit --no-fund

home="${R_LAMBDA_LAYER_HOME:-$HOME/.cache/r-lambda-layer}"
mirror="$home/mirror"
bash scripts/fill-mirror.sh "$mirror"
bash scripts/make-rootfs.sh >/dev/null

npx tsc --noEmit
npm run lint --silent
shellcheck layer/bootstrap scripts/*.sh

results=$(mktemp -d)
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects unit --json --outputFile="$results/unit.json" || status=1
# The R runtime package's own tests (data/lambdaruntime/tests/testthat, with testthat and Debian's R), run by
# test/r/run-package-tests.R, which prints "r-tests: FILE: N passed, M failed" per file. Their counts go into a file
# shaped like jest's, for the summary below; a run that prints no summary line counts as one failure.
r_passed=0
r_failed=0
output=$(npm run --silent test:r 2>&1) || status=1
printf '%s\n' "$output"
summaries=$(printf '%s\n' "$output" | sed -n 's/^r-tests: .*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
if [ -z "$summaries" ]; then r_failed=1; fi
while read -r passed failed; do
  [ -n "$passed" ] || continue
  r_passed=$((r_passed + passed))
  r_failed=$((r_failed + failed))
done <<<"$summaries"
printf '{"numPassedTests":%d,"numFailedTests":%d,"numRuntimeErrorTestSuites":0,"numPendingTests":0}\n' \
  "$r_passed" "$r_failed" >"$results/r.json"
# Warm the stage cache once, with the inputs the end-to-end tests use: a full build from the mirror on a new machine
# (15 to 22 minutes on 2 cores), seconds otherwise. No test then pays for it inside its own time limit.
echo "test: warming the stage cache (a full build on a new machine)"
npx tsx src/cli.ts build --r-version "$(cat "$mirror/r-version")" --overrides-file "$mirror/overrides.txt" \
  --source-mirror "$mirror/src" --cran-repo "file://$mirror/cran" --packages xml2,curl --no-toolchain --out "$results/warm" || status=1
NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects e2e --runInBand --json --outputFile="$results/e2e.json" || status=1

# shellcheck disable=SC2016 # JavaScript template literals, not shell
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; skipped += r.numPendingTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$results/unit.json" "$results/r.json" "$results/e2e.json"
exit $status

#!/bin/sh
# Smoke test of the three layers unpacked into /opt, as Lambda runs them: Lambda's runtime interface emulator starts
# /opt/bootstrap, and two invocations through it must give a handler's answer and a handler's error with its
# errorType. Run inside public.ecr.aws/lambda/provided:al2023 (build-layers.yml and ci.yml do).
#
#   sh scripts/smoke-test.sh R_VERSION
#
# Whatever fails (the emulator not starting, curl, a wrong answer), the EXIT trap prints the emulator's log, which
# holds the bootstrap's and R's own messages: the diagnosis is never lost to an early exit.
# Settings for tests elsewhere: RIE (the emulator), BOOTSTRAP, TASK_ROOT, SMOKE_URL (where the emulator listens).
set -eu

r_version=${1:?usage: smoke-test.sh R_VERSION}
rie=${RIE:-/usr/local/bin/aws-lambda-rie}
bootstrap=${BOOTSTRAP:-/opt/bootstrap}
task_root=${TASK_ROOT:-/var/task}
base=${SMOKE_URL:-http://localhost:8080}
url="$base/2015-03-31/functions/function/invocations"
log=$(mktemp)
pid=

finish() {
  status=$?
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  echo "--- emulator log ($log) ---"
  cat "$log"
  echo "--- end of emulator log ---"
  if [ "$status" -eq 0 ]; then echo "smoke test: passed (R $r_version)"; else echo "smoke test: FAILED (exit $status)"; fi
  exit "$status"
}
trap finish EXIT

fail() {
  echo "::error::smoke test: $*"
  exit 1
}

mkdir -p "$task_root"
cat > "$task_root/smoke.R" <<'EOF'
handler <- function(event) {
  if (isTRUE(event$fail)) {
    stop(structure(class = c("SmokeTestError", "error", "condition"),
                   list(message = "failing on purpose", call = NULL)))
  }
  paste("hello", event$name, "from", R.version.string)
}
EOF

[ -x "$bootstrap" ] || fail "$bootstrap is missing or not executable: were the three zips unpacked into /opt?"
export _HANDLER=smoke.handler LAMBDA_TASK_ROOT="$task_root" AWS_LAMBDA_FUNCTION_TIMEOUT=120
cd "$task_root"
"$rie" "$bootstrap" > "$log" 2>&1 &
pid=$!

# Wait until the emulator listens (any HTTP answer will do); it starts the bootstrap on the first invocation.
i=0
until curl -s -o /dev/null --max-time 2 "$base/"; do
  i=$((i + 1))
  kill -0 "$pid" 2>/dev/null || fail "the emulator ($rie) exited before it listened"
  [ "$i" -lt 30 ] || fail "the emulator did not listen on $base within 30 s"
  sleep 1
done

good=$(curl -sS --max-time 120 "$url" -d '{"name":"smoke"}') || fail "the invocation did not complete (curl exit $?)"
echo "good response: $good"
case "$good" in
  *"hello smoke from R version $r_version"*) ;;
  *) fail "unexpected response: $good" ;;
esac

bad=$(curl -sS --max-time 120 "$url" -d '{"fail":true}') || fail "the failing invocation did not complete (curl exit $?)"
echo "error response: $bad"
case "$bad" in
  *'"errorType"'*'"SmokeTestError"'*) ;;
  *) fail "the handler's error was not reported with its errorType: $bad" ;;
esac

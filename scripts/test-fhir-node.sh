#!/usr/bin/env bash
# The FHIR API driven by fhir-kit-client (npm) with node's built-in test runner.
# Usage: scripts/test-fhir-node.sh RESULTS_DIR
# Installs the npm packages when missing (npm ci), starts 'hygie serve' on a free loopback port over a fresh temporary
# hub declared on a site that may hold clinical data (HDS, in France), creates two tenants and their application tokens
# through the CLI ('hygie tokens create --tenant'), runs 'node --test' in tests/node-fhir, stops the server,
# and writes "passed failed skipped" to RESULTS_DIR/fhir-node.counts (scripts/test.sh adds it to the summary).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS=${1:-$ROOT/artifacts/test-results}
mkdir -p "$RESULTS"
COUNTS="$RESULTS/fhir-node.counts"
echo "0 1 0" > "$COUNTS" # until the suite has run: a setup failure counts as one failure

command -v node >/dev/null || { echo "test-fhir-node: node is not installed" >&2; exit 1; }
NODE_DIR="$ROOT/tests/node-fhir"
if [ ! -d "$NODE_DIR/node_modules/fhir-kit-client" ]; then
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

HYGIE="$ROOT/src/Hygie.Cli/bin/Release/net10.0/hygie.dll"
if [ ! -f "$HYGIE" ]; then
  dotnet build "$ROOT/src/Hygie.Cli" -c Release -nologo -clp:ErrorsOnly
fi

DATA=$(mktemp -d "${TMPDIR:-/tmp}/hygie-node-fhir.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }

OPERATOR=$(dotnet "$HYGIE" init --data "$DATA/hub" --provider "Test host" --country FR --jurisdiction eu-only --qualification HDS --json | json_field operatorToken)
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
URL="http://127.0.0.1:$PORT"
dotnet "$HYGIE" serve --data "$DATA/hub" --urls "$URL" > "$RESULTS/fhir-node-server.log" 2>&1 &
SERVER_PID=$!
node -e '
  const url = process.argv[1] + "/health/live";
  const until = Date.now() + 60000;
  (async () => {
    while (Date.now() < until) {
      try { if ((await fetch(url)).ok) process.exit(0); } catch {}
      await new Promise(r => setTimeout(r, 200));
    }
    console.error("test-fhir-node: the hub did not start (see fhir-node-server.log)");
    process.exit(1);
  })();' "$URL"

hygie() { dotnet "$HYGIE" "$@" --server "$URL" --token "$OPERATOR"; }
hygie tenants add node-a > /dev/null
hygie tenants add node-b > /dev/null
TOKEN_A=$(hygie tokens create --tenant node-a --scope 'user/*.*' --json | json_field secret)
TOKEN_B=$(hygie tokens create --tenant node-b --scope 'user/*.*' --json | json_field secret)

set +e
(cd "$NODE_DIR" && HYGIE_FHIR_BASE="$URL/fhir/node-a/" HYGIE_FHIR_TOKEN="$TOKEN_A" HYGIE_FHIR_OTHER_TOKEN="$TOKEN_B" \
  node --test --test-reporter=tap) > "$RESULTS/fhir-node.tap" 2>&1
status=$?
set -e

count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$RESULTS/fhir-node.tap" | tail -1; }
passed=$(count pass); failed=$(count fail); skipped=$(count skipped)
passed=${passed:-0}; failed=${failed:-0}; skipped=${skipped:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed $failed $skipped" > "$COUNTS"
echo "fhir-kit-client (node): $passed passed, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ]; then grep -E "^not ok|error|expected|actual" "$RESULTS/fhir-node.tap" | head -40 >&2; fi
[ "$failed" -eq 0 ]

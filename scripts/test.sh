#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need when it is missing (Debian packages, npm packages),
# starts the real services (PostgreSQL, SoftHSM2, an S3-protocol server) on loopback, builds, runs every test project,
# and ends with one line: "N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS="$ROOT/artifacts/test-results"
rm -rf "$RESULTS" "$ROOT/artifacts/screenshots"
mkdir -p "$RESULTS"

# A set-up or build failure still ends with the summary line CI reads.
setup_failed() { echo "test set-up failed: $1" >&2; echo "0 passed, 1 failed"; exit 1; }

if [ -f scripts/services.sh ]; then
  # shellcheck source=/dev/null
  source scripts/services.sh
  services_install || setup_failed "installing the test services"
  services_start || setup_failed "starting the test services"
  trap services_stop EXIT
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet build Hygie.sln -c Release -nologo -clp:ErrorsOnly || setup_failed "the build"
status=0
# One run per test project, each with its own result file (solution-wide runs name files by the second and can collide).
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  grep -q '<IsTestProject>true</IsTestProject>' "$project" || continue
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" --results-directory "$RESULTS" || status=$?
done

# Extra suites that are not xunit (Node clients) write their own counts to artifacts/test-results/*.counts.
for extra in scripts/test-*.sh; do
  [ -e "$extra" ] || continue
  bash "$extra" "$RESULTS" || status=$?
done

passed=0; failed=0; skipped=0
for trx in "$RESULTS"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
for counts in "$RESULTS"/*.counts; do
  [ -e "$counts" ] || continue
  read -r p f s < "$counts"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]

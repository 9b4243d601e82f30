# shellcheck shell=bash
# The real services the storage contract tests run against, on loopback only, thrown away after the run:
#   - PostgreSQL (Debian package): a fresh cluster in a temporary directory on a free port;
#   - SoftHSM2 (Debian package): a token initialized for this run, with its own SOFTHSM2_CONF;
#   - s3rver (npm, installed into tests/s3rver/): an S3-protocol server with a fresh bucket.
# services_install also installs Chromium (Debian package, /usr/bin/chromium): tests/Hygie.EndToEnd drives it with
# Playwright, which never downloads a browser of its own.
#
# Sourced by scripts/test.sh; by hand:
#   source scripts/services.sh && services_install && services_start && dotnet test tests/Hygie.Storage.Tests; services_stop
#
# services_start exports:
#   HYGIE_TEST_PG                      Npgsql connection string (superuser of the throw-away cluster, database "hygie")
#   HYGIE_TEST_S3_ENDPOINT             http://127.0.0.1:PORT
#   HYGIE_TEST_S3_BUCKET               a bucket that exists
#   HYGIE_TEST_S3_ACCESS_KEY / _SECRET the credentials s3rver accepts
#   HYGIE_TEST_S3_REGION               us-east-1
#   HYGIE_TEST_PKCS11_LIB              the SoftHSM2 PKCS#11 module
#   HYGIE_TEST_PKCS11_TOKEN            the label of the token initialized for this run
#   HYGIE_TEST_PKCS11_PIN              its user PIN (random per run)
#   HYGIE_TEST_PKCS11_TOKEN2 / _PIN2   a second token of the same module (a migration from one HSM to another)
#   SOFTHSM2_CONF                      SoftHSM2's configuration for this run (token directory in the temp dir)
#   HYGIE_SERVICES_DIR                 the temporary directory holding all of it (removed by services_stop)
# Secrets are random per run and never printed. Every function is idempotent and quiet unless something fails.

HYGIE_SERVICES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HYGIE_S3RVER_VERSION=3.7.1

_svc_err() { echo "services: $*" >&2; }

_svc_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    _svc_err "need root (or sudo) to run: $*"; return 1
  fi
}

_svc_pg_bin() {
  local bin
  for bin in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$bin/initdb" ]; then echo "$bin"; return 0; fi
  done
  return 1
}

_svc_softhsm_lib() {
  local lib
  for lib in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so /usr/lib/*/libsofthsm2.so; do
    if [ -e "$lib" ]; then echo "$lib"; return 0; fi
  done
  return 1
}

# A TCP port nobody listens on at 127.0.0.1 (the kernel picks it).
_svc_free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();});"
}

_svc_random() { od -An -tx1 -N"${1:-16}" /dev/urandom | tr -d ' \n'; }

_svc_wait_port() { # port seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

services_install() {
  local missing=() pkg
  for pkg in postgresql softhsm2 chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  # Node.js runs s3rver and the fhir-kit-client suite.
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${#missing[@]}" -gt 0 ]; then
    # The package may create (and, where services start, run) its own "main" cluster on port 5432: the tests never
    # use it, they run their own cluster on a free port.
    export DEBIAN_FRONTEND=noninteractive
    if ! _svc_as_root apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
      _svc_as_root apt-get update -qq >/dev/null 2>&1 || true
      if ! _svc_as_root apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/tmp/hygie-apt.log 2>&1; then
        _svc_err "apt-get install ${missing[*]} failed (see /tmp/hygie-apt.log)"; return 1
      fi
    fi
  fi

  local s3dir="$HYGIE_SERVICES_ROOT/tests/s3rver"
  if [ "$(node -p "try{require('$s3dir/node_modules/s3rver/package.json').version}catch(e){''}" 2>/dev/null)" != "$HYGIE_S3RVER_VERSION" ]; then
    if ! command -v npm >/dev/null 2>&1; then _svc_err "npm is missing: install Node.js and npm"; return 1; fi
    if ! (cd "$s3dir" && npm ci --no-audit --no-fund --loglevel=error >/tmp/hygie-npm.log 2>&1); then
      _svc_err "npm ci in tests/s3rver failed (see /tmp/hygie-npm.log)"; return 1
    fi
  fi
}

_svc_start_postgres() {
  local dir=$1 bin port password owner=""
  bin=$(_svc_pg_bin) || { _svc_err "PostgreSQL is not installed (run services_install)"; return 1; }
  port=$(_svc_free_port)
  password=$(_svc_random 18)
  local pg="$dir/postgres"
  mkdir -p "$pg/sock"
  chmod 700 "$pg"
  # initdb refuses to run as root: the cluster then belongs to the postgres system user.
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    id "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
    run=(runuser -u "$owner" --)
  fi
  (umask 077; printf '%s\n' "$password" >"$pg/pw")
  if [ -n "$owner" ]; then chown -R "$owner" "$pg"; echo "$owner" >"$dir/pg-owner"; fi
  if ! "${run[@]}" "$bin/initdb" -D "$pg/data" -U hygie --pwfile="$pg/pw" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/pg-init.log" 2>&1; then
    rm -f "$pg/pw"; _svc_err "initdb failed (see $dir/pg-init.log)"; return 1
  fi
  rm -f "$pg/pw"
  cat >>"$pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pg/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  echo "$bin" >"$dir/pg-bin"
  if ! "${run[@]}" "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 start >/dev/null 2>&1; then
    _svc_err "PostgreSQL did not start (see $pg/server.log)"; return 1
  fi
  if ! "$bin/createdb" -h "$pg/sock" -p "$port" -U hygie hygie >/dev/null 2>&1; then
    _svc_err "could not create the test database"; return 1
  fi
  export HYGIE_TEST_PG="Host=127.0.0.1;Port=$port;Database=hygie;Username=hygie;Password=$password"
}

_svc_start_softhsm() {
  local dir=$1 lib
  lib=$(_svc_softhsm_lib) || { _svc_err "SoftHSM2 is not installed (run services_install)"; return 1; }
  mkdir -p "$dir/softhsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
    "$dir/softhsm/tokens" >"$dir/softhsm/softhsm2.conf"
  export SOFTHSM2_CONF="$dir/softhsm/softhsm2.conf"
  local label="hygie-test-$(_svc_random 3)" pin so_pin
  pin=$(_svc_random 8)
  so_pin=$(_svc_random 8)
  if ! softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null 2>"$dir/softhsm/init.log"; then
    _svc_err "softhsm2-util --init-token failed (see $dir/softhsm/init.log)"; return 1
  fi
  # A second token, initialized now: SoftHSM2 lists its tokens when a process loads it, not later.
  local label2="hygie-test2-$(_svc_random 3)" pin2
  pin2=$(_svc_random 8)
  if ! softhsm2-util --init-token --free --label "$label2" --pin "$pin2" --so-pin "$so_pin" >/dev/null 2>>"$dir/softhsm/init.log"; then
    _svc_err "softhsm2-util --init-token (second token) failed (see $dir/softhsm/init.log)"; return 1
  fi
  export HYGIE_TEST_PKCS11_LIB="$lib" HYGIE_TEST_PKCS11_TOKEN="$label" HYGIE_TEST_PKCS11_PIN="$pin" \
    HYGIE_TEST_PKCS11_TOKEN2="$label2" HYGIE_TEST_PKCS11_PIN2="$pin2"
}

_svc_start_s3rver() {
  local dir=$1 port bucket=hygie-test
  local bin="$HYGIE_SERVICES_ROOT/tests/s3rver/node_modules/s3rver/bin/s3rver.js"
  [ -f "$bin" ] || { _svc_err "s3rver is not installed (run services_install)"; return 1; }
  port=$(_svc_free_port)
  mkdir -p "$dir/s3"
  # s3rver's list continuation tokens use DES, which OpenSSL 3 (Node >= 17) keeps in its legacy provider.
  local legacy=()
  if node --openssl-legacy-provider -e 0 >/dev/null 2>&1; then legacy=(--openssl-legacy-provider); fi
  nohup node "${legacy[@]}" "$bin" --directory "$dir/s3" --address 127.0.0.1 --port "$port" --silent --no-vhost-buckets \
    --configure-bucket "$bucket" >"$dir/s3rver.log" 2>&1 </dev/null &
  echo $! >"$dir/s3rver.pid"
  if ! _svc_wait_port "$port" 30; then
    _svc_err "s3rver did not start on 127.0.0.1:$port (see $dir/s3rver.log)"; return 1
  fi
  export HYGIE_TEST_S3_ENDPOINT="http://127.0.0.1:$port" HYGIE_TEST_S3_BUCKET="$bucket" \
    HYGIE_TEST_S3_ACCESS_KEY=S3RVER HYGIE_TEST_S3_SECRET=S3RVER HYGIE_TEST_S3_REGION=us-east-1
}

services_start() {
  if [ -n "${HYGIE_SERVICES_DIR:-}" ] && [ -d "$HYGIE_SERVICES_DIR" ]; then return 0; fi
  command -v node >/dev/null 2>&1 || { _svc_err "node is missing: install Node.js"; return 1; }
  local dir
  # As root, /tmp: the postgres user must be able to reach the cluster's folder (a root TMPDIR may be closed to it).
  local base=${TMPDIR:-/tmp}
  if [ "$(id -u)" -eq 0 ]; then base=/tmp; fi
  dir=$(mktemp -d "$base/hygie-services.XXXXXX")
  chmod 711 "$dir"
  export HYGIE_SERVICES_DIR="$dir"
  if ! { _svc_start_postgres "$dir" && _svc_start_softhsm "$dir" && _svc_start_s3rver "$dir"; }; then
    services_stop
    return 1
  fi
}

services_stop() {
  local dir=${HYGIE_SERVICES_DIR:-}
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    if [ -f "$dir/s3rver.pid" ]; then
      local pid
      pid=$(cat "$dir/s3rver.pid")
      kill "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    if [ -f "$dir/postgres/data/postmaster.pid" ] && [ -f "$dir/pg-bin" ]; then
      local run=()
      [ -f "$dir/pg-owner" ] && run=(runuser -u "$(cat "$dir/pg-owner")" --)
      "${run[@]}" "$(cat "$dir/pg-bin")/pg_ctl" -D "$dir/postgres/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
  fi
  unset HYGIE_SERVICES_DIR HYGIE_TEST_PG HYGIE_TEST_S3_ENDPOINT HYGIE_TEST_S3_BUCKET HYGIE_TEST_S3_ACCESS_KEY \
    HYGIE_TEST_S3_SECRET HYGIE_TEST_S3_REGION HYGIE_TEST_PKCS11_LIB HYGIE_TEST_PKCS11_TOKEN HYGIE_TEST_PKCS11_PIN \
    HYGIE_TEST_PKCS11_TOKEN2 HYGIE_TEST_PKCS11_PIN2 SOFTHSM2_CONF
  return 0
}

#!/usr/bin/env bash
# Build (or find) the backend binaries the end-to-end tests run against, and print their paths.
#
#   scripts/backends.sh              find or build jaeger and otelcol, print NAME=PATH lines on stdout
#   scripts/backends.sh --print      only find (PATH, *_BIN, cache); never build; exit 1 if one is missing
#   scripts/backends.sh jaeger       restrict to one binary (names: jaeger, otelcol, prometheus, tempo)
#
# Progress goes to stderr; stdout carries only "NAME=/abs/path" lines (jaeger, otelcol, prometheus),
# so callers can `eval` or parse them. Lookup order for each binary:
#   1. JAEGER_BIN / OTELCOL_BIN / PROMETHEUS_BIN (an explicit path; an error if it is not executable)
#   2. `jaeger` / `otelcol-agentops`, `otelcol-contrib`, `otelcol` / `prometheus` on PATH (a collector
#      must have every component collector-config/ uses, a Prometheus must be 3.x: else it is ignored)
#   3. the cache: ${AGENTOPS_OTEL_CACHE:-$HOME/.cache/agentops-otel}/<name>-<version>/
#   4. a build into that cache (CGO_ENABLED=0, Go module proxy only; the Go module cache is reused)
# A second run finds the cache and prints "cached" without touching the network.
#
# ---------------------------------------------------------------------------------------------------
# How Jaeger v2 is obtained (recorded on purpose: the obvious route does not work)
#
#   Jaeger v2.20.0 is commit 798e4b0fcf22609e381df764a01461affd813e1e, tagged only "v2.20.0". The
#   module path is github.com/jaegertracing/jaeger (no /v2 suffix), so Go only sees its v1.x tags;
#   the proxy we can reach answers 403 "This module version is not available" for the bare commit, for
#   v2.20.0 and for the correctly-timestamped pseudo-version v1.76.1-0.20260720033334-798e4b0fcf22
#   (the same for the v2.14.0 and v2.19.0 commits). Its newest tag is v1.76.0, which is the same
#   commit (63b27e1810a7, 2025-12-03) as Jaeger v2.13.0, whose cmd/jaeger is the v2 binary (an
#   OpenTelemetry Collector distribution: OTLP 4317/4318, query + /api/v3 on 16686).
#   `go install …/cmd/jaeger@v1.76.0` is refused because Jaeger's go.mod has a replace directive, so
#   we download the module source and `go build ./cmd/jaeger` inside a copy of it, honouring its own
#   go.mod/go.sum, with the version stamped in as v2.13.0.
#   Override with JAEGER_BIN=/path/to/a/newer/jaeger (e.g. an official v2.20.0 release binary).
#
# Prometheus is built the same way from github.com/prometheus/prometheus v0.316.0, which is Prometheus
# 3.16.0 (Prometheus 3 tags its Go module v0.3XX.Y for release 3.XX.Y; the module's VERSION file says
# 3.16.0). Its go.mod has no replace directive, but the zip carries a go.work naming folders that are
# not in it, so the build runs with GOWORK=off. Tags: `remove_all_sd` leaves out the cloud service
# discoveries (Kubernetes, AWS, Azure, GCE, ...: a large share of the dependencies; file and HTTP
# discovery stay), `netgo` as in the official builds. Without `builtinassets` the binary has no web UI, only
# the HTTP APIs, which is all the tests and `agentops-otel gate --source prometheus://` need. It takes
# session metrics over OTLP (--web.enable-otlp-receiver, see collector-config/prometheus-local.yml).
#
# The OpenTelemetry Collector is built with the OpenTelemetry Collector Builder from
# collector-config/builder-manifest.yaml. Every component there is pinned to one release
# (OTELCOL_VERSION below, and the matching stable v1.x core modules); the script refuses a manifest
# whose v0.x component versions disagree with it. The release is v0.161.0: the first at which the
# proxy serves loadbalancingexporter (the collector tier), and every other component we use is served
# there too except prometheusexporter, so session metrics go to a real Prometheus over OTLP instead.
# One dependency of loadbalancingexporter is pinned back by a `replaces:` line in the manifest (the
# proxy refuses the zip of the version it asks for).
#
# Tempo: not built. The proxy refuses github.com/grafana/tempo's version list and every v2 version
# (Tempo's v2 tags are not valid for its module path); it only serves the 2022 v1.5.0, which predates
# the /api/v2/traces API that agentops_otel.read.tempo uses. `scripts/backends.sh tempo` finds a
# `tempo` on PATH or TEMPO_BIN and otherwise explains this; make test does not need it.
# ---------------------------------------------------------------------------------------------------
# shellcheck disable=SC2317  # the find_*/build_* functions are called indirectly, as "find_$name"
set -euo pipefail
shopt -s inherit_errexit

JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_MODULE_VERSION=v1.76.0                       # same commit as Jaeger v2.13.0
JAEGER_VERSION=2.13.0                               # the Jaeger v2 version that tag really is
JAEGER_COMMIT=63b27e1810a710ac54dc4522da0538e540bdc545
JAEGER_DATE=2025-12-03T16:07:08Z
OTELCOL_VERSION=0.161.0                             # builder + every v0.x component in the manifest
OTELCOL_NAME=otelcol-agentops
PROMETHEUS_MODULE=github.com/prometheus/prometheus
PROMETHEUS_MODULE_VERSION=v0.316.0                  # Prometheus 3.16.0
PROMETHEUS_VERSION=3.16.0
PROMETHEUS_DATE=20261105-15:06:51                   # the module version's time on the proxy

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MANIFEST=$REPO_ROOT/collector-config/builder-manifest.yaml
CACHE_ROOT=${AGENTOPS_OTEL_CACHE:-$HOME/.cache/agentops-otel}

log() { printf '[backends] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,/^# ----/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

MODE=build
WANT=()
for arg in "$@"; do
    case $arg in
        --print) MODE=print ;;
        -h|--help) usage; exit 0 ;;
        jaeger|otelcol|prometheus|tempo) WANT+=("$arg") ;;
        *) usage >&2; die "unknown argument: $arg" ;;
    esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=(jaeger otelcol prometheus)

# --- Go environment ---------------------------------------------------------------------------------
find_go() {
    if command -v go >/dev/null 2>&1; then command -v go
    elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
    else return 1
    fi
}

setup_go() {
    GO=$(find_go) || die "no Go toolchain found (need go >= 1.24 on PATH or in /usr/local/go/bin)"
    export CGO_ENABLED=0
    # A 2-core machine builds these in one go; keep parallelism at the core count and don't stamp VCS
    # data (there is no VCS checkout in a module zip).
    local flags=${GOFLAGS:-}
    case " $flags " in *" -buildvcs="*) ;; *) flags="$flags -buildvcs=false" ;; esac
    case " $flags " in *" -p="*) ;; *) flags="$flags -p=$(nproc 2>/dev/null || echo 2)" ;; esac
    export GOFLAGS=${flags# }
    # Never let a go.mod trigger a toolchain download in the middle of a build.
    export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
    log "using $("$GO" version) (GOFLAGS='$GOFLAGS', CGO_ENABLED=0)"
}

# Serialize builds of the same cache between concurrent callers (two test sessions, make -j).
lock_cache() {
    mkdir -p "$CACHE_ROOT"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$CACHE_ROOT/.lock"
        if ! flock -n 9; then
            log "another build holds $CACHE_ROOT/.lock; waiting"
            flock 9
        fi
    fi
}

# Install $1 (a built file) as $2 atomically, so an interrupted build never leaves a half binary.
install_atomic() {
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2.tmp.$$"
    chmod 0755 "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
}

elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# --- Jaeger ------------------------------------------------------------------------------------------
jaeger_cached() { echo "$CACHE_ROOT/jaeger-$JAEGER_VERSION/jaeger"; }

find_jaeger() {
    if [ -n "${JAEGER_BIN:-}" ]; then
        log "jaeger: using JAEGER_BIN ($JAEGER_BIN)"
        echo "$JAEGER_BIN"; return 0
    fi
    if command -v jaeger >/dev/null 2>&1; then
        log "jaeger: found on PATH ($(command -v jaeger))"
        command -v jaeger; return 0
    fi
    local cached; cached=$(jaeger_cached)
    if [ -x "$cached" ]; then
        log "jaeger: cached ($cached)"
        echo "$cached"; return 0
    fi
    return 1
}

build_jaeger() {
    local start; start=$(date +%s)
    local target; target=$(jaeger_cached)
    log "jaeger: building Jaeger v$JAEGER_VERSION (module $JAEGER_MODULE@$JAEGER_MODULE_VERSION) into $(dirname "$target")"
    log "jaeger: downloading module source"
    local src
    src=$("$GO" mod download -json "$JAEGER_MODULE@$JAEGER_MODULE_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    if [ -z "$src" ] || [ ! -d "$src" ]; then
        die "could not download $JAEGER_MODULE@$JAEGER_MODULE_VERSION"
    fi
    local work; work=$(mktemp -d "$CACHE_ROOT/.build-jaeger.XXXXXX")
    # shellcheck disable=SC2064  # expand $work now
    trap "rm -rf '$work'" EXIT
    cp -R "$src/." "$work/src"
    chmod -R u+w "$work/src"
    log "jaeger: compiling ./cmd/jaeger (cold: downloads ~400 modules and takes several minutes on 2 cores)"
    local v=$JAEGER_MODULE/internal/version
    (cd "$work/src" && "$GO" build -trimpath -o "$work/jaeger" \
        -ldflags "-s -w -X $v.latestVersion=v$JAEGER_VERSION -X $v.commitSHA=$JAEGER_COMMIT -X $v.date=$JAEGER_DATE" \
        ./cmd/jaeger) >&2
    "$work/jaeger" --help >/dev/null 2>&1 || die "the built jaeger binary does not run"
    install_atomic "$work/jaeger" "$target"
    rm -rf "$work"; trap - EXIT
    log "jaeger: built in $(elapsed "$start") -> $target"
    echo "$target"
}

# --- OpenTelemetry Collector -------------------------------------------------------------------------
# Comments and blank lines don't change the binary, so they don't change the cache key.
manifest_key() {
    sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$MANIFEST" | sha256sum | cut -c1-12
}
otelcol_cached() { echo "$CACHE_ROOT/$OTELCOL_NAME-$OTELCOL_VERSION-$(manifest_key)/$OTELCOL_NAME"; }

check_manifest() {
    [ -f "$MANIFEST" ] || die "missing $MANIFEST"
    # Every v0.x module must be the pinned release; stable v1.x core modules are checked by the builder.
    local bad
    bad=$(grep -E '^[[:space:]]*-?[[:space:]]*gomod:' "$MANIFEST" | grep -E ' v0\.' \
        | grep -v " v$OTELCOL_VERSION\b" || true)
    [ -z "$bad" ] || die "components in $MANIFEST not at v$OTELCOL_VERSION:"$'\n'"$bad"
}

# Components the configs in collector-config/ use; a collector found on PATH must have them all.
OTELCOL_REQUIRED="otlp memory_limiter batch tail_sampling transform redaction filter delta_to_cumulative
span_metrics signal_to_metrics otlp_grpc otlp_http load_balancing health_check"

# Print the required components that binary $1 lacks (nothing if it has them all).
otelcol_missing() {
    local listed want missing=""
    listed=$("$1" components 2>/dev/null | sed -n 's/^[[:space:]]*-[[:space:]]*name:[[:space:]]*//p') || true
    for want in $OTELCOL_REQUIRED; do
        grep -qx "$want" <<<"$listed" || missing="$missing $want"
    done
    echo "${missing# }"
}

find_otelcol() {
    local missing
    if [ -n "${OTELCOL_BIN:-}" ]; then
        log "otelcol: using OTELCOL_BIN ($OTELCOL_BIN)"
        missing=$(otelcol_missing "$OTELCOL_BIN")
        [ -z "$missing" ] || log "otelcol: warning: OTELCOL_BIN lacks components: $missing"
        echo "$OTELCOL_BIN"; return 0
    fi
    local name
    for name in "$OTELCOL_NAME" otelcol-contrib otelcol; do
        command -v "$name" >/dev/null 2>&1 || continue
        missing=$(otelcol_missing "$(command -v "$name")")
        if [ -z "$missing" ]; then
            log "otelcol: found on PATH ($(command -v "$name"))"
            command -v "$name"; return 0
        fi
        log "otelcol: ignoring $(command -v "$name") on PATH, it lacks: $missing"
    done
    local cached; cached=$(otelcol_cached)
    if [ -x "$cached" ]; then
        log "otelcol: cached ($cached)"
        echo "$cached"; return 0
    fi
    return 1
}

build_otelcol() {
    local start; start=$(date +%s)
    check_manifest
    local target; target=$(otelcol_cached)
    local builder=$CACHE_ROOT/ocb-$OTELCOL_VERSION/builder
    if [ -x "$builder" ]; then
        log "otelcol: builder cached ($builder)"
    else
        log "otelcol: installing the OpenTelemetry Collector Builder v$OTELCOL_VERSION"
        GOBIN=$(dirname "$builder") "$GO" install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION" >&2
    fi
    local work; work=$(mktemp -d "$CACHE_ROOT/.build-otelcol.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    # The repo manifest leaves output_path relative; build in a scratch folder of the cache instead.
    sed -E "s#^([[:space:]]*output_path:).*#\1 $work/dist#" "$MANIFEST" >"$work/manifest.yaml"
    # The builder's `go mod tidy` also loads the TESTS of every component, and the proxy refuses a few
    # test-only modules (pkg/golden, extension/encoding/otlpencodingextension at v0.155.0), which makes
    # tidy fail. GOFLAGS=-e reaches only go commands that know -e (tidy here; not download or build),
    # so tidy tolerates exactly those unloadable test imports while a module the binary really needs
    # still fails `go build`.
    log "otelcol: generating, resolving modules and compiling $OTELCOL_NAME v$OTELCOL_VERSION (cold: several minutes)"
    (cd "$work" && GOFLAGS="$GOFLAGS -e" "$builder" --config "$work/manifest.yaml") >&2
    [ -x "$work/dist/$OTELCOL_NAME" ] || die "the builder produced no $work/dist/$OTELCOL_NAME"
    "$work/dist/$OTELCOL_NAME" --version >&2 || die "the built $OTELCOL_NAME does not run"
    install_atomic "$work/dist/$OTELCOL_NAME" "$target"
    rm -rf "$work"; trap - EXIT
    log "otelcol: built in $(elapsed "$start") -> $target"
    echo "$target"
}

# --- Prometheus ---------------------------------------------------------------------------------------
prometheus_cached() { echo "$CACHE_ROOT/prometheus-$PROMETHEUS_VERSION/prometheus"; }

# A prometheus on PATH counts only from 3.16 on: the tests use the OTLP receiver and `anchored` ranges
# without feature flags (experimental from 3.7 behind promql-extended-range-selectors).
prometheus_ok() {
    "$1" --version 2>/dev/null | head -1 | grep -Eq 'version 3\.(1[6-9]|[2-9][0-9])\.'
}

find_prometheus() {
    if [ -n "${PROMETHEUS_BIN:-}" ]; then
        log "prometheus: using PROMETHEUS_BIN ($PROMETHEUS_BIN)"
        prometheus_ok "$PROMETHEUS_BIN" || log "prometheus: warning: PROMETHEUS_BIN is not Prometheus >= 3.16"
        echo "$PROMETHEUS_BIN"; return 0
    fi
    if command -v prometheus >/dev/null 2>&1; then
        if prometheus_ok "$(command -v prometheus)"; then
            log "prometheus: found on PATH ($(command -v prometheus))"
            command -v prometheus; return 0
        fi
        log "prometheus: ignoring $(command -v prometheus) on PATH, it is not Prometheus >= 3.16"
    fi
    local cached; cached=$(prometheus_cached)
    if [ -x "$cached" ]; then
        log "prometheus: cached ($cached)"
        echo "$cached"; return 0
    fi
    return 1
}

build_prometheus() {
    local start; start=$(date +%s)
    local target; target=$(prometheus_cached)
    log "prometheus: building Prometheus v$PROMETHEUS_VERSION (module $PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION) into $(dirname "$target")"
    local src
    src=$("$GO" mod download -json "$PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    if [ -z "$src" ] || [ ! -d "$src" ]; then
        die "could not download $PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION"
    fi
    local work; work=$(mktemp -d "$CACHE_ROOT/.build-prometheus.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    cp -R "$src/." "$work/src"
    chmod -R u+w "$work/src"
    log "prometheus: compiling ./cmd/prometheus (API only, no cloud service discovery; cold: minutes)"
    local v=github.com/prometheus/common/version
    (cd "$work/src" && GOWORK=off "$GO" build -trimpath -tags netgo,remove_all_sd -o "$work/prometheus" \
        -ldflags "-s -w -X $v.Version=$PROMETHEUS_VERSION -X $v.Revision=$PROMETHEUS_MODULE_VERSION -X $v.Branch=HEAD -X $v.BuildUser=agentops-otel -X $v.BuildDate=$PROMETHEUS_DATE" \
        ./cmd/prometheus) >&2
    prometheus_ok "$work/prometheus" || die "the built prometheus binary does not run or is not v$PROMETHEUS_VERSION"
    install_atomic "$work/prometheus" "$target"
    rm -rf "$work"; trap - EXIT
    log "prometheus: built in $(elapsed "$start") -> $target"
    echo "$target"
}

# --- Tempo (optional, never built) -------------------------------------------------------------------
find_tempo() {
    if [ -n "${TEMPO_BIN:-}" ]; then
        log "tempo: using TEMPO_BIN ($TEMPO_BIN)"
        echo "$TEMPO_BIN"; return 0
    fi
    if command -v tempo >/dev/null 2>&1; then
        log "tempo: found on PATH ($(command -v tempo))"
        command -v tempo; return 0
    fi
    return 1
}

# --- main --------------------------------------------------------------------------------------------
for var in JAEGER_BIN OTELCOL_BIN PROMETHEUS_BIN TEMPO_BIN; do
    if [ -n "${!var:-}" ] && { [ ! -f "${!var}" ] || [ ! -x "${!var}" ]; }; then
        die "$var=${!var} is not an executable file"
    fi
done

status=0
for name in "${WANT[@]}"; do
    path=""
    if path=$("find_$name"); then
        echo "$name=$path"
        continue
    fi
    if [ "$name" = tempo ]; then
        log "tempo: not found; set TEMPO_BIN. It cannot be built here: the Go module proxy serves no"
        log "tempo:   Tempo v2 module version (only v1.5.0 from 2022, without /api/v2/traces)."
        status=1; continue
    fi
    if [ "$MODE" = print ]; then
        log "$name: not found (run scripts/backends.sh to build it into $CACHE_ROOT)"
        status=1; continue
    fi
    [ -n "${GO:-}" ] || setup_go
    lock_cache
    # Another caller may have finished the build while we waited for the lock.
    if path=$("find_$name" 2>/dev/null); then
        log "$name: cached ($path)"
    else
        path=$("build_$name")
    fi
    echo "$name=$path"
done
exit $status

#!/usr/bin/env bash
# Builds the real Dockerfile with podman and proves what docs/deployment.md promises of the image
# ("Container image (Docker)"), on a machine without a Docker engine. Not a phase of
# scripts/test.sh: the first run downloads a Debian base system and takes minutes.
#
#   sudo scripts/container-check.sh              # build (layers cached by podman), then check
#   sudo scripts/container-check.sh --no-cache   # rebuild every layer (as after a source change)
#   sudo scripts/container-check.sh --no-ccache  # build without the shared compiler cache
#
# What it does, in order:
#  1. installs what is missing (podman, debootstrap, iproute2, procps, python3, ccache), as
#     scripts/setup.sh does;
#  2. makes the base `localhost/debian:12` if podman has none: debootstrap's minbase of bookworm
#     with the apt sources of Docker's official debian:12 (updates and security), imported;
#  3. `podman build --isolation chroot --format docker` of the Dockerfile, sharing the host's
#     compiler cache through a build-time volume (--build-arg CCACHE_DIR=/ccache, see the
#     Dockerfile), so a rebuild recompiles only what changed;
#  4. checks the image: no shell or package manager, /app owned by 1001:1001, the configured
#     user, the entrypoint's --version, its size under the limit (150 MB);
#  5. runs the image's root tree the way a container runtime would (podman run cannot here: crun
#     fails to set RLIMIT_NOFILE in this sandbox): own mount, PID and network namespaces, /proc,
#     a minimal /dev and /sys, the root file system read-only as docker-compose.prod.yml asks,
#     the image's ENV, WORKDIR and USER. In it: `index /docs` of this repository's docs (mounted
#     read-only, the index on a volume), then `serve` as PID 1 with the index read-only; the
#     image's HEALTHCHECK command (read from `podman inspect`) run with the image's own curl
#     inside the container's namespaces, as `docker exec` would; GET /readyz and POST /search;
#     SIGTERM, after which the server must exit with status 0.
# Every check prints PASS or FAIL; the exit status is 1 if any failed, 2 on a usage or set-up
# error. Temporary folders, mounts and the container are removed on exit; the image is kept
# (localhost/rag-server:check) so a rerun reuses its layers.
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$PWD

IMAGE=localhost/rag-server:check
BASE=localhost/debian:12
MAX_IMAGE_MB=150
MIRROR=${RAG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# A server that has not answered in this long is broken, not slow (index load is seconds).
DEADLINE_S=120

no_cache=()
use_ccache=1
for arg in "$@"; do
  case "$arg" in
    --no-cache) no_cache=(--no-cache) ;;
    --no-ccache) use_ccache=0 ;;
    *) echo "usage: scripts/container-check.sh [--no-cache] [--no-ccache]" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  # podman's chroot isolation, chroot and namespaces all need root here.
  echo "container-check: run as root (sudo $0 $*)" >&2
  exit 2
fi

# --- 1. tools ---------------------------------------------------------------------------------
missing=()
# uidmap and fuse-overlayfs: podman recommends them; the checks were run with both present.
for p in podman uidmap fuse-overlayfs debootstrap iproute2 procps python3 util-linux ccache; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "container-check: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

script_start=$(date +%s)
tmp=$(mktemp -d /tmp/rag-container-check.XXXXXX)
container=""
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$container" ]; then podman rm -f "$container" >/dev/null 2>&1 || true; fi
  # The namespaces' mounts vanish with their processes; unmount anything left on the host side
  # (debootstrap's /proc, say) before deleting, deepest first, so rm never crosses into a mount.
  if [ -d "$tmp" ]; then
    findmnt -rn -o TARGET | grep "^$tmp/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf --one-file-system "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT  # so that an interrupted run cleans up too (through the EXIT trap)
trap 'exit 143' TERM

elapsed() { local s=$(($(date +%s) - $1)); printf '%d min %02d s' $((s / 60)) $((s % 60)); }

# --- 2. the base image ------------------------------------------------------------------------
if podman image exists "$BASE"; then
  echo "container-check: base $BASE present"
else
  start=$(date +%s)
  echo "container-check: making $BASE from $MIRROR (debootstrap minbase, a few minutes)"
  debootstrap --variant=minbase bookworm "$tmp/base" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 ||
    { tail -20 "$tmp/debootstrap.log" >&2; exit 2; }
  # Docker's debian:12 reads updates and security fixes too; debootstrap wrote only bookworm.
  rm -f "$tmp/base/etc/apt/sources.list"
  cat >"$tmp/base/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$tmp/base/var/lib/apt/lists/"* "$tmp/base/var/cache/apt/archives/"*.deb
  tar --numeric-owner -C "$tmp/base" -c . |
    podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$BASE" >/dev/null
  rm -rf --one-file-system "$tmp/base"
  echo "container-check: base made in $(elapsed "$start")"
fi

# --- 3. build ---------------------------------------------------------------------------------
# --format docker: the image format `docker build` makes. podman's default, OCI, has no field for
# HEALTHCHECK, which podman then drops with a warning (the image would have no health check).
build_args=(--isolation chroot --format docker --pull=never "${no_cache[@]}" -f Dockerfile -t "$IMAGE")
if [ "$use_ccache" = 1 ]; then
  # The host's own cache (the one scripts/setup.sh fills): objects compiled in any clone are
  # reused in the image and the other way round (cmake/Ccache.cmake makes paths relative).
  ccache_dir=${CCACHE_DIR:-$(ccache -k cache_dir 2>/dev/null || echo "$HOME/.cache/ccache")}
  mkdir -p "$ccache_dir"
  build_args+=(--volume "$ccache_dir:/ccache" --build-arg CCACHE_DIR=/ccache)
  echo "container-check: compiler cache $ccache_dir"
fi
# ccache_counts: "hits misses" of the shared cache so far (ccache --print-stats is tab-separated).
ccache_counts() {
  CCACHE_DIR=$ccache_dir ccache --print-stats 2>/dev/null | awk -F'\t' '
    $1 ~ /^(direct|preprocessed)_cache_hit$/ {h += $2} $1 == "cache_miss" {m = $2}
    END {print h + 0, m + 0}'
}
[ "$use_ccache" = 1 ] && read -r hits0 misses0 < <(ccache_counts)
start=$(date +%s)
echo "container-check: podman build ${build_args[*]} ."
if ! nice -n 10 podman build "${build_args[@]}" . >"$tmp/build.log" 2>&1; then
  tail -40 "$tmp/build.log"
  fail "podman build of the Dockerfile (log above)"
  exit 1
fi
pass "podman build of the Dockerfile in $(elapsed "$start")"
grep -E '^(setup:|runtime-files:)' "$tmp/build.log" || true
if [ "$use_ccache" = 1 ]; then
  read -r hits1 misses1 < <(ccache_counts)
  echo "container-check: compiler cache during the build: $((hits1 - hits0)) hits, $((misses1 - misses0)) misses"
fi

# --- 4. the image as built --------------------------------------------------------------------
# The image's configuration, as a runtime reads it: one KEY=VALUE per line for bash.
podman image inspect "$IMAGE" | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
cfg = c["Config"]
# podman shows the HEALTHCHECK of a docker-format image beside Config, docker inside it.
hc = (c.get("Healthcheck") or cfg.get("Healthcheck") or {}).get("Test") or []
print("size=%d" % c["Size"])
print("user=%s" % cfg.get("User", ""))
print("workdir=%s" % cfg.get("WorkingDir", ""))
print("entrypoint=%s" % json.dumps(cfg.get("Entrypoint") or []))
print("cmd=%s" % json.dumps(cfg.get("Cmd") or []))
print("health=%s" % json.dumps(hc))
print("stopsignal=%s" % cfg.get("StopSignal", ""))
' >"$tmp/config"
declare -A conf
while IFS='=' read -r k v; do conf[$k]=$v; done <"$tmp/config"
podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" |
  grep -v '^$' >"$tmp/image.env"

size_mb=$(( (conf[size] + 500000) / 1000000 ))
if [ "${conf[size]}" -lt $((MAX_IMAGE_MB * 1000000)) ]; then
  pass "image size ${size_mb} MB ($((conf[size] / 1048576)) MiB, ${conf[size]} bytes) < $MAX_IMAGE_MB MB"
else
  fail "image size ${size_mb} MB >= $MAX_IMAGE_MB MB"
fi

[ "${conf[user]}" = "1001:1001" ] && pass "image user is 1001:1001" || fail "image user is '${conf[user]}', not 1001:1001"

[ "${conf[stopsignal]}" = SIGTERM ] && pass "stop signal SIGTERM" || fail "stop signal '${conf[stopsignal]}'"

# Only to export the tree: no health-check timer (podman would ask systemd for one).
container=$(podman create --no-healthcheck "$IMAGE")
root=$tmp/root
mkdir -p "$root"
podman export "$container" | tar --numeric-owner -C "$root" -xpf -
podman rm "$container" >/dev/null && container=""

# No shell and no package manager anywhere in the tree.
found=$(cd "$root" && find . \( -name sh -o -name bash -o -name dash -o -name ash -o -name zsh \
  -o -name busybox -o -name 'apt*' -o -name 'dpkg*' -o -name 'perl' -o -name 'python*' \) \
  -not -path './proc/*' -not -path './sys/*' | head -20)
[ -z "$found" ] && pass "no shell, package manager or interpreter in the image" ||
  fail "the image holds: $(tr '\n' ' ' <<<"$found")"

bad_owner=$(find "$root/app" \( \! -uid 1001 -o \! -gid 1001 \) -printf '%p %U:%G\n' | head -5)
[ -z "$bad_owner" ] && pass "everything under /app belongs to 1001:1001 ($(find "$root/app" | wc -l) entries)" ||
  fail "under /app, not 1001:1001: $bad_owner"

# --- 5. the root tree as a container ----------------------------------------------------------
# in_image: runs argv in the tree like a runtime: chroot, WORKDIR, USER (groups dropped), and
# exactly the image's ENV plus the extra KEY=VALUE files given in RAG_ENV_FILES.
# (chroot(8) cannot keep a working directory other than /, hence a few lines of Python.)
# It replaces the calling shell (exec), so a server started through it is the namespace's PID 1.
in_image() {
  exec /usr/bin/python3 -c '
import os, sys
root, workdir, user, env_files, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
env = {}
for path in filter(None, env_files.split(":")):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
uid, gid = (int(x) for x in user.split(":"))
os.chroot(root)
os.chdir(workdir)
os.setgroups([])
os.setgid(gid)
os.setuid(uid)
os.execve(argv[0], argv, env)
' "$IMAGE_ROOT" "$IMAGE_WORKDIR" "$IMAGE_USER" "$RAG_ENV_FILES" "$@"
}
export -f in_image
# in_image runs in the namespaces' own shells, which see exported variables only.
export IMAGE_ROOT=$root IMAGE_WORKDIR=${conf[workdir]:-/} IMAGE_USER=${conf[user]:-0:0}

entry=$(python3 -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])))' "${conf[entrypoint]}")
cmd=$(python3 -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])))' "${conf[cmd]}")
[ "$entry" = /usr/local/bin/rag-server ] && [ "$cmd" = serve ] &&
  pass "entrypoint $entry, default command $cmd" || fail "entrypoint '$entry', command '$cmd'"

# A container's /dev (a tmpfs with the usual devices), /proc of its own PID namespace and a
# read-only /sys; the volumes of the docs' commands; then the root made read-only, as
# docker-compose.prod.yml's read_only: true (with /tmp a tmpfs). Runs in the new namespaces.
container_mounts() {
  set -euo pipefail
  local root=$1 db_mode=$2
  mount --make-rprivate /
  mount --bind "$root" "$root"
  mount -t tmpfs -o nosuid,mode=755 tmpfs "$root/dev"
  for d in null zero full random urandom tty; do
    touch "$root/dev/$d"
    mount --bind "/dev/$d" "$root/dev/$d"
  done
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
  mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"
  mount --bind -o ro "$REPO_DOCS" "$root/docs"
  mount --bind "$VOLUME_DB" "$root/app/vector_db"
  [ "$db_mode" = ro ] && mount -o remount,bind,ro "$root/app/vector_db"
  mount --bind "$VOLUME_LOGS" "$root/app/logs"
  mount --bind "$VOLUME_STATE" "$root/app/state"
  mount -o remount,bind,ro "$root"
  ip link set lo up
}
export -f container_mounts

# The docs' volumes: host folders owned by the image's user.
export REPO_DOCS=$repo_root/docs VOLUME_DB=$tmp/vector_db VOLUME_LOGS=$tmp/logs \
  VOLUME_STATE=$tmp/state
mkdir -p "$VOLUME_DB" "$VOLUME_LOGS" "$VOLUME_STATE"
# The mount points a runtime creates in the container's root (the image has none of them).
mkdir -p "$root/dev" "$root/proc" "$root/sys" "$root/docs"
chown 1001:1001 "$VOLUME_DB" "$VOLUME_LOGS" "$VOLUME_STATE"
# --env-file .env, as the docs' commands pass it: the shipped example, whose active lines are
# the empty upstream settings (a server without upstreams: lexical search).
grep -E '^[A-Z][A-Z0-9_]*=' .env.example >"$tmp/dotenv" || true
export RAG_ENV_FILES=$tmp/image.env:$tmp/dotenv

version=$(unshare --mount --pid --net --kill-child bash -c 'container_mounts "$1" ro; in_image /usr/local/bin/rag-server --version' _ "$root" 2>&1) &&
  pass "entrypoint --version: $version" || fail "entrypoint --version: $version"

start=$(date +%s)
if unshare --mount --pid --net --kill-child bash -c 'container_mounts "$1" rw; in_image /usr/local/bin/rag-server index /docs' \
    _ "$root" >"$tmp/index.log" 2>&1; then
  pass "index /docs as 1001 into the /app/vector_db volume in $(elapsed "$start"): $(grep -c . "$tmp/index.log") log lines, $(du -sh "$VOLUME_DB" | cut -f1)"
else
  tail -20 "$tmp/index.log"
  fail "index /docs (log above)"
fi

# serve: PID 1 of its namespaces, like a container's entrypoint, index volume read-only.
# --kill-child: if unshare dies (the cleanup kills it), the server dies with it.
unshare --mount --pid --net --kill-child bash -c 'container_mounts "$1" ro; in_image /usr/local/bin/rag-server serve' \
  _ "$root" >"$tmp/serve.out" 2>"$tmp/serve.err" &
unshare_pid=$!
server_pid=$unshare_pid
deadline=$(( $(date +%s) + DEADLINE_S ))
listening=0
while [ "$(date +%s)" -lt "$deadline" ] && kill -0 "$unshare_pid" 2>/dev/null; do
  if grep -q "Server listening on" "$tmp/serve.err"; then listening=1; break; fi
  sleep 0.1  # polling interval of a bounded wait on an observed condition
done
# The server as the host sees it: unshare's only child (PID 1 inside).
pid1=$(pgrep -P "$unshare_pid" | head -1 || true)

# exec_in: a command in the running container's namespaces and tree, as `docker exec` does.
exec_in() { nsenter --target "$pid1" --mount --pid --net bash -c 'in_image "$@"' _ "$@"; }

if [ "$listening" = 1 ] && [ -n "$pid1" ]; then
  pass "serve as PID 1, UID $(awk '/^Uid:/ {print $2}' "/proc/$pid1/status"): $(grep -o 'Server listening on [^ ]*' "$tmp/serve.err")"
  # The HEALTHCHECK exactly as the image declares it ("CMD" then argv).
  mapfile -t health < <(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); print("\n".join(t[1:]) if t[:1]==["CMD"] else "")' "${conf[health]}")
  if [ -z "${health[0]:-}" ]; then
    fail "HEALTHCHECK: the image declares none in exec form (${conf[health]})"
  elif exec_in "${health[@]}" 2>"$tmp/health.err"; then
    pass "HEALTHCHECK ${health[*]}"
  else
    fail "HEALTHCHECK ${health[*]}: $(cat "$tmp/health.err")"
  fi
  out=$(exec_in /usr/local/bin/curl -sS --max-time 10 -w '\n%{http_code}' http://127.0.0.1:8000/readyz || true)
  status=${out##*$'\n'} body=${out%$'\n'*}
  [ "$status" = 200 ] && pass "GET /readyz 200: $body" || fail "GET /readyz $status: $body"
  search=$(exec_in /usr/local/bin/curl -fsS --max-time 30 -H 'Content-Type: application/json' \
    -d '{"query": "graceful shutdown on SIGTERM", "k": 3}' http://127.0.0.1:8000/search 2>&1 || true)
  hits=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1])["results"]; print(len(r), r[0]["metadata"]["source"] if r else "")' "$search" 2>/dev/null || echo "0 -")
  [ "${hits%% *}" -gt 0 ] && pass "POST /search: ${hits%% *} results, the first from ${hits#* }" ||
    fail "POST /search: ${search:0:300}"
  # A chat answer (extractive: no upstream here) and its rating, stored in the /app/state volume.
  chat=$(exec_in /usr/local/bin/curl -fsS --max-time 30 -H 'Content-Type: application/json' \
    -d '{"message": "What happens on SIGTERM?"}' http://127.0.0.1:8000/chat 2>&1 || true)
  answer_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("response_id", ""))' "$chat" 2>/dev/null || true)
  rated=$(exec_in /usr/local/bin/curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' -d "{\"response_id\": \"$answer_id\", \"rating\": \"up\"}" \
    http://127.0.0.1:8000/feedback 2>&1 || true)
  [ -n "$answer_id" ] && [ "$rated" = 200 ] && [ -s "$VOLUME_STATE/feedback.sqlite" ] &&
    pass "POST /chat answered with a response_id; POST /feedback 200; feedback.sqlite in the /app/state volume" ||
    fail "feedback: chat ${chat:0:200}, /feedback $rated, state volume: $(ls "$VOLUME_STATE")"
  kill -TERM "$pid1"
  deadline=$(( $(date +%s) + DEADLINE_S ))
  while [ "$(date +%s)" -lt "$deadline" ] && kill -0 "$pid1" 2>/dev/null; do
    sleep 0.1  # polling interval of a bounded wait on an observed condition
  done
  rc=0
  wait "$unshare_pid" || rc=$?
  server_pid=""
  [ "$rc" = 0 ] && pass "SIGTERM: the server stopped with exit status 0" ||
    { tail -5 "$tmp/serve.err"; fail "SIGTERM: exit status $rc"; }
  logs=$(cd "$VOLUME_LOGS" && find . -type f -size +0 -printf '%P ')
  [ -n "$logs" ] && pass "human log written to the /app/logs volume: $logs" ||
    fail "nothing written to the /app/logs volume"
else
  tail -20 "$tmp/serve.err"
  if kill -0 "$unshare_pid" 2>/dev/null; then
    fail "serve: not listening within $DEADLINE_S s"
  else
    rc=0
    wait "$unshare_pid" || rc=$?
    server_pid=""
    fail "serve: exited with status $rc before listening (log above)"
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "container-check: $failures check(s) FAILED in $(elapsed "$script_start")"
  exit 1
fi
echo "container-check: all checks passed in $(elapsed "$script_start") ($IMAGE, ${size_mb} MB)"

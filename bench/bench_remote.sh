#!/usr/bin/env bash
# bench_remote.sh [BUILD_DIR] [SIZE_MIB] [RANDOM_READS] - remote read benchmark over loopback HTTP.
#
# Packs SIZE_MIB (default 256) of mixed data (half random, a quarter zeros, a quarter text), serves
# it with nginx on 127.0.0.1 and measures, each from a cold start (fresh process, no cache):
#   - hexz: a sequential read of the whole stream and RANDOM_READS (default 500) random 4 KiB
#     reads, through bench_remote (bench/bench_remote.c), with 1 MiB and with 64 KiB windows;
#   - qemu-img/qemu-io on a compressed qcow2 of the same data over qemu's curl driver, if
#     qemu-utils and qemu-block-extra are installed;
#   - casync extract of the same data from an HTTP chunk store, if casync is installed;
#   - the local-file hexz read for reference.
# Requests and bytes sent come from nginx's access log. Prints a Markdown table.
set -euo pipefail

build=${1:-build}
size_mib=${2:-256}
nrand=${3:-500}
root=$(cd "$(dirname "$0")/.." && pwd)
hexz="$build/hexz"
bench="$build/bench_remote"
[ -x "$hexz" ] && [ -x "$bench" ] || { echo "bench_remote.sh: build first ($hexz, $bench)" >&2; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "bench_remote.sh: nginx not installed (scripts/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hexz-bench-remote-XXXXXX")
nginx_pid=
cleanup() {
  if [ -n "$nginx_pid" ]; then kill -9 "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www" "$work/tmp"

# ---- data and archives -------------------------------------------------------------------------
python3 - "$work/data.bin" "$size_mib" <<'EOF'
import random, sys
path, mib = sys.argv[1], int(sys.argv[2])
rng = random.Random(2026)
words = [b"snapshot", b"block", b"archive", b"remote", b"window", b"range", b"cache", b"hexz"]
with open(path, "wb") as f:
    for i in range(mib * 4):  # 256 KiB pieces
        kind = i % 4
        if kind in (0, 1):
            f.write(rng.randbytes(256 << 10))
        elif kind == 2:
            f.write(bytes(256 << 10))
        else:
            text = b" ".join(rng.choice(words) for _ in range(40000))
            f.write(text[: 256 << 10].ljust(256 << 10, b"."))
EOF
"$hexz" pack "$work/data.bin" -o "$work/www/a.hxz" >/dev/null
have_qemu=0
if command -v qemu-img >/dev/null && command -v qemu-io >/dev/null &&
   ls /usr/lib/*/qemu/block-curl.so >/dev/null 2>&1; then
  have_qemu=1
  qemu-img convert -f raw -O qcow2 -c "$work/data.bin" "$work/www/a.qcow2"
fi
have_casync=0
if command -v casync >/dev/null; then
  have_casync=1
  casync make --store="$work/www/a.castr" "$work/www/a.caibx" "$work/data.bin" >/dev/null
fi

# ---- nginx -------------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<EOF
daemon off;
master_process off;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 1024; }
http {
  log_format bench '\$request_method \$uri \$status \$body_bytes_sent';
  access_log $work/access.log bench;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  default_type application/octet-stream;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; root $work/www; }
}
EOF
"$nginx" -e "$work/error.log" -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
url="http://127.0.0.1:$port"

# ---- measuring ---------------------------------------------------------------------------------
log_lines() { [ -f "$work/access.log" ] && wc -l <"$work/access.log" || echo 0; }
# phase NAME UNIT COUNT CMD...: runs CMD, prints a table row. UNIT is MiB/s (COUNT = bytes)
# or reads/s (COUNT = reads).
phase() {
  local name=$1 unit=$2 count=$3
  shift 3
  local before t0 t1 secs rate requests bytes
  before=$(log_lines)
  t0=$(date +%s.%N)
  "$@" >"$work/phase.out" 2>"$work/phase.err" || { echo "| $name | failed: $(head -c 200 "$work/phase.err") | | | |"; return; }
  t1=$(date +%s.%N)
  sleep 0.3 # nginx logs a request just after answering it
  secs=$(echo "$t1 - $t0" | bc -l)
  if [ "$unit" = "MiB/s" ]; then rate=$(echo "$count / 1048576 / $secs" | bc -l); else rate=$(echo "$count / $secs" | bc -l); fi
  read -r requests bytes < <(tail -n +"$((before + 1))" "$work/access.log" 2>/dev/null |
    awk '{n++; b+=$4} END {printf "%d %d\n", n, b}')
  printf '| %s | %.2f | %.1f %s | %d | %.1f |\n' "$name" "$secs" "$rate" "$unit" "$requests" \
    "$(echo "$bytes / 1048576" | bc -l)"
}

bytes=$((size_mib << 20))
archive_bytes=$(stat -c %s "$work/www/a.hxz")
echo "data: $size_mib MiB; hexz archive $(echo "$archive_bytes / 1048576" | bc -l | xargs printf '%.1f') MiB; random reads: $nrand x 4 KiB"
echo
echo "| case | seconds | rate | HTTP requests | MiB sent |"
echo "| --- | ---: | ---: | ---: | ---: |"
phase "hexz, local file, sequential" MiB/s "$bytes" "$bench" seq "$work/www/a.hxz"
phase "hexz, HTTP, sequential (1 MiB windows)" MiB/s "$bytes" "$bench" seq "$url/a.hxz"
phase "hexz, HTTP, sequential (64 KiB windows)" MiB/s "$bytes" env HEXZ_HTTP_WINDOW=64K "$bench" seq "$url/a.hxz"
phase "hexz cat, HTTP, to /dev/null" MiB/s "$bytes" sh -c "\"$hexz\" cat \"$url/a.hxz\" >/dev/null"
phase "hexz, HTTP, $nrand random 4 KiB reads (1 MiB windows)" reads/s "$nrand" "$bench" rand "$url/a.hxz" "$nrand"
phase "hexz, HTTP, $nrand random 4 KiB reads (64 KiB windows)" reads/s "$nrand" env HEXZ_HTTP_WINDOW=64K "$bench" rand "$url/a.hxz" "$nrand"
if [ "$have_qemu" = 1 ]; then
  # -m 1: with its default of 8 parallel requests, qemu 7.2's curl driver stalls for good
  # (ppoll without a timeout) after a few dozen requests; one request at a time works.
  phase "qemu-img convert -m 1, compressed qcow2 over HTTP (curl driver)" MiB/s "$bytes" \
    timeout 600 qemu-img convert -m 1 -f qcow2 -O raw "$url/a.qcow2" "$work/qemu.out"
  cmp -s "$work/qemu.out" "$work/data.bin" || echo "(qemu-img output differs from the data!)"
  rm -f "$work/qemu.out"
  mapfile -t cmds < <(python3 -c "
import random; r = random.Random(42); slots = $bytes // 4096
for _ in range($nrand): print('-c'); print('read -q %d 4k' % (r.randrange(slots) * 4096))")
  phase "qemu-io, compressed qcow2 over HTTP, $nrand random 4 KiB reads" reads/s "$nrand" \
    timeout 600 qemu-io -r -f qcow2 "${cmds[@]}" "$url/a.qcow2"
else
  echo "| qemu-img over HTTP | not run: qemu-img, qemu-io or qemu's curl block driver (qemu-block-extra) missing | | | |"
fi
if [ "$have_casync" = 1 ]; then
  phase "casync extract from an HTTP chunk store" MiB/s "$bytes" \
    timeout 600 casync extract --store="$url/a.castr" "$url/a.caibx" "$work/casync.out"
  cmp -s "$work/casync.out" "$work/data.bin" || echo "(casync output differs from the data!)"
  rm -f "$work/casync.out"
else
  echo "| casync | not run: casync missing | | | |"
fi

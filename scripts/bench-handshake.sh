#!/usr/bin/env bash
# Benchmark: how long the provider takes from exec to its go-plugin handshake line, the way
# Terraform starts it (AutoMTLS: a client certificate in PLUGIN_CLIENT_CERT, so the provider
# generates its own key and certificate before answering), and the stripped binary's size.
# Prints the median, 90th percentile and maximum over RUNS starts (default 30), and the peak RSS
# of an idle provider. Numbers only: nothing here passes or fails on a threshold.
#   usage: scripts/bench-handshake.sh
#   env:   PROFILE=release|debug (default release), RUNS=30
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
runs=${RUNS:-30}
if [ "$profile" = release ]; then cargo build --quiet --release --workspace --bins; else cargo build --quiet --workspace --bins; fi
bin="$(pwd)/target/$profile/terraform-provider-azurebackup"

work=$(mktemp -d "${TMPDIR:-/tmp}/azurebackup-handshake.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Terraform's side of AutoMTLS: an EC P-256 self-signed client certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=localhost" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

python3 - "$bin" "$work/cert.pem" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
binary, cert, runs = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3])
env = dict(os.environ,
           TF_PLUGIN_MAGIC_COOKIE="d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
           PLUGIN_PROTOCOL_VERSIONS="6", PLUGIN_CLIENT_CERT=cert, TF_LOG="")
times, hwm = [], 0
for i in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    times.append((time.perf_counter() - t0) * 1000)
    if not line.startswith(b"1|6|"):
        sys.exit("unexpected handshake line: %r" % line[:40])
    if i == runs - 1:
        time.sleep(0.3)
        for l in open("/proc/%d/status" % p.pid):
            if l.startswith("VmHWM:"):
                hwm = int(l.split()[1])
    p.kill()
    p.wait()
times.sort()
size = os.path.getsize(binary)
print("handshake over %d starts: median %.2f ms, p90 %.2f ms, max %.2f ms; idle peak RSS %.1f MB; binary %d bytes (%.1f MB)"
      % (runs, statistics.median(times), times[int(0.9 * (runs - 1))], times[-1], hwm / 1024, size, size / 1048576))
PY

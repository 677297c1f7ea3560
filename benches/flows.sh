#!/usr/bin/env bash
# Full-flow throughput of `probity run` against the embedded bank, whole
# process: N copies of one flow (discovery, PAR with the client's
# authentication, PKCE, the login and consent pages through the form driver,
# token, ID token), reports written in every format.
#   benches/flows.sh [N...]        (default: 10 100 1000)
# Prints N, jobs, wall seconds, flows/s, CPU seconds (user + system, less
# sensitive than wall time to other processes on the machine) and peak RSS (MiB). Needs a release
# build (cargo build --release) and GNU time (/usr/bin/time).
# EXTERNAL=1 runs the bank as a separate `probity serve` process, so the RSS
# is probity's alone (the embedded bank keeps up to 10,000 tokens per store).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/probity
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
suite() {
  local n=$1 f="$work/flows-$1.yaml"
  {
    echo "suite: flows"
    echo "scenarios:"
    for i in $(seq 1 "$n"); do
      cat <<YAML
  - id: flow-$i
    name: Full flow $i
    steps:
      - discovery: {}
      - authorize: { client: interactive, scope: "{{ target.scope }}", par: true, driver: form }
      - token: { client: interactive }
      - id_token: { client: interactive }
YAML
    done
  } > "$f"
  echo "$f"
}
target_args=()
if [ "${EXTERNAL:-0}" = 1 ]; then
  "$bin" serve --out "$work/bank" > "$work/serve.log" 2>&1 &
  bank_pid=$!
  trap 'kill $bank_pid 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 50); do [ -f "$work/bank/target.yaml" ] && break; sleep 0.1; done
  target_args=(--target "$work/bank/target.yaml")
fi
printf '%8s %5s %9s %9s %9s %9s\n' N jobs seconds flows/s cpu_s rss_MiB
for n in ${@:-10 100 1000}; do
  for jobs in ${JOBS:-1 2 8}; do
    f=$(suite "$n")
    out="$work/out-$n-$jobs"
    /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$bin" run "$f" "${target_args[@]}" --jobs "$jobs" --out "$out" -q >/dev/null 2>"$work/err" || {
      cat "$work/err" >&2; exit 1; }
    read -r secs kib user sys < "$work/time"
    awk -v n="$n" -v j="$jobs" -v s="$secs" -v k="$kib" -v c="$(awk -v u="$user" -v y="$sys" 'BEGIN { print u + y }')" \
      'BEGIN { printf "%8d %5d %9.2f %9.1f %9.2f %9.1f\n", n, j, s, n / s, c, k / 1024 }'
    rm -rf "$out"
  done
done

#!/usr/bin/env bash
# The same login + consent + token flow with Hurl, Newman and probity against
# the interop provider (panva/oidc-provider, tests/interop/oidc-provider),
# interleaved, one flow at a time; prints the medians and the ratios to Hurl.
#   benches/peers/run.sh [ROUNDS] [N]      (default: 7 rounds of N = 20 flows)
# Each round runs every tool (in a rotated order) once with N flows and once
# with 1 flow, whole process. Per flow = (T(N) - T(1)) / (N - 1): start-up
# (node, the provider's first requests) cancels out; "one flow" is T(1).
# Tools: HURL (default `hurl`), NEWMAN (default `newman`, else
# /tmp/newman/node_modules/.bin/newman), PROBITY (default
# target/release/probity). A tool that is missing is left out and said so.
# PROBITY_FORMAT chooses probity's reports (default: all, as `probity run`).
# Needs node (with tests/interop/oidc-provider/node_modules) and openssl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${1:-7}
n=${2:-20}
provider_dir="$root/tests/interop/oidc-provider"
[ -f "$provider_dir/node_modules/oidc-provider/package.json" ] || {
  echo "the provider is not installed: (cd $provider_dir && npm ci)" >&2; exit 2; }

hurl=${HURL:-$(command -v hurl || true)}
newman=${NEWMAN:-$(command -v newman || echo /tmp/newman/node_modules/.bin/newman)}
probity=${PROBITY:-$root/target/release/probity}
tools=()
[ -n "$hurl" ] && [ -x "$hurl" ] && tools+=(hurl) || echo "hurl: not found (HURL=…); left out" >&2
[ -x "$newman" ] && tools+=(newman) || echo "newman: not found (NEWMAN=…); left out" >&2
[ -x "$probity" ] && tools+=(probity) || echo "probity: $probity not built (cargo build --release); left out" >&2
[ ${#tools[@]} -gt 0 ] || exit 2

work=$(mktemp -d)
provider_pid=
cleanup() {
  [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# A fresh CA and server certificate for 127.0.0.1, and the provider's keys.
(
  cd "$work"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -days 1 -subj /CN=probity-peers-ca 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
    -subj /CN=127.0.0.1 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 \
    -extfile ext.cnf 2>/dev/null
  node "$here/keys.mjs" "$work"
)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
(cd "$provider_dir" && PORT=$port TLS_CERT=$work/server.pem TLS_KEY=$work/server.key \
  PROVIDER_JWKS=$work/provider-jwks.json CLIENT_JWKS=$work/client-jwks.json BROKEN_GRANTS=0 \
  exec node server.mjs > "$work/provider.log" 2>&1) &
provider_pid=$!
for _ in $(seq 100); do grep -q '"issuer"' "$work/provider.log" 2>/dev/null && break; sleep 0.1; done
grep -q '"issuer"' "$work/provider.log" || { cat "$work/provider.log" >&2; exit 1; }
issuer=https://127.0.0.1:$port

verifier=probity-peers-verifier-0123456789abcdefghijklmnopqrstuvwxyz
challenge=$(printf %s "$verifier" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')

# probity's suite: N copies of discovery (with JWKS), authorize through the
# login and consent pages (form driver), token; and the ID token checked.
suite() {
  local k=$1 f="$work/flows-$1.yaml"
  {
    echo "suite: peers"
    echo "scenarios:"
    for i in $(seq 1 "$k"); do
      cat <<YAML
  - id: flow-$i
    name: Login, consent and token $i
    steps:
      - discovery: {}
      - authorize: { scope: "{{ target.scope }}", driver: form }
      - token: {}
      - id_token: {}
YAML
    done
  } > "$f"
}
suite 1
suite "$n"
export OIDC_ISSUER=$issuer OIDC_CA=$work/ca.pem OIDC_CLIENT_KEY=$work/client.jwk \
  OIDC_BASIC_SECRET=probity-basic-secret OIDC_POST_SECRET=probity-post-secret OIDC_PSU_PASSWORD=any-password

# Runs `tool` with k flows; prints the wall seconds. probity writes its
# reports into a new directory each time; the last run's reports are removed
# and the disk synced before the clock starts, so no run pays for another's
# files (probity ends a run with one sync(2)).
run() {
  local tool=$1 k=$2 t0 t1
  rm -rf "$work/probity-out"
  sync
  t0=$EPOCHREALTIME
  case $tool in
    hurl)
      # One file argument per flow: each file has its own cookie store, so
      # every flow logs in and consents as the others do.
      local files=()
      for _ in $(seq "$k"); do files+=("$here/flow.hurl"); done
      "$hurl" --test --jobs 1 --no-color --cacert "$work/ca.pem" --variable "issuer=$issuer" \
        --variable "verifier=$verifier" --variable "challenge=$challenge" "${files[@]}" \
        > "$work/out" 2>&1 ;;
    newman)
      "$newman" run "$here/flow.postman_collection.json" -n "$k" --silent \
        --ssl-extra-ca-certs "$work/ca.pem" --env-var "issuer=$issuer" \
        --env-var "verifier=$verifier" --env-var "challenge=$challenge" > "$work/out" 2>&1 ;;
    probity)
      "$probity" run "$work/flows-$k.yaml" --target "$provider_dir/target.yaml" --jobs 1 -q \
        --format "${PROBITY_FORMAT:-md,html,json,junit}" --out "$work/probity-out" \
        > "$work/out" 2>&1 ;;
  esac || { echo "$tool failed with $k flows:" >&2; tail -n 40 "$work/out" >&2; exit 1; }
  t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# Warm-up: every tool once (file caches, the provider's JIT).
for tool in "${tools[@]}"; do run "$tool" 1 > /dev/null; done

: > "$work/times"
for r in $(seq 1 "$rounds"); do
  # Rotate the order each round so no tool always follows another.
  order=("${tools[@]:$(( r % ${#tools[@]} ))}" "${tools[@]:0:$(( r % ${#tools[@]} ))}")
  for tool in "${order[@]}"; do
    tn=$(run "$tool" "$n")
    t1=$(run "$tool" 1)
    echo "$tool $tn $t1" >> "$work/times"
  done
done

echo "flows per run N=$n, rounds=$rounds, one flow at a time; issuer $issuer"
awk -v n="$n" '
  function median(a, k,   i, j, t) {
    for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  { k[$1]++; per[$1, k[$1]] = ($2 - $3) / (n - 1) * 1000; one[$1, k[$1]] = $3 * 1000; seen[$1] = 1; order[++m] = $1 }
  END {
    printf "%-8s %12s %12s %14s %12s\n", "tool", "per_flow_ms", "vs_hurl", "one_flow_ms", "vs_hurl"
    for (t in seen) {
      for (i = 1; i <= k[t]; i++) { a[i] = per[t, i]; b[i] = one[t, i] }
      pm[t] = median(a, k[t]); om[t] = median(b, k[t])
    }
    split("hurl newman probity", names, " ")
    for (x = 1; x <= 3; x++) {
      t = names[x]; if (!(t in seen)) continue
      if ("hurl" in seen) printf "%-8s %12.2f %11.2fx %14.1f %11.2fx\n", t, pm[t], pm[t] / pm["hurl"], om[t], om[t] / om["hurl"]
      else printf "%-8s %12.2f %12s %14.1f %12s\n", t, pm[t], "-", om[t], "-"
    }
  }' "$work/times"
if [ -n "${KEEP_TIMES:-}" ]; then cp "$work/times" "$KEEP_TIMES"; fi

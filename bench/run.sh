#!/usr/bin/env bash
# Runs the side-by-side benchmarks and prints a table of ns/op, B/op,
# allocs/op and the ratios ours/raw-verify, ours/kube-apiserver and
# ours/go-oidc (medians over COUNT runs). The raw output is kept in
# bench/out/ for benchstat:
#   go run golang.org/x/perf/cmd/benchstat@latest bench/out/latest.txt
#
#   COUNT=6 BENCHTIME=1s bench/run.sh
set -euo pipefail
cd "$(dirname "$0")"
COUNT="${COUNT:-6}"
BENCHTIME="${BENCHTIME:-1s}"
mkdir -p out
out="out/latest.txt"
{
  echo "# $(date -u +%FT%TZ) $(go version) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  go test -run '^$' -bench 'BenchmarkCompare' -benchmem -count "$COUNT" -benchtime "$BENCHTIME" .
} | tee "$out" >/dev/null

awk '
/^BenchmarkCompare\// {
  name = $1; sub(/^BenchmarkCompare\//, "", name); sub(/-[0-9]+$/, "", name)
  ns[name] = ns[name] " " $3; b[name] = $5; a[name] = $7
  if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
function median(list,   arr, k, i, j, t) {
  k = split(list, arr, " ")
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (arr[j] + 0 < arr[i] + 0) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
  return (k % 2) ? arr[(k + 1) / 2] : (arr[k / 2] + arr[k / 2 + 1]) / 2
}
function ratio(x, y) { return (y > 0) ? sprintf("%.2f", x / y) : "-" }
END {
  printf "%-52s %12s %9s %9s %10s %10s %10s\n", "case", "ns/op", "B/op", "allocs", "ours/raw", "ours/kube", "ours/oidc"
  for (i = 1; i <= n; i++) {
    name = order[i]; m = median(ns[name]); med[name] = m
  }
  for (i = 1; i <= n; i++) {
    name = order[i]; r1 = r2 = r3 = ""
    if (name ~ /\/structauth$/) {
      base = name; sub(/\/structauth$/, "", base)
      if ((base "/raw-verify") in med) r1 = ratio(med[name], med[base "/raw-verify"])
      if ((base "/kube-apiserver") in med) r2 = ratio(med[name], med[base "/kube-apiserver"])
      if ((base "/go-oidc") in med) r3 = ratio(med[name], med[base "/go-oidc"])
    }
    if (name ~ /structauth$/ && r2 == "") {
      other = name; sub(/structauth$/, "kube-apiserver", other)
      if (other in med) r2 = ratio(med[name], med[other])
    }
    printf "%-52s %12.0f %9s %9s %10s %10s %10s\n", name, med[name], b[name], a[name], r1, r2, r3
  }
  # Throughput on all cores against one goroutine (same token, same config).
  split("raw-verify structauth kube-apiserver", who, " ")
  for (i = 1; i <= 3; i++) {
    s = "cel-policy/RS256/" who[i]; p = "parallel/cel-policy/RS256/" who[i]
    if ((s in med) && (p in med) && med[p] > 0)
      printf "RunParallel speedup %-15s %.2fx (%.0f ns/op serial, %.0f ns/op parallel)\n", who[i], med[s] / med[p], med[s], med[p]
  }
}' "$out"

#!/bin/bash
# A short smoke of ntyperf and the benchmark pipeline (not a speed test:
# speed is never asserted): every row of `make bench` for one second, in
# quick mode (one round a row, two interleaved for W1 at 64 B); each must have moved
# traffic in its own mode, its JSON must be well formed and complete with
# its round and idle shares, and the report must produce the table with
# a median and a spread per comparison, results.json and both charts.
# Sets up its own namespaces.
. "$(dirname "$0")/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
tap_plan 6
out=$(mktemp -d)
NTY_BENCH_OUT=$out "$top/scripts/bench-run" quick 2>"$out/run.log"
# 33 contenders, one round each, two for W1's four at 64 B.
tap_check bench_run_rows "expected 37 rows: $(cat "$out/run.log")" \
	test "$(wc -l <"$out/raw.jsonl")" -eq 37

# Each row: no failure, every field, and traffic in the row's own metric.
check_rows() {
	python3 - "$out/raw.jsonl" <<'PY'
import json, sys
keys = ["label", "proto", "mode", "size", "secs", "repeats", "extra_sockets",
        "frames_per_s", "bytes_per_s", "trans_per_s", "p50_us", "p99_us",
        "p999_us", "server_cpu_s", "softirq_s", "csw_per_recv",
        "mem_per_conn", "slab_per_conn", "conns", "round", "idle"]
metric = {"rate": "bytes_per_s", "rr": "trans_per_s", "crr": "trans_per_s",
          "mem": "conns"}
bad = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d.get("failed") or any(k not in d for k in keys):
        print("# incomplete:", line.strip()); bad += 1; continue
    if not d[metric[d["mode"]]] > 0:
        print("# no traffic:", d["label"], d[metric[d["mode"]]]); bad += 1
    if d["mode"] == "rr" and not 0 < d["p50_us"] <= d["p99_us"] <= d["p999_us"]:
        print("# percentiles out of order:", d["label"]); bad += 1
    idle = [d["idle"].get(c) for c in ("cpu0", "cpu1")]
    if not all(i is not None and 0 <= i <= 1 for i in idle):
        print("# idle shares missing or out of [0, 1]:", d["label"], d["idle"]); bad += 1
sys.exit(1 if bad else 0)
PY
}
tap_check rows_complete_with_traffic "a row failed, is incomplete or moved nothing: $(grep FAILED "$out/run.log")" check_rows
tap_check modes_all_present "a mode is missing" \
	test "$(grep -o '"mode": "[a-z]*"' "$out/raw.jsonl" | sort -u | wc -l)" -eq 4
"$top/scripts/bench-report" "$out" >"$out/report.log" 2>&1
tap_check report_json "$(tail -3 "$out/report.log")" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d["comparisons"]) == 28 and d["measurements"] and len(d["runs"]) == 37 else 1)' "$out/results.json"
# Every comparison: its rounds (two for W1 at 64 B), the median within
# the spread (W10's rows are bench-pair's, not run here).
check_spread() {
	python3 - "$out/results.json" <<'PY'
import json, sys
bad = 0
for c in json.load(open(sys.argv[1]))["comparisons"]:
    if c["workload"] == "W10":
        continue
    want = 2 if c["workload"] == "W1" and "64 B" in c["what"] else 1
    if c["rounds"] + c["rejected_rounds"] != want or c["ratio"] is None or \
       not c["ratio_min"] <= c["ratio"] <= c["ratio_max"] or \
       c["better"] not in ("higher", "lower"):
        print("# bad comparison:", c); bad += 1
    if c["target"] is not None and c["rounds_agreed"] is None:
        print("# no rounds agreed count:", c["what"]); bad += 1
sys.exit(1 if bad else 0)
PY
}
tap_check report_spreads "a comparison lacks its rounds or spread" check_spread
tap_check report_charts "charts missing: $(tail -3 "$out/report.log")" \
	test -s "$out/ratios.png" -a -s "$out/latency.png" -a -s "$out/results.md"
rm -rf "$out"
tap_done

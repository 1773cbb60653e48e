#!/bin/bash
# A short smoke of ntyperf and the benchmark pipeline (not a speed test:
# speed is never asserted): every row of `make bench` for one second, in
# quick mode; each must have moved traffic in its own mode, its JSON must
# be well formed and complete, and the report must produce the table,
# results.json and both charts.  Sets up its own namespaces.
. "$(dirname "$0")/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
tap_plan 5
out=$(mktemp -d)
NTY_BENCH_OUT=$out "$top/scripts/bench-run" quick 2>"$out/run.log"
tap_check bench_run_rows "expected 29 rows: $(cat "$out/run.log")" \
	test "$(wc -l <"$out/raw.jsonl")" -eq 29

# Each row: no failure, every field, and traffic in the row's own metric.
check_rows() {
	python3 - "$out/raw.jsonl" <<'PY'
import json, sys
keys = ["label", "proto", "mode", "size", "secs", "repeats", "extra_sockets",
        "frames_per_s", "bytes_per_s", "trans_per_s", "p50_us", "p99_us",
        "p999_us", "server_cpu_s", "softirq_s", "csw_per_recv",
        "mem_per_conn", "slab_per_conn", "conns"]
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
sys.exit(1 if bad else 0)
PY
}
tap_check rows_complete_with_traffic "a row failed, is incomplete or moved nothing: $(grep FAILED "$out/run.log")" check_rows
tap_check modes_all_present "a mode is missing" \
	test "$(grep -o '"mode": "[a-z]*"' "$out/raw.jsonl" | sort -u | wc -l)" -eq 4
"$top/scripts/bench-report" "$out" >"$out/report.log" 2>&1
tap_check report_json "$(tail -3 "$out/report.log")" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d["comparisons"]) == 22 and d["measurements"] else 1)' "$out/results.json"
tap_check report_charts "charts missing: $(tail -3 "$out/report.log")" \
	test -s "$out/ratios.png" -a -s "$out/latency.png" -a -s "$out/results.md"
rm -rf "$out"
tap_done

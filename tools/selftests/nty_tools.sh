#!/bin/bash
# The user programs: ntycat both ways, ntystat's counters, tables, JSON
# and map.  (Claim C14, a tap seeing what NTY drops, is ntylab's lesson
# 14.)  Needs topo.sh's namespaces.
. "$(dirname "$0")/tap.sh"
tap_plan 12
A="ip netns exec nty-a"
B="ip netns exec nty-b"
MAC_B=02:00:00:00:00:0b
tmp=$(mktemp -d)
# Wait until nty-b has a socket on port $1: the receiver is up before the
# sender starts, however slow the emulator is today.
bound() {
	for _ in $(seq 100); do
		$B awk -v p="$1" '$3 == p {f = 1} END {exit !f}' /proc/net/nty/sockets && return
		sleep 0.1
	done
}

# ntycat: lines in, datagrams across, lines out.
$B ntycat -l 6000 -c 3 -w 20 >"$tmp/out" &
pid=$!
bound 6000
# One CPU sends: a sender that moves between CPUs queues its frames on
# two CPUs' backlogs, and datagrams, as UDP's, may then arrive reordered.
printf 'one\ntwo\nthree\n' | $A taskset -c 0 ntycat va $MAC_B 6000
wait $pid
tap_check ntycat_lines "ntycat did not carry three lines: $(cat "$tmp/out"; $B cat /proc/net/nty/snmp; cat /sys/kernel/debug/nty/drops)" \
	test "$(cat "$tmp/out")" = "$(printf 'one\ntwo\nthree')"

# ntycat test traffic, checked for sequence by the receiver.  Datagrams
# are unreliable as UDP's are: a sender faster than the reader overruns
# the default 208 KB SO_RCVBUF (under emulation the reader is often the
# slower, CI lost 42 of 500 once), so the receiver asks for room for all
# 500, and a loss says where it went.
rmax=$($B sysctl -n net.nty.rmem_max)
$B sysctl -qw net.nty.rmem_max=4194304
$B ntycat -l 6001 -c 500 -q -w 20 -b 2097152 >"$tmp/sum" 2>&1 &
pid=$!
bound 6001
$A taskset -c 0 ntycat -c 500 -s 300 va $MAC_B 6001
wait $pid
$B sysctl -qw net.nty.rmem_max="$rmax"
tap_check ntycat_sequence "$(cat "$tmp/sum"; cat /sys/kernel/debug/nty/drops)" \
	grep -qx "received 500 datagrams, 0 out of order" "$tmp/sum"

# ntycat's errors are clear.
out=$($A ntycat va not-a-mac 6001 2>&1)
tap_check ntycat_bad_mac "ntycat accepted a bad MAC: $out" grep -q "bad MAC" <<<"$out"
out=$($A ntycat nosuchif $MAC_B 6001 2>&1)
tap_check ntycat_bad_iface "ntycat accepted a missing interface: $out" \
	grep -q "no interface" <<<"$out"

# ntystat shows the counters (InDelivers moved by 503 at least).
d=$($B ntystat -c | awk '$1 == "NtyInDelivers" {print $2}')
tap_check ntystat_counters "ntystat InDelivers=$d" test "${d:-0}" -ge 503

# ntystat -d prints deltas: 40 frames in the interval.  Python starts
# slowly under emulation: send only once the first report is out.
$B ntystat -c -a -d 4 -n 1 >"$tmp/delta" &
pid=$!
for _ in $(seq 100); do
	grep -q NtyInFrames "$tmp/delta" && break
	sleep 0.1
done
$A ntycat -c 40 -s 50 va $MAC_B 6999
wait $pid
np=$(awk '$1 == "NtyInNoPort" {n++; if (n == 2) print $2}' "$tmp/delta")
tap_check ntystat_delta "ntystat -d InNoPort delta=$np (want 40): $(cat "$tmp/delta")" \
	test "${np:-0}" -eq 40

tap_check ntystat_sockets "ntystat -S has no header" \
	sh -c "$B ntystat -S | head -1 | grep -q lport"
rows=$(tail -n +2 /sys/kernel/debug/nty/backlog | wc -l)
tap_check debugfs_backlog_rows "debugfs backlog has $rows rows for $(nproc) CPUs" \
	test "$rows" -eq "$(nproc)"

# sockstat counts bound sockets per type and namespace, as
# /proc/net/sockstat does, and the pages the queues hold.
inuse() { $B awk -v t="$1" '$1 == t {print $3}' /proc/net/nty/sockstat; }
u0=$(inuse NTYDGRAM:) s0=$(inuse NTYSTREAM:) a0=$($A awk '$1 == "NTYDGRAM:" {print $3}' /proc/net/nty/sockstat)
$B ntycat -l 6020 -w 20 >/dev/null &
p1=$!
$B ntycat -t -l 6021 -w 20 >/dev/null &
p2=$!
for _ in $(seq 50); do [ "$(inuse NTY:)" = $((u0 + s0 + 2)) ] && break; sleep 0.1; done
u1=$(inuse NTYDGRAM:) s1=$(inuse NTYSTREAM:) a1=$($A awk '$1 == "NTYDGRAM:" {print $3}' /proc/net/nty/sockstat)
kill $p1 $p2; wait $p1 $p2 2>/dev/null
for _ in $(seq 50); do [ "$(inuse NTY:)" = $((u0 + s0)) ] && break; sleep 0.1; done
tap_check sockstat_inuse "dgram $u0 -> $u1 -> $(inuse NTYDGRAM:), stream $s0 -> $s1 -> $(inuse NTYSTREAM:), other namespace $a0 -> $a1: $($B cat /proc/net/nty/sockstat)" \
	test "$u1" -eq $((u0 + 1)) -a "$s1" -eq $((s0 + 1)) -a "$(inuse NTYDGRAM:)" -eq "$u0" \
	-a "$(inuse NTYSTREAM:)" -eq "$s0" -a "$a1" -eq "$a0"

# ntystat -j: every view as JSON, equal to the tables it reads.
$B ntystat -j -a >"$tmp/all.json"
$B ntystat -j -c -d 1 -n 1 >"$tmp/delta.json"
# The debugfs views are global, and ip netns exec hides debugfs.
ntystat -j --drops -a >"$tmp/drops.json"
ntystat -j --latency >"$tmp/lat.json"
ntystat -j --journey >"$tmp/jour.json"
$B cat /proc/net/nty/snmp /proc/net/nty/sockets /proc/net/nty/sockstat >"$tmp/proc.txt"
cat /sys/kernel/debug/nty/drops >"$tmp/drops.txt"
out=$(python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
a = json.load(open(f"{t}/all.json"))
lines = open(f"{t}/proc.txt").read().splitlines()
bad = []
# Every counter, by name, with a value no smaller than the later read's
# snapshot allows (traffic is over: equal).
names, vals = lines[0].split(), lines[1].split()
for n, v in zip(names[1:], vals[1:]):
    if a["counters"].get("Nty" + n) != int(v):
        bad.append(f"Nty{n}: json {a['counters'].get('Nty' + n)} proc {v}")
socks = [l for l in lines if l.startswith(("dgram", "stream"))]
if len(a["sockets"]) != len(socks):
    bad.append(f"{len(a['sockets'])} sockets in json, {len(socks)} in proc")
if set(a["sockstat"]) != {"NTY", "NTYSTREAM", "NTYDGRAM"} or "mem" not in a["sockstat"]["NTY"]:
    bad.append(f"sockstat {a['sockstat']}")
if not a["softnet"] or "processed" not in a["softnet"][0]:
    bad.append("softnet rows missing")
d = [json.loads(l) for l in open(f"{t}/delta.json")]
if len(d) != 2 or d[1]["counters"].get("NtyInFrames", 0) != 0:
    bad.append(f"-d gave {len(d)} objects, second InFrames {d[-1]['counters'].get('NtyInFrames') if d else None}")
dr = json.load(open(f"{t}/drops.json"))["drops"]
table = [l.split() for l in open(f"{t}/drops.txt").read().splitlines()[1:]]
if [[r["stage"], r["kind"], r["reason"], str(r["count"])] for r in dr] != table:
    bad.append("drops json differs from debugfs")
lat = json.load(open(f"{t}/lat.json"))["latency"]
if not lat or any("samples" not in h or "log2_buckets" not in h for h in lat.values()):
    bad.append(f"latency {str(lat)[:200]}")
if not isinstance(json.load(open(f"{t}/jour.json"))["journeys"], list):
    bad.append("journeys not a list")
print("; ".join(bad) if bad else "ok")
PY
)
tap_check ntystat_json "$out" test "$out" = ok

# ntystat --map: after the totals since boot, one interval in which 40
# frames go to a port nobody has: the map's protocol stage took exactly
# those 40 and dropped them as no_port; the per-CPU backlog processed
# them; the device saw them.  Then the same map drawn as SVG.
$B ntystat --map -j -d 4 -n 1 >"$tmp/map.json" &
pid=$!
for _ in $(seq 100); do
	[ -s "$tmp/map.json" ] && break
	sleep 0.1
done
$A ntycat -c 40 -s 50 va $MAC_B 6997
wait $pid
$B ntystat --map --svg "$tmp/map.svg" -d 1 -n 1 >"$tmp/map.txt"
out=$(python3 - "$tmp" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
t = sys.argv[1]
lines = [json.loads(l) for l in open(f"{t}/map.json")]
bad = []
if len(lines) != 2 or not lines[0]["since_boot"] or lines[1]["since_boot"]:
    bad.append(f"{len(lines)} maps")
st = {r["stage"]: r for r in lines[-1]["map"]}
if [r["stage"] for r in lines[-1]["map"]] != ["ring", "irq", "poll", "backlog", "protocol", "socket", "copy"]:
    bad.append(f"stages {list(st)}")
if st["protocol"]["count"] != 40 or st["protocol"]["drops"]["no_port"] != 40:
    bad.append(f"protocol {st['protocol']}")
if st["backlog"]["count"] != 40 or st["backlog"]["drops"]["backlog_full"] != 0:
    bad.append(f"backlog {st['backlog']}")
if st["ring"]["count"] < 40 or st["socket"]["count"] != 0:
    bad.append(f"ring {st['ring']['count']} socket {st['socket']['count']}")
svg = ET.parse(f"{t}/map.svg").getroot()
ids = [g.get("id") for g in svg.iter("{http://www.w3.org/2000/svg}g")]
texts = " ".join(x.text or "" for x in svg.iter("{http://www.w3.org/2000/svg}text"))
if ids != list(st) or any(r["name"] not in texts for r in st.values()):
    bad.append(f"svg stages {ids}")
if "per-CPU backlog" not in open(f"{t}/map.txt").read():
    bad.append("text map without its stages")
print("; ".join(bad) if bad else "ok")
PY
)
tap_check ntystat_map_counts "$out" test "$out" = ok
tap_check ntystat_map_svg "$(head -c 300 "$tmp/map.svg")" \
	python3 -c 'import sys, xml.etree.ElementTree as E; sys.exit(len(list(E.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}g"))) != 7)' "$tmp/map.svg"
rm -rf "$tmp"
tap_done

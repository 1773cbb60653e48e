#!/bin/bash
# The tools of the field on NTY, each run for real in the VM and held to
# NTY's own figures: BTF for nty.ko, bpftrace's drop counts per kind and
# backlog-depth histogram against /proc/net/nty/snmp, softnet and the
# debugfs tables, bpftrace's per-flow path time against the deliveries,
# perf trace and bcc's trace printing the drops, perf's call chains of
# nty:nty_drop, and dropwatch (the kernel's drop monitor) seeing NTY's
# drops with their reasons.  Needs topo.sh.
. "$(dirname "$0")/tap.sh"
tap_plan 11
A="ip netns exec nty-a"
B="ip netns exec nty-b"
MAC_B=02:00:00:00:00:0b
ET=$(cat /sys/module/nty/parameters/ethertype)
D=/sys/kernel/debug/nty
tmp=$(mktemp -d)

# Counter $1 of a copy of /proc/net/nty/snmp ($2): "Nty:" names, then values.
snmp_of() { awk -v n="$1" '$1 == "Nty:" {if (!seen) {for (i = 2; i <= NF; i++) h[i] = $i; seen = 1} else {for (i = 2; i <= NF; i++) if (h[i] == n) v = $i; seen = 0}} END {print v + 0}' "$2"; }
snmp() { $B cat /proc/net/nty/snmp >"$tmp/snmp.now"; snmp_of "$1" "$tmp/snmp.now"; }
# softnet column $1 summed over the CPUs (of a copy of the table, $2).
softnet() { awk -v c="$1" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == c) k = i; next} {s += $k} END {print s + 0}' "${2:-/proc/net/nty/softnet}"; }
# The row of kind $1 in the drop table: its number in nty:nty_drop.
kind_id() { awk -v k="$1" 'NR > 1 && $2 == k {print NR - 2}' $D/drops; }
bound() {
	for _ in $(seq 600); do
		$B awk -v p="$1" '$3 == p {f = 1} END {exit !f}' /proc/net/nty/sockets && return
		sleep 0.1
	done
	echo "# port $1 never bound"
}
# bpftrace PROGRAM OUT SCRIPT: bpftrace runs SCRIPT (bash) once its probes
# are attached (-c), then exits with it and prints its maps into OUT.
# Waiting for "Attaching" is not enough: it is printed before the probes
# are, which under the debug kernel takes seconds.
bt_run() {
	timeout -s INT 600 bpftrace -e "$1" -o "$2" -c "/bin/bash $3" >/dev/null 2>"$2.err" ||
		echo "# bpftrace: $(tail -3 "$2.err")"
}
# A map entry of bpftrace's output: "@name[key]: value" (0 when absent).
bt_val() { awk -v k="$1" '$1 == k":" {v = $2} END {print v + 0}' "$2"; }
# Raw frames from va: N with a broken checksum, N shorter than a header.
cat >"$tmp/raw_bad.py" <<'PY'
import socket, struct, sys
et, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("va", 0))
eth = bytes.fromhex("02000000000b02000000000a") + struct.pack("!H", et)
h = struct.pack("!BBBBHHHHIIHH", 1, 1, 0, 0, 4000, 6390, 28, 0xdead, 0, 0, 0, 0)
for _ in range(n):
    s.send(eth + h + b"abcd")
    s.send(eth + b"\x01\x01\x00")
PY

if ! command -v bpftrace >/dev/null || ! command -v dropwatch >/dev/null; then
	for t in btf_module bpftrace_drops_by_kind bpftrace_drops_vs_snmp \
		bpftrace_backlog_depth bpftrace_backlog_hist bpftrace_path_time \
		perf_drop_callchain perf_script_names perf_trace bcc_trace \
		dropwatch_reasons; do
		tap_check "$t" "bpftrace or dropwatch is not installed (scripts/setup installs them)" false
	done
	exit 1
fi

# BTF: the kernel's and the module's own, with NTY's structures by name.
if ! readelf -S "$NTY_MODDIR/module/nty.ko" | grep -q ' \.BTF '; then
	# Debian's linux-headers ship no vmlinux, which pahole needs to write
	# a module's BTF (kbuild: "Skipping BTF generation").
	tap_skip btf_module "nty.ko was built without BTF (no vmlinux beside these headers)"
else
	btf=$(bpftool btf dump file /sys/kernel/btf/nty 2>&1 | grep -cE "^\[[0-9]+\] STRUCT '(nty_sock|nty_stream_sock|nty_skb_cb)'")
	tap_check btf_module "/sys/kernel/btf/nty: $btf of nty_sock, nty_stream_sock, nty_skb_cb" \
		test -f /sys/kernel/btf/vmlinux -a "$btf" -eq 3
fi

# One bpftrace run (each start costs half a minute or more under the
# debug kernel) for three parts, one after another in its traffic script:
#  1. drops by kind: bpftrace on nty:nty_drop against the debugfs table
#     and the snmp counters, for K frames to no socket, K with a bad
#     checksum, K shorter than a header;
#  2. the backlog's depth: bpftrace's histogram of nty_backlog_enqueue's
#     qlen against debugfs's backlog_len_at_enqueue (the same log2
#     buckets), its count against softnet's processed, and its drops
#     against softnet's dropped and InBacklogDrops.  netem releases
#     frames in bursts, faster than the poll drains a backlog of two
#     (max_backlog is global).  Only this part's frames count: they are
#     the only ones of $S2 payload bytes, marked at nty_rcv by length.
#     Their receiver is stopped while they arrive: a tracing program
#     runs only if none runs on its CPU (trace_call_bpf() counts the
#     rest as misses), and a softirq that interrupts the receiver's
#     nty_copy_to_user program would have its nty_rcv and
#     nty_backlog_enqueue skipped;
#  3. time on the path per flow: nty_rcv to nty_copy_to_user, paired by
#     skbaddr; one sample per datagram delivered.
K=30 N=300 S2=200 K2=40
echo reset >$D/drops
np0=$(snmp InNoPort) cs0=$(snmp InCsumErrors) he0=$(snmp InHdrErrors)
$B ntycat -l 6391 -c $N -q -w 300 >/dev/null 2>&1 &
rx=$!
$B ntycat -l 6392 -c $K2 -q -w 300 >/dev/null &
rx2=$!
bound 6391
bound 6392
old=$(cat /proc/sys/net/nty/max_backlog)
cat >"$tmp/t.sh" <<TRAFFIC
$A ntycat -p 4321 -c $K -s 32 va $MAC_B 6390
$A python3 $tmp/raw_bad.py $ET $K
sleep 1
echo 0 >$D/latency
echo 1 >$D/timing
cat /proc/net/nty/softnet >$tmp/softnet0
$B cat /proc/net/nty/snmp >$tmp/snmp0
kill -STOP $rx
$A tc qdisc replace dev va root netem delay 30ms limit 10000
echo 2 >/proc/sys/net/nty/max_backlog
$A ntycat -p 4322 -c $N -s $S2 va $MAC_B 6391
sleep 2
echo $old >/proc/sys/net/nty/max_backlog
$A tc qdisc del dev va root
echo 0 >$D/timing
cat /proc/net/nty/softnet >$tmp/softnet1
$B cat /proc/net/nty/snmp >$tmp/snmp1
kill $rx
kill -CONT $rx
$B cat /proc/net/nty/snmp >$tmp/snmp2
$A ntycat -p 4323 -c $K2 -s 64 va $MAC_B 6392
while kill -0 $rx2 2>/dev/null; do sleep 0.2; done
$B cat /proc/net/nty/snmp >$tmp/snmp3
TRAFFIC
bt_run "tracepoint:nty:nty_drop {
	@kind[args->kind] = count();
	if (args->kind == $(kind_id backlog_full)) { @full = count(); }
}
tracepoint:nty:nty_rcv {
	@t[args->skbaddr] = nsecs;
	if (args->len >= $S2) { @p2[args->skbaddr] = 1; } else { delete(@p2[args->skbaddr]); }
}
tracepoint:nty:nty_backlog_enqueue /@p2[args->skbaddr]/ {
	@len[args->qlen] = count(); @depth = hist(args->qlen); @max = max(args->qlen); @enq = count();
	delete(@p2[args->skbaddr]);
}
tracepoint:nty:nty_copy_to_user /@t[args->skbaddr]/ {
	@us[args->lport, args->sport] = hist((nsecs - @t[args->skbaddr]) / 1000);
	@n[args->lport] = count(); delete(@t[args->skbaddr]);
}
END { clear(@t); clear(@p2); }" "$tmp/all.bt" "$tmp/t.sh"
wait $rx 2>/dev/null
wait $rx2

ok=1 msg="" rows=0
tail -n +2 $D/drops >"$tmp/drops.tab"
while read -r _ kind _ count; do
	id=$(kind_id "$kind")
	got=$(bt_val "@kind[$id]" "$tmp/all.bt")
	rows=$((rows + 1))
	[ "$got" = "$count" ] || ok=0
	[ "$count" = 0 ] || msg+="$kind: debugfs $count bpftrace $got; "
done <"$tmp/drops.tab"
[ $rows -gt 20 ] || ok=0
ns=$(bt_val "@kind[$(kind_id no_socket)]" "$tmp/all.bt")
cs=$(bt_val "@kind[$(kind_id csum)]" "$tmp/all.bt")
hs=$(bt_val "@kind[$(kind_id hdr_short)]" "$tmp/all.bt")
tap_check bpftrace_drops_by_kind "$msg" test $ok = 1 -a "$ns" -eq $K -a "$cs" -eq $K -a "$hs" -eq $K
np=$(($(snmp InNoPort) - np0)) cs1=$(($(snmp InCsumErrors) - cs0)) he=$(($(snmp InHdrErrors) - he0))
tap_check bpftrace_drops_vs_snmp \
	"InNoPort +$np InCsumErrors +$cs1 InHdrErrors +$he, bpftrace $ns $cs $hs" \
	test "$np" -eq "$ns" -a "$cs1" -eq "$cs" -a "$he" -eq "$hs"

enq=$(bt_val @enq "$tmp/all.bt") full=$(bt_val @full "$tmp/all.bt") max=$(bt_val @max "$tmp/all.bt")
pr=$(($(softnet processed "$tmp/softnet1") - $(softnet processed "$tmp/softnet0")))
dr=$(($(softnet dropped "$tmp/softnet1") - $(softnet dropped "$tmp/softnet0")))
bd=$(($(snmp_of InBacklogDrops "$tmp/snmp1") - $(snmp_of InBacklogDrops "$tmp/snmp0")))
tap_check bpftrace_backlog_depth \
	"bpftrace: $enq enqueued, $full dropped, deepest $max; softnet processed +$pr dropped +$dr; InBacklogDrops +$bd" \
	test "$enq" -eq "$pr" -a "$full" -eq "$dr" -a "$full" -eq "$bd" -a \
	$((enq + full)) -eq $N -a "$full" -gt 0 -a "$max" -eq 2
# debugfs bucket i holds [2^i, 2^(i+1)), 0 and 1 in bucket 0.
mine=$(awk '/^@len\[/ {gsub(/[@len\[\]:]/, "", $1); v = $1; b = 0; while (v >= 2) {v = int(v / 2); b++} n[b] += $2; if (b > m) m = b}
	END {for (i = 0; i <= m; i++) printf "%d ", n[i] + 0}' "$tmp/all.bt")
theirs=$(awk -v m="$(echo "$mine" | wc -w)" '$1 == "backlog_len_at_enqueue:" {for (i = 2; i <= m + 1; i++) printf "%d ", $i; s = 0; for (i = m + 2; i <= NF; i++) s += $i; if (s) printf "rest %d", s}' $D/latency)
sed -n '/^@depth/,/^$/p' "$tmp/all.bt" | sed 's/^/# /'
tap_check bpftrace_backlog_hist "buckets from bpftrace: $mine; debugfs: $theirs" \
	test -n "$mine" -a "$mine" = "$theirs"

n=$(bt_val "@n[6392]" "$tmp/all.bt")
de=$(($(snmp_of InDelivers "$tmp/snmp3") - $(snmp_of InDelivers "$tmp/snmp2")))
sed -n '/^@us\[6392,/,/^$/p' "$tmp/all.bt" | sed 's/^/# /'
tap_check bpftrace_path_time "$n samples for port 6392, InDelivers +$de, want $K2" \
	test "$n" -eq $K2 -a "$de" -eq $K2 -a "$(grep -c '^@us\[6392, 4323\]' "$tmp/all.bt")" -eq 1

# perf trace: the events live, each field by name.
K5=5
# perf starts the command it is given once its events are enabled.
timeout 300 perf trace -e nty:nty_drop -a -- \
	$A ntycat -p 4326 -c $K5 -s 32 va $MAC_B 6395 >"$tmp/pt.txt" 2>&1
n=$(grep -cE "nty:nty_drop\(.*sport: 4326, dport: 6395, type: 1, .*kind: $(kind_id no_socket)," "$tmp/pt.txt")
tap_check perf_trace "perf trace printed $n nty:nty_drop events for port 6395, want $K5: $(tail -1 "$tmp/pt.txt")" \
	test "$n" -eq $K5

# bcc: trace-bpfcc compiles its program against the kernel's own headers
# (CONFIG_IKHEADERS), then prints each drop.
K6=5
timeout -s INT 600 stdbuf -oL trace-bpfcc \
	't:nty:nty_drop "kind=%d dport=%d", args->kind, args->dport' >"$tmp/bcc.txt" 2>&1 &
bp=$!
for _ in $(seq 500); do
	grep -qE "^PID|rror" "$tmp/bcc.txt" && break
	sleep 1
done
$A ntycat -p 4327 -c $K6 -s 32 va $MAC_B 6396
sleep 2
kill -INT $bp
wait $bp
n=$(grep -cE "nty_drop +kind=$(kind_id no_socket) dport=6396\$" "$tmp/bcc.txt")
tap_check bcc_trace "trace-bpfcc printed $n drops for port 6396, want $K6: $(grep -m1 -i error "$tmp/bcc.txt")" \
	test "$n" -eq $K6

# perf: the call chain of each drop, and the events by name.  nty.ko is
# not under /lib/modules: perf finds its symbols by build ID once the
# file is in its cache.
K3=10
perf buildid-cache -a "$NTY_MODDIR/module/nty.ko" 2>/dev/null
(cd "$tmp" && timeout 300 perf record -q -g -a -e nty:nty_drop -o drop.data -- \
	$A ntycat -p 4324 -c $K3 -s 32 va $MAC_B 6393) >/dev/null 2>&1
perf script -i "$tmp/drop.data" -F event,trace,ip,sym 2>/dev/null >"$tmp/drop.txt"
ev=$(grep -c "nty:nty_drop:.*dport=6393 type=dgram stage=demux kind=no_socket reason=NO_SOCKET" "$tmp/drop.txt")
# Each event's chain, innermost first: NTY's drop, the protocol's
# receive, the backlog's poll, then the kernel's NAPI.  Debian 12's perf
# (6.1) leaves the module addresses of the first sample of a file
# unnamed (perf report too), so one chain may lack NTY's names; every
# chain must still run through net_rx_action and __napi_poll.
# (A compiler's clone keeps its name before the dot: __napi_poll.constprop.0.)
chain=$(awk '/nty:nty_drop:/ {if (c) n++; c = d = p = 0; next}
	{sub(/\..*/, "", $2)}
	$2 == "__nty_drop" {d = 1} $2 == "nty_protocol_rcv" && d {p = 1}
	$2 == "nty_process_backlog" && p {c = 1}
	END {if (c) n++; print n + 0}' "$tmp/drop.txt")
napi=$(awk '/nty:nty_drop:/ {if (c) n++; c = d = 0; next}
	{sub(/\..*/, "", $2)}
	$2 == "__napi_poll" {d = 1} $2 == "net_rx_action" && d {c = 1}
	END {if (c) n++; print n + 0}' "$tmp/drop.txt")
sed -n '1,/^$/p' "$tmp/drop.txt" | sed 's/^/# /'
tap_check perf_script_names "$ev nty:nty_drop events named in perf script, want $K3" test "$ev" -eq $K3
tap_check perf_drop_callchain "of $ev call chains, $napi from net_rx_action and __napi_poll, $chain through nty_process_backlog, nty_protocol_rcv and __nty_drop" \
	test "$ev" -gt 1 -a "$napi" -eq "$ev" -a "$chain" -ge $((ev - 1))

# dropwatch: the drop monitor in packet mode, NTY's EtherType and reason.
# Line-buffered, so that its "monitoring activated" shows it is ready;
# Ctrl-C stops the monitoring, then the end of its input ends it.
K4=10
printf 'set alertmode packet\nstart\n' >"$tmp/dw.in"
timeout -s KILL 300 stdbuf -oL dropwatch -l kas <"$tmp/dw.in" >"$tmp/dw.txt" 2>&1 &
dw=$!
for _ in $(seq 300); do
	grep -q "monitoring activated" "$tmp/dw.txt" && break
	sleep 0.1
done
$A ntycat -p 4325 -c $K4 -s 32 va $MAC_B 6394
sleep 2
kill -INT $dw
wait $dw
dn=$(awk -v p="$(printf 'protocol: 0x%x' "$ET")" '/^drop at:/ {m = 0; f = index($0, "[nty]") > 0} index($0, p) {m = f} /^drop reason:/ {if (m && $3 == "NO_SOCKET") n++; m = 0} END {print n + 0}' "$tmp/dw.txt")
grep -m1 -B7 "drop reason: NO_SOCKET" "$tmp/dw.txt" | sed 's/^/# /'
tap_check dropwatch_reasons "dropwatch saw $dn NTY drops (in nty.ko, protocol 0x$(printf %x "$ET"), reason NO_SOCKET), want $K4" \
	test "$dn" -eq $K4
rm -rf "$tmp"
tap_done

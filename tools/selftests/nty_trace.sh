#!/bin/bash
# Seeing inside: the nty tracepoints carry what the frame carried, every
# drop is counted per stage and kind in debugfs and agrees with the
# kernel's skb:kfree_skb, and each fault-injection point fails exactly as
# often as it is told, after which the path recovers.  Needs topo.sh.
. "$(dirname "$0")/tap.sh"
tap_plan 19
A="ip netns exec nty-a"
B="ip netns exec nty-b"
MAC_A=02:00:00:00:00:0a
MAC_B=02:00:00:00:00:0b
T=/sys/kernel/tracing
D=/sys/kernel/debug/nty
tmp=$(mktemp -d)

snmp() { $B ntystat -c -a | awk -v n="Nty$1" '$1 == n {print $2}'; }
snmp_a() { $A ntystat -c -a | awk -v n="Nty$1" '$1 == n {print $2}'; }
drops() { awk -v k="$1" '$2 == k {print $4}' $D/drops; }

ok=1
for e in nty_rcv nty_backlog_enqueue nty_napi_poll nty_demux nty_sock_enqueue \
	 nty_wakeup nty_copy_to_user nty_drop; do
	[ -d $T/events/nty/$e ] || ok=0
done
tap_check tracepoints_exist "missing events under $T/events/nty" test $ok = 1

# K datagrams: K handler events and K copy-to-user events, fields checked.
K=20
echo 0 >$T/tracing_on
echo >$T/trace
echo 1 >$T/events/nty/enable
echo 1 >$T/tracing_on
$B ntycat -l 6100 -c $K -q -w 20 >/dev/null &
pid=$!
sleep 1
$A ntycat -p 4321 -c $K -s 64 va $MAC_B 6100
wait $pid
echo 0 >$T/tracing_on
cp $T/trace "$tmp/trace"
echo 0 >$T/events/nty/enable
n=$(grep -c "nty_rcv: .* len=88 saddr=$MAC_A" "$tmp/trace")
tap_check rcv_events "$n nty_rcv events of len 88 from $MAC_A, want $K" test "$n" -eq $K
n=$(grep -c "nty_copy_to_user: .* lport=6100 saddr=$MAC_A sport=4321 len=64 copied=64" "$tmp/trace")
tap_check copy_to_user_events "$n nty_copy_to_user events matching the frames, want $K" test "$n" -eq $K
n=$(grep -c "nty_demux: .* saddr=$MAC_A sport=4321 dport=6100 .* found=1" "$tmp/trace")
tap_check demux_events "$n nty_demux events, want $K" test "$n" -eq $K
n=$(grep -c "nty_sock_enqueue: .* lport=6100 queue=receive len=64" "$tmp/trace")
tap_check sock_enqueue_events "$n nty_sock_enqueue events, want $K" test "$n" -eq $K
n=$(grep -c "nty_backlog_enqueue: .* qlen=" "$tmp/trace")
p=$(grep "nty_napi_poll:" "$tmp/trace" | sed 's/.*work=\([0-9]*\).*/\1/' | paste -sd+ | bc)
tap_check backlog_and_poll_events "backlog events $n, poll work sum ${p:-0}, want $K each" \
	test "$n" -eq $K -a "${p:-0}" -eq $K

# Drops: the debugfs table, the snmp counter, nty:nty_drop and the
# kernel's skb:kfree_skb agree.
echo reset >$D/drops
np0=$(snmp InNoPort)
echo >$T/trace
echo 1 >$T/events/nty/nty_drop/enable
echo 1 >$T/events/skb/kfree_skb/enable
echo 1 >$T/tracing_on
$A ntycat -c 5 -s 8 va $MAC_B 6199
sleep 0.5
echo 0 >$T/tracing_on
echo 0 >$T/events/nty/nty_drop/enable
echo 0 >$T/events/skb/kfree_skb/enable
cp $T/trace "$tmp/drops"
np1=$(snmp InNoPort)
nd=$(grep -c "nty_drop: .* stage=demux" "$tmp/drops")
nk=$(grep -c "kfree_skb: .*protocol=34997 .*reason: NO_SOCKET" "$tmp/drops")
tap_check drops_agree "InNoPort +$((np1 - np0)), table $(drops no_socket), nty_drop $nd, kfree_skb $nk; want 5 each" \
	test $((np1 - np0)) -eq 5 -a "$(drops no_socket)" -eq 5 -a "$nd" -eq 5 -a "$nk" -eq 5
echo reset >$D/drops
tap_check drops_reset "table not zeroed: $(drops no_socket)" test "$(drops no_socket)" -eq 0

# A drop says whose frame it was and why, by name: the flow from the
# frame, NTY's kind and the kernel's reason; debugfs names the reason too.
ifb=$($B cat /sys/class/net/vb/ifindex)
n=$(grep -cE "nty_drop: .* ifindex=$ifb saddr=$MAC_A sport=[1-9][0-9]* dport=6199 type=dgram stage=demux kind=no_socket reason=NO_SOCKET\$" "$tmp/drops")
tap_check drop_event_names_flow "$n of 5 nty_drop events with the flow and names: $(grep -m1 nty_drop: "$tmp/drops")" \
	test "$n" -eq 5
line=$(awk '$2 == "no_socket"' $D/drops)
tap_check debugfs_drops_reason_names "debugfs row: $line" test "$line" = "demux no_socket NO_SOCKET 0"

# A frame shorter than the NTY header: the event has no ports to show
# (read with skb_header_pointer(), never past the frame), and a frame to
# a socket that refuses it names the socket in skb:kfree_skb (rx_sk).
echo >$T/trace
echo 1 >$T/events/nty/nty_drop/enable
echo 1 >$T/events/skb/kfree_skb/enable
echo 1 >$T/tracing_on
$A python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("va", 0))
s.send(bytes.fromhex("02000000000b02000000000a") + int(sys.argv[1]).to_bytes(2, "big") + bytes([1, 1, 0, 0, 0x12, 0x34, 0x17]))
' "$(cat /sys/module/nty/parameters/ethertype)"
$B ntycat -l 6198 -b 1 -w 20 >/dev/null &
pid=$!
# Bound before the sender starts, however slow the emulator is today.
for _ in $(seq 100); do
	$B awk '$3 == 6198 {f = 1} END {exit !f}' /proc/net/nty/sockets && break
	sleep 0.1
done
kill -STOP $pid
$A ntycat -c 40 -s 1000 va $MAC_B 6198
sleep 0.5
echo 0 >$T/tracing_on
echo 0 >$T/events/nty/nty_drop/enable
echo 0 >$T/events/skb/kfree_skb/enable
kill -CONT $pid; kill $pid; wait $pid 2>/dev/null
cp $T/trace "$tmp/drops2"
short=$(grep -cE "nty_drop: .* saddr=$MAC_A sport=0 dport=0 type=none stage=protocol kind=hdr_(short|len) reason=PKT_TOO_SMALL" "$tmp/drops2")
# skb:kfree_skb has named the socket since 6.11 (sk_skb_reason_drop());
# before that (Debian's 6.1) the reason alone is what can be asked for.
if grep -q rx_sk $T/events/skb/kfree_skb/format; then
	rcvbuf=$(grep -c "kfree_skb: .* rx_sk=0*[1-9a-f][0-9a-f]* .*reason: SOCKET_RCVBUFF" "$tmp/drops2")
else
	rcvbuf=$(grep -c "kfree_skb: .*reason: SOCKET_RCVBUFF" "$tmp/drops2")
fi
tap_check drop_short_frame_and_rx_sk "short-frame events $short (want 1), SOCKET_RCVBUFF frees naming a socket $rcvbuf (want > 0): $(grep -E 'nty_drop|kfree_skb' "$tmp/drops2" | grep -v 'protocol=34525' | head -6; awk '$4 > 0' $D/drops)" \
	test "$short" -eq 1 -a "$rcvbuf" -gt 0

# trace-cmd, from Debian, records the same events.
if command -v trace-cmd >/dev/null; then
	(cd "$tmp" && trace-cmd record -q -e nty:nty_rcv -o tc.dat \
		$A ntycat -c 7 -s 8 va $MAC_B 6199 >/dev/null 2>&1)
	n=$(cd "$tmp" && trace-cmd report -i tc.dat 2>/dev/null | grep -c "nty_rcv:.*saddr=$MAC_A")
	tap_check trace_cmd_records "trace-cmd saw $n nty_rcv events, want 7" test "$n" -eq 7
else
	echo "ok $((tap_n + 1)) trace_cmd_records # SKIP trace-cmd not installed"
	tap_n=$((tap_n + 1))
fi

# perf, from Debian, records them too (system-wide, tracepoint events).
if command -v perf >/dev/null && perf version >/dev/null 2>&1; then
	(cd "$tmp" && perf record -q -a -e nty:nty_copy_to_user -o perf.data -- \
		sh -c "$B ntycat -l 6104 -c 4 -q -w 20 >/dev/null & sleep 1; \
		       $A ntycat -c 4 -s 8 va $MAC_B 6104; wait" >/dev/null 2>&1)
	n=$(cd "$tmp" && perf script -i perf.data 2>/dev/null | grep -c "nty_copy_to_user:.*lport=6104")
	tap_check perf_records "perf saw $n nty_copy_to_user events, want 4" test "$n" -eq 4
else
	tap_n=$((tap_n + 1))
	echo "ok $tap_n perf_records # SKIP perf not installed"
fi

# Bad input to the knobs is refused and changes nothing.
echo "port=7 ifindex=2" >$D/journey_filter
bad=0
for v in "port=70000" "port=-1" "bogus" "port=5x"; do
	echo "$v" >$D/journey_filter 2>/dev/null && bad=1
done
tap_check journey_filter_rejects_bad "a bad filter was accepted or changed it: $(cat $D/journey_filter)" \
	sh -c "[ $bad = 0 ] && [ \"\$(cat $D/journey_filter)\" = 'port=7 ifindex=2' ]"
echo "port=0 ifindex=0" >$D/journey_filter
tap_check timing_rejects_bad "timing accepted 2 or left 0" \
	sh -c "! echo 2 >$D/timing 2>/dev/null && [ \"\$(cat $D/timing)\" = 0 ]"

# Fault injection: armed for 3 failures, each point fails exactly 3 times.
arm() {
	echo 0 >$D/$1/verbose
	echo 1 >$D/$1/interval
	echo 100 >$D/$1/probability
	echo 3 >$D/$1/times
}
disarm() { echo 0 >$D/$1/probability; }

if [ -d $D/fail_backlog ]; then
	$B ntycat -l 6101 -c 7 -q -w 20 >"$tmp/r1" &
	pid=$!
	sleep 1
	b0=$(snmp InBacklogDrops)
	arm fail_backlog
	$A ntycat -c 10 -s 8 va $MAC_B 6101
	disarm fail_backlog
	wait $pid
	b1=$(snmp InBacklogDrops)
	tap_check fault_backlog "InBacklogDrops +$((b1 - b0)), table $(drops backlog_fault), receiver: $(cat "$tmp/r1")" \
		test $((b1 - b0)) -eq 3 -a "$(drops backlog_fault)" -eq 3 -a -s "$tmp/r1"

	$B ntycat -l 6102 -c 7 -q -w 20 >"$tmp/r2" &
	pid=$!
	sleep 1
	r0=$(snmp RcvbufErrors)
	arm fail_sock_enqueue
	$A ntycat -c 10 -s 8 va $MAC_B 6102
	disarm fail_sock_enqueue
	wait $pid
	r1=$(snmp RcvbufErrors)
	tap_check fault_sock_enqueue "RcvbufErrors +$((r1 - r0)), table $(drops socket_fault)" \
		test $((r1 - r0)) -eq 3 -a "$(drops socket_fault)" -eq 3 -a -s "$tmp/r2"

	o0=$(snmp_a OutDrops)
	arm fail_send_alloc
	fails=0
	for _ in 1 2 3 4 5; do
		$A ntycat -c 1 -s 8 va $MAC_B 6199 2>>"$tmp/err" || fails=$((fails + 1))
	done
	disarm fail_send_alloc
	o1=$(snmp_a OutDrops)
	tap_check fault_send_alloc "$fails sends failed, OutDrops +$((o1 - o0)): $(head -1 "$tmp/err")" \
		sh -c "[ $fails -eq 3 ] && [ $((o1 - o0)) -eq 3 ] && grep -q 'No buffer space' '$tmp/err'"

	# Recovered: everything gets through again.
	$B ntycat -l 6103 -c 10 -q -w 20 >"$tmp/r3" &
	pid=$!
	sleep 1
	$A ntycat -c 10 -s 8 va $MAC_B 6103
	wait $pid
	tap_check fault_recovered "after the faults: $(cat "$tmp/r3")" \
		grep -qx "received 10 datagrams, 0 out of order" "$tmp/r3"
else
	for t in fault_backlog fault_sock_enqueue fault_send_alloc fault_recovered; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n $t # SKIP kernel without CONFIG_FAULT_INJECTION_DEBUG_FS"
	done
fi
rm -rf "$tmp"
tap_done

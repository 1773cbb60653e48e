#!/bin/bash
# Hardening defect 2: devices and namespaces deleted while NTY's per-CPU
# backlog is deep.  A poll takes the whole input queue as a batch and puts
# back what its budget leaves; the unregister notifier used to walk the
# queue alone, so a batch that was out when it ran came back afterwards
# and was processed after its device had been freed (a use-after-free
# KASAN reports).  Here a broadcast flood reaches 16 sockets sharing one
# port through SO_REUSEADDR, every frame copied 16 times on CPU 1 (rps_cpus)
# while CPU 0 sends, napi_weight 4 so that every poll leaves a batch
# behind; the receiving veth is deleted under it, then its namespace.
# Checks: the polls ran over budget (time_squeeze) and frames were in
# the backlog when their device went (dev_unregistered drops), the
# queues are empty afterwards, the path still delivers; a kernel report
# (KASAN's use-after-free) fails the run (scripts/nty-vm).
. "$(dirname "$0")/tap.sh"
tap_plan 3
rounds=${NTY_DEVGONE_ROUNDS:-6}
sfx=$$
A=dg-a-$sfx
B=dg-b-$sfx
MAC_B=02:00:00:00:0d:0b
P=/proc/sys/net/nty
w0=$(cat $P/napi_weight) b0=$(cat $P/max_backlog) r0=$(cat $P/rps_cpus)
pids=()

cleanup() {
	[ ${#pids[@]} -gt 0 ] && kill -CONT "${pids[@]}" 2>/dev/null
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	echo "$w0" >$P/napi_weight
	echo "$b0" >$P/max_backlog
	echo "$r0" >$P/rps_cpus
}
trap cleanup EXIT

dev_gone() { awk '$2 == "dev_unregistered" {n += $4} END {print n + 0}' /sys/kernel/debug/nty/drops; }
qlen() { awk 'NR > 1 {n += $2} END {print n + 0}' /sys/kernel/debug/nty/backlog; }
# Polls that used their whole budget with work left, all CPUs.
squeeze() { awk 'NR > 1 {n += $4} END {print n + 0}' /proc/net/nty/softnet; }

# up: a veth from $A into $B, 16 stopped readers sharing port 7950 in $B.
up() {
	ip netns add "$A" 2>/dev/null
	ip netns add "$B" 2>/dev/null
	ip link add dga netns "$A" type veth peer name dgb netns "$B"
	ip -n "$A" link set dga up
	ip -n "$B" link set dgb address $MAC_B up
	pids=()
	for _ in $(seq 16); do
		ip netns exec "$B" ntycat -r -l 7950 -b 4096 -w 30 >/dev/null 2>&1 &
		pids+=($!)
	done
	for _ in $(seq 100); do
		[ "$(ip netns exec "$B" awk '$3 == 7950' /proc/net/nty/sockets | wc -l)" = 16 ] && break
		sleep 0.1
	done
	kill -STOP "${pids[@]}"
}

# flood: broadcast datagrams to port 7950 from CPU 0, until killed.
flood() {
	ip netns exec "$A" taskset -c 0 ntycat -c 100000000 -s 32 dga \
		ff:ff:ff:ff:ff:ff 7950 >/dev/null 2>&1 &
	echo $!
}

readers_done() {
	kill -CONT "${pids[@]}" 2>/dev/null
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	pids=()
}

echo 4 >$P/napi_weight
echo 10000 >$P/max_backlog
echo 2 >$P/rps_cpus
g0=$(dev_gone)
q0=$(squeeze)
deep=0
for r in $(seq "$rounds"); do
	# The device goes, its namespace stays.
	up
	f=$(flood)
	sleep 1
	q=$(qlen)
	[ "$q" -gt "$deep" ] && deep=$q
	ip -n "$B" link del dgb
	kill "$f" 2>/dev/null; wait "$f" 2>/dev/null
	readers_done
	# The namespace goes, with its device, under the flood.
	up
	f=$(flood)
	sleep 1
	q=$(qlen)
	[ "$q" -gt "$deep" ] && deep=$q
	ip netns del "$B"
	kill "$f" 2>/dev/null; wait "$f" 2>/dev/null
	readers_done
	ip netns del "$A"
	echo "# round $r: dev_unregistered drops so far $(( $(dev_gone) - g0 ))"
done
gone=$(( $(dev_gone) - g0 ))
sq=$(( $(squeeze) - q0 ))
tap_check frames_waiting_when_devices_went \
	"polls over budget $sq, deepest queue seen $deep frames; dev_unregistered drops $gone" \
	test "$gone" -gt 0 -a "$sq" -gt 0
sleep 0.5
tap_check backlog_empty_afterwards "frames still queued: $(qlen)" test "$(qlen)" = 0

# The path still delivers: 100 datagrams from a fresh pair.
echo "$w0" >$P/napi_weight
ip netns add "$A"; ip netns add "$B"
ip link add dga netns "$A" type veth peer name dgb netns "$B"
ip -n "$A" link set dga up
ip -n "$B" link set dgb address $MAC_B up
ip netns exec "$B" ntycat -l 7951 -c 100 -q -w 5 >/tmp/dg.$sfx &
l=$!
sleep 0.5
ip netns exec "$A" ntycat -c 100 -s 100 dga $MAC_B 7951 2>/dev/null
wait $l
tap_check path_delivers_afterwards "$(cat /tmp/dg.$sfx)" grep -q "^received 100 datagrams" /tmp/dg.$sfx
rm -f /tmp/dg.$sfx
tap_done

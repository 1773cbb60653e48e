#!/bin/bash
# CPU hotplug under NTY (review defect 13): an ntynic channel whose
# interrupt is bound to CPU 1, and an RPS map of CPU 1 alone, keep
# delivering while CPU 1 goes offline (the interrupt moves to a CPU that
# stays, as the kernel moves a dying CPU's IRQs; the backlog poll runs
# where the frame arrived) and after it comes back.  Before, the IPI to
# the offline CPU failed silently and the channel never fired again.
. "$(dirname "$0")/tap.sh"
tap_plan 4
A="ip netns exec hp-a"
B="ip netns exec hp-b"
MAC_B=02:00:00:00:02:0b
cpu1=/sys/devices/system/cpu/cpu1/online
tmp=$(mktemp -d)

ip netns del hp-a 2>/dev/null
ip netns del hp-b 2>/dev/null
ip netns add hp-a
ip netns add hp-b
ip link add ha netns hp-a type ntynic peer name hb netns hp-b
ip -n hp-a link set ha up
ip -n hp-b link set hb address $MAC_B up
$B sh -c 'echo 1 >/sys/class/net/hb/ntynic/irq_cpus'
# Room for a whole burst of page-sized NIC frames: none lost to a slow
# reader, and none to a full ring when the sender outruns the poll (a
# kernel without the debug options sends 300 before CPU 1 polls once:
# rx_ring_full).
$B sh -c 'echo 4194304 >/proc/sys/net/nty/rmem_max'
$B ethtool -G hb rx 1024
# Before 6.6 SO_RCVBUF is clamped by net.core.rmem_max instead (compat.h).
core_rmem=$(cat /proc/sys/net/core/rmem_max)
[ "$core_rmem" -ge 4194304 ] || echo 4194304 >/proc/sys/net/core/rmem_max
echo 2 >/proc/sys/net/nty/rps_cpus

# stages NS DEV: where a burst's frames were counted, for a failure's message
stages() {
	ip netns exec "$1" sh -c "ethtool -S $2 | awk '\$2 != 0 && NR > 1 {printf \"%s%s \", \$1, \$2}';
		awk 'NR == 1 { for (i = 2; i <= NF; i++) n[i] = \$i; next }
		NR == 2 { for (i = 2; i <= NF; i++) if (\$i) printf \"%s=%s \", n[i], \$i }' /proc/net/nty/snmp"
}

# burst NAME: 300 datagrams from hp-a, all of them received in hp-b.
burst() {
	$B ntycat -l 6100 -b 4194304 -c 300 -q -w 5 >"$tmp/$1" &
	local pid=$!
	sleep 0.5
	$A ntycat -c 300 -s 200 ha $MAC_B 6100 2>/dev/null
	wait $pid
	grep -q "^received 300 datagrams" "$tmp/$1" && return 0
	echo "# $1: ha $(stages hp-a ha); hb $(stages hp-b hb)"
	return 1
}

tap_check before_offline "$(cat "$tmp/before" 2>/dev/null)" burst before
echo 0 >$cpu1
tap_check cpu1_offline "cpu1 online=$(cat $cpu1)" test "$(cat $cpu1)" = 0
tap_check while_offline "$(cat "$tmp/offline" 2>/dev/null); irq_cpus $($B cat /sys/class/net/hb/ntynic/irq_cpus)" \
	burst offline
echo 1 >$cpu1
tap_check after_online "$(cat "$tmp/online" 2>/dev/null)" burst online

echo 0 >/proc/sys/net/nty/rps_cpus
echo "$core_rmem" >/proc/sys/net/core/rmem_max
ip netns del hp-a
ip netns del hp-b
rm -rf "$tmp"
tap_done

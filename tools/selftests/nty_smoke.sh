#!/bin/bash
# A short smoke of NTY on whatever kernel the VM runs (make check runs it
# on Debian's stock 6.1, scripts/stock-kernel): the module loaded for
# this kernel, a datagram round trip and a 4 MiB stream over a veth pair,
# datagrams over an ntynic pair counted by its rings, then unload and load
# again.  Every check reads the counters that prove it.
#
#   nty_smoke.sh [EXPECTED-KERNEL-RELEASE-PREFIX]
. "$(dirname "$0")/tap.sh"
tap_plan 6
want=${1:-}
ko="$NTY_MODDIR/module/nty.ko"
A="ip netns exec sm-a"
B="ip netns exec sm-b"
tmp=$(mktemp -d)
snmp() {
	ip netns exec "$1" awk -v k="$2" '/^Nty:/ && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		/^Nty:/ { for (i = 2; i <= NF; i++) if (n[i] == k) print $i }' /proc/net/nty/snmp
}

vm=$(modinfo -F vermagic "$ko" | awk '{print $1}')
tap_check loaded_for_this_kernel "running $(uname -r), nty.ko for $vm, want '$want'" \
	sh -c "grep -q '^nty ' /proc/modules && [ '$vm' = '$(uname -r)' ] && case '$vm' in '$want'*) ;; *) exit 1 ;; esac"

for n in sm-a sm-b; do
	ip netns del $n 2>/dev/null
	ip netns add $n
	# No IPv6 chatter: every frame on the links is one the test sent.
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
ip link add sa netns sm-a type veth peer name sb netns sm-b
ip -n sm-a link set sa address 02:00:00:00:05:0a up
ip -n sm-b link set sb address 02:00:00:00:05:0b up

# A round trip: a's datagram to b, b's answer to a.
$B ntycat -l 6100 -c 1 -w 20 >"$tmp/b" &
pb=$!
$A ntycat -l 6101 -c 1 -w 30 >"$tmp/a" &
pa=$!
sleep 0.5
echo ping | $A ntycat sa 02:00:00:00:05:0b 6100
wait $pb
sed 's/ping/pong/' "$tmp/b" | $B ntycat sb 02:00:00:00:05:0a 6101
wait $pa
tap_check dgram_round_trip "b got '$(cat "$tmp/b")', a got '$(cat "$tmp/a")'; InDelivers a=$(snmp sm-a InDelivers) b=$(snmp sm-b InDelivers)" \
	test "$(cat "$tmp/b")" = ping -a "$(cat "$tmp/a")" = pong \
	-a "$(snmp sm-a InDelivers)" = 1 -a "$(snmp sm-b InDelivers)" = 1

# A stream: 4 MiB, the same hash at both ends.
$B ntycat -t -q -w 60 -l 6102 >"$tmp/srv" 2>&1 &
pb=$!
sleep 0.5
$A ntycat -t -q -c 128 -s 32768 sa 02:00:00:00:05:0b 6102 >"$tmp/cli" 2>&1
wait $pb
sent=$(awk '{print $7, $10}' "$tmp/cli"); got=$(awk '{print $2, $5}' "$tmp/srv")
tap_check stream_4MiB "sent '$sent' received '$got'" \
	test "$sent" = "$got" -a "${sent%% *}" = 4194304

# An ntynic pair: datagrams through its rings, counted by its DMA and poll.
ip link add na netns sm-a type ntynic peer name nb netns sm-b
ip -n sm-a link set na address 02:00:00:00:06:0a up
ip -n sm-b link set nb address 02:00:00:00:06:0b up
in0=$(snmp sm-b InFrames); rb0=$(snmp sm-b RcvbufErrors)
$B ntycat -q -c 200 -w 10 -l 6103 >"$tmp/nic" 2>&1 &
pb=$!
sleep 0.5
$A ntycat -c 200 -s 200 na 02:00:00:00:06:0b 6103
wait $pb
dma=$($B ethtool -S nb | awk '/^ *q[0-9]+_rx_dma:/ {s += $2} END {print s + 0}')
in1=$(snmp sm-b InFrames); rb1=$(snmp sm-b RcvbufErrors)
got=$(awk '/^received/ {print $2}' "$tmp/nic")
# A reader slower than the NIC loses datagrams at its receive buffer, as
# UDP does, each counted there.
tap_check ntynic_pair "$(cat "$tmp/nic"); rx_dma $dma, InFrames +$((in1 - in0)), RcvbufErrors +$((rb1 - rb0))" \
	sh -c "grep -q ' 0 out of order' '$tmp/nic' && [ $dma -eq 200 ] && [ $((in1 - in0)) -eq 200 ] &&
		[ $((got + rb1 - rb0)) -eq 200 ]"

for n in sm-a sm-b; do ip netns del $n; done
unload() {
	for _ in $(seq 50); do
		rmmod nty 2>/dev/null && break
		sleep 0.2
	done
	! grep -q '^nty ' /proc/modules
}
tap_check unload "rmmod nty failed" unload
tap_check load_again "insmod failed: $(insmod "$ko" 2>&1)" grep -q '^nty ' /proc/modules
rm -rf "$tmp"
tap_done

#!/bin/bash
# ntynic, the NIC half of the receive path (claims C12, C13, C16, whose
# lessons are ntylab's 12, 13 and 16; the checks here go further): an
# ntynic pair between two namespaces of its own carries IPv4 (ping, a TCP
# transfer) and NTY datagrams and streams; a full RX ring drops and counts
# exactly what the packet_type handler never saw; coalescing sets how
# many hard IRQs a burst raises; RSS spreads flows over two channels, each
# channel's IRQ on the CPU it is bound to; ring, coalescing and channel
# changes under traffic lose only what the counters say; the RX buffers
# recycle through a page pool per channel; deleting the
# link or the namespace under traffic leaves nothing behind.
. "$(dirname "$0")/tap.sh"
tap_plan 17
A="ip netns exec nic-a"
B="ip netns exec nic-b"
MAC_A=02:00:00:00:01:0a
MAC_B=02:00:00:00:01:0b
tmp=$(mktemp -d)
tr=/sys/kernel/tracing

up() {
	ip netns del nic-a 2>/dev/null
	ip netns del nic-b 2>/dev/null
	ip netns add nic-a
	ip netns add nic-b
	# No IPv6 chatter: every frame on the link is one a test sent.
	for n in nic-a nic-b; do
		ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add na netns nic-a numrxqueues 2 type ntynic \
		peer name nb netns nic-b || return 1
	ip -n nic-a link set na address $MAC_A up
	ip -n nic-b link set nb address $MAC_B up
	ip -n nic-a addr add 10.77.0.1/24 dev na
	ip -n nic-b addr add 10.77.0.2/24 dev nb
}

# snap NS DEV: every counter at once, "key: value" per line: ethtool -S,
# the netdev statistics (stat_*) and the namespace's NTY snmp (snmp_*).
# One namespace entry per snapshot: each costs seconds under emulation.
snap() {
	ip netns exec "$1" sh -c "ethtool -S $2
		cd /sys/class/net/$2/statistics && grep . * | sed 's/^/stat_/; s/:/: /'
		awk '/^Nty:/ && !h { for (i = 2; i <= NF; i++) n[i] = \$i; h = 1; next }
		     /^Nty:/ { for (i = 2; i <= NF; i++) print \"snmp_\" n[i] \": \" \$i }' /proc/net/nty/snmp"
}
# get SNAP KEY; qsum SNAP NAME: NAME summed over the channels shown.
get() { awk -v k="$2:" '$1 == k {print $2}' <<<"$1"; }
qsum() {
	awk -v k="$2:" '$1 ~ /^q[0-9]+_/ { sub(/^q[0-9]+_/, "", $1); if ($1 == k) s += $2 } END {print s + 0}' <<<"$1"
}
# delta OLD NEW KEY (or q:NAME for a channel sum)
delta() {
	case $3 in
	q:*) echo $(($(qsum "$2" "${3#q:}") - $(qsum "$1" "${3#q:}"))) ;;
	*) echo $(($(get "$2" "$3") - $(get "$1" "$3"))) ;;
	esac
}

# tap_start NS DEV FILE FILTER...: tcpdump on DEV, headers only, until
# tap_stop; it is listening when this returns.  big FILE: the frames it
# saw longer than an Ethernet MTU's 1514 bytes (GRO's merged skbs).
tap_start() {
	local ns=$1 dev=$2 f=$3
	shift 3
	ip netns exec "$ns" tcpdump -i "$dev" -s 96 -U -w "$f" "$@" 2>"$f.err" &
	tap_pid=$!
	for _ in $(seq 300); do grep -q listening "$f.err" && break; sleep 0.1; done
}
tap_stop() { sleep 1; kill -INT $tap_pid; wait $tap_pid; }
big() {
	tcpdump -r "$1" -nn -e 2>/dev/null | awk '{ for (i = 1; i < NF; i++)
		if ($i == "length") { if ($(i + 1) + 0 > 1514) n++; break } }
		END { print n + 0 }'
}

up
drv=$($A ethtool -i na | awk '$1 == "driver:" {print $2}')
ch_b=$($B ethtool -l nb | awk '/Combined/ {c = $2} END {print c}')
tap_check link_pair "driver=$drv peer channels=$ch_b" \
	test "$drv" = ntynic -a "$ch_b" = 2

# IPv4 over the NIC: ping, and a TCP transfer whose hash both ends agree on.
$A ping -c 3 -i 0.2 -W 5 10.77.0.2 >"$tmp/ping" 2>&1
tap_check ipv4_ping "$(cat "$tmp/ping")" grep -q " 3 received" "$tmp/ping"

cat >"$tmp/tcp.py" <<'PY'
import hashlib, socket, sys
if sys.argv[1] == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.77.0.2", 5001)); s.listen(1); open(sys.argv[2], "w").close()
    c, _ = s.accept(); h = hashlib.sha256(); n = 0
    while True:
        b = c.recv(65536)
        if not b: break
        h.update(b); n += len(b)
    print(n, h.hexdigest())
else:
    data = bytes((i * 7 + 3) & 255 for i in range(1 << 16)) * 16
    c = socket.create_connection(("10.77.0.2", 5001)); c.sendall(data); c.close()
    print(len(data), hashlib.sha256(data).hexdigest())
PY
tap_start nic-b nb "$tmp/tcp.pcap" tcp and dst host 10.77.0.2
$B python3 "$tmp/tcp.py" server "$tmp/ready" >"$tmp/tcp.srv" &
pid=$!
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
$A python3 "$tmp/tcp.py" client >"$tmp/tcp.cli"
wait $pid
tap_stop
tap_check tcp_transfer "client $(cat "$tmp/tcp.cli") server $(cat "$tmp/tcp.srv")" \
	test -s "$tmp/tcp.cli" -a "$(cat "$tmp/tcp.cli")" = "$(cat "$tmp/tcp.srv")"

# NTY datagrams: every frame through the ring, the poll and nty_rcv.
# A ring with room for the whole burst: a kernel without the debug
# options (Debian's 6.1) sends faster than the peer's poll drains 256
# slots, and the ring drops the rest (rx_ring_full, claim C12 below).
$B ethtool -G nb rx 1024
b0=$(snap nic-b nb)
$B ntycat -l 6000 -c 500 -q -w 3 >"$tmp/sum" &
pid=$!
sleep 1
$A ntycat -c 500 -s 300 na $MAC_B 6000
wait $pid
b1=$(snap nic-b nb)
dma=$(delta "$b0" "$b1" q:rx_dma); pk=$(delta "$b0" "$b1" q:rx_packets)
in=$(delta "$b0" "$b1" snmp_InFrames); rb=$(delta "$b0" "$b1" snmp_RcvbufErrors)
full=$(delta "$b0" "$b1" q:rx_ring_full)
got=$(awk '/^received/ {print $2}' "$tmp/sum")
# A reader slower than the NIC loses datagrams at its receive buffer,
# as UDP does; each is counted there.
dgram_ok() {
	grep -q " 0 out of order" "$tmp/sum" && [ "$dma" -eq 500 ] &&
		[ "$pk" -eq 500 ] && [ "$in" -eq 500 ] && [ $((got + rb)) -eq 500 ]
}
tap_check nty_datagrams "$(cat "$tmp/sum"); dma=$dma ring_full=$full polled=$pk InFrames=$in RcvbufErrors=$rb" \
	dgram_ok

# The RX buffers come from a page pool per channel and go back to it:
# page_pool_state_hold fires for each page the pools take from the page
# allocator, and the refill of a recycled page fires nothing.  Refilling
# both channels' rings of 256 takes 512 pages; a first burst grows the
# pools to what is in flight (frames on NTY's backlog, in the socket);
# a second burst like it must then run almost on recycled pages: fewer
# than one new page for five frames, where without recycling each frame
# takes one.
pp=$tr/instances/nty_nic_pp
pp_burst() {
	$B ntycat -l 6007 -c 2000 -q -w 2 >"$tmp/sum" &
	pid=$!
	sleep 1
	$A ntycat -c 2000 -s 300 na $MAC_B 6007
	wait $pid
}
pp_held() { grep -c page_pool_state_hold $pp/trace; }
rmdir $pp 2>/dev/null
mkdir $pp
echo 1 >$pp/events/page_pool/page_pool_state_hold/enable
$B ethtool -G nb rx 256
fill=$(pp_held)
pp_burst
echo >$pp/trace
b0=$(snap nic-b nb)
pp_burst
b1=$(snap nic-b nb)
held=$(pp_held); pk=$(delta "$b0" "$b1" q:rx_packets)
echo 0 >$pp/events/page_pool/page_pool_state_hold/enable
rmdir $pp
tap_check page_pool_recycles "ring fill took $fill pages; then $pk frames polled took $held new pages ($(cat "$tmp/sum"))" \
	test "$fill" -ge 512 -a "$pk" -ge 1000 -a $((held * 5)) -lt "$pk"
$B ethtool -G nb rx 1024

# The NIC's stages in NTY's timing: 50 datagrams, each with a journey
# that starts at the ring (ring_ns) and its hard IRQ (irq_ns) before
# nty_rcv, and the NIC histograms counting each frame and each IRQ.
D=/sys/kernel/debug/nty
hist() { awk -v k="$1:" '$1 == k { s = 0; for (i = 2; i <= NF; i++) s += $i; print s }' $D/latency; }
echo 0 >$D/latency; echo 0 >$D/journeys; echo 1 >$D/timing
$B ntycat -l 6006 -c 50 -q -w 3 >"$tmp/sum" &
pid=$!
sleep 1
$A ntycat -c 50 -s 100 na $MAC_B 6006
wait $pid
echo 0 >$D/timing
jr=$(awk 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$(c["dport"]) == 6006 && $(c["ring_ns"]) > 0 { r++ }
	$(c["dport"]) == 6006 && $(c["irq_ns"]) > 0 { q++ }
	END { print r + 0, q + 0 }' $D/journeys)
hr=$(hist nic_ring_wait_ns); hi=$(hist nic_irq_to_poll_ns)
nic_timed() { [ "$jr" = "50 50" ] && [ "$hr" -eq 50 ] && [ "$hi" -gt 0 ]; }
tap_check nic_stage_times "journeys with ring/irq times: $jr; ring_wait samples $hr; irq_to_poll samples $hi" \
	nic_timed

# NTY stream: 2 MiB, the same FNV-1a at both ends.  ntynic has no
# tx-gso-list: every train the sender builds is taken apart by
# nty_gso_segment() before the device, and none arrives whole.
stream_ctr() {
	ip netns exec "$1" awk -v k="$2" '/^NtyStream:/ && !h { for (i = 2; i <= NF; i++) if ($i == k) c = i; h = 1; next }
		/^NtyStream:/ { print $c }' /proc/net/nty/snmp
}
gtr0=$(stream_ctr nic-a OutGsoTrains); gsg0=$(stream_ctr nic-a OutGsoSegmented)
gin0=$(stream_ctr nic-b InGsoTrains); gm0=$(stream_ctr nic-b InGroMerged)
gs0=$(stream_ctr nic-b InGroSegs)
a0=$(snap nic-a na); b0=$(snap nic-b nb)
sdrops() {
	echo $(($(stream_ctr nic-b DupSegs) + $(stream_ctr nic-b OutOfWindowSegs) +
		$(stream_ctr nic-b SynQueueDrops) + $(stream_ctr nic-b ListenOverflows)))
}
ndrops() {
	local k t=0
	for k in InBacklogDrops InHdrErrors InCsumErrors InNoPort InDiscards \
		RcvbufErrors SockBacklogDrops; do
		t=$((t + $(delta "$1" "$2" snmp_$k)))
	done
	echo $t
}
sd0=$(sdrops)
tap_start nic-b nb "$tmp/nty.pcap" ether proto 0x88b5 and ether src $MAC_A
$B ntycat -t -l 6001 -q -w 60 </dev/null >"$tmp/srv" &
pid=$!
sleep 1
$A ntycat -t -c 512 -s 4096 -q -w 60 na $MAC_B 6001 </dev/null >"$tmp/cli"
wait $pid
tap_stop
a1=$(snap nic-a na); b1=$(snap nic-b nb)
sd=$(($(sdrops) - sd0 + $(ndrops "$b0" "$b1")))
sent=$(awk '{print $7, $10}' "$tmp/cli"); got=$(awk '{print $2, $5}' "$tmp/srv")
gtr=$(($(stream_ctr nic-a OutGsoTrains) - gtr0))
gsg=$(($(stream_ctr nic-a OutGsoSegmented) - gsg0))
gin=$(($(stream_ctr nic-b InGsoTrains) - gin0))
gm=$(($(stream_ctr nic-b InGroMerged) - gm0))
gs=$(($(stream_ctr nic-b InGroSegs) - gs0))
tap_check nty_stream "client: $(cat "$tmp/cli") server: $(cat "$tmp/srv"); trains $gtr, segmented $gsg, arrived whole $gin" \
	test "${sent%% *}" = 2097152 -a "$sent" = "$got" -a "$gtr" -gt 0 -a "$gsg" = "$gtr" -a "$gin" = 0

# GRO (gro.c): ntynic's poll hands its frames to napi_gro_receive(), which
# merges the stream's in-order segments.  Every segment the sender sent
# is counted once at nb (InFrames), and each is delivered or counted
# dropped; the tap sees each merged skb as one frame longer than the MTU,
# as it sees TCP's merged segments on the same device; the receiver
# acknowledges merged skbs, not segments: at most one ACK per skb (a few
# more for the handshake, the FIN and window updates), where it would
# send one per two segments (delayed ACKs) if each came alone.
in=$(delta "$b0" "$b1" snmp_InFrames); out=$(delta "$a0" "$a1" snmp_OutFrames)
dl=$(delta "$b0" "$b1" snmp_InDelivers); rf=$(delta "$b0" "$b1" q:rx_ring_full)
acks=$(delta "$b0" "$b1" snmp_OutFrames)
nbig=$(big "$tmp/nty.pcap"); tbig=$(big "$tmp/tcp.pcap")
skbs=$((in - gs + gm))
msg="a sent $out frames, b: ring_full $rf, InFrames $in, InDelivers $dl, drops $sd, InGroMerged $gm carrying $gs (so $skbs skbs), tap saw $nbig NTY frames over 1514 (TCP $tbig), b sent $acks ACKs"
tap_check stream_gro "$msg" test "$gm" -gt 0 -a "$out" -eq $((in + rf)) \
	-a "$in" -eq $((dl + sd)) -a "$nbig" -eq "$gm" -a "$tbig" -gt 0 \
	-a "$acks" -le $((skbs + 64))

# One channel from here on (a full ring, claim C12, is ntylab's lesson
# 12, which runs the same burst into 64 descriptors).
$B ethtool -L nb combined 1

# Buffers the poll could not refill (fail_nic_refill) leave descriptors
# empty: the device drops there too, and the ring recovers.
f=/sys/kernel/debug/nty/fail_nic_refill
if [ -d $f ]; then
	$B ethtool -G nb rx 256
	$B ethtool -C nb rx-frames 1 rx-usecs 0
	b0=$(snap nic-b nb)
	echo 0 >$f/verbose; echo -1 >$f/times; echo 0 >$f/space; echo 0 >$f/interval
	echo 100 >$f/probability
	$A ntycat -c 400 -s 100 na $MAC_B 6002
	sleep 1
	echo 0 >$f/probability
	$A ntycat -c 100 -s 100 na $MAC_B 6002
	sleep 1
	b1=$(snap nic-b nb)
	rf=$(delta "$b0" "$b1" q:rx_refill_failures); full=$(delta "$b0" "$b1" q:rx_ring_full)
	in=$(delta "$b0" "$b1" snmp_InFrames)
	tap_check refill_failures "refill_failures=$rf ring_full=$full seen=$in (of 500)" \
		test "$rf" -gt 0 -a "$full" -gt 0 -a $((in + full)) -eq 500
else
	tap_skip refill_failures "no fault injection in this kernel (CONFIG_FAULT_INJECTION is not set)"
fi

# paced N COUNT PORT: N sends of COUNT datagrams, 50 ms apart (one
# namespace entry), so that the receiver is idle between them.
paced() {
	$A sh -c "for i in \$(seq $1); do ntycat -c $2 -s 100 na $MAC_B $3; sleep 0.05; done"
}

# C16: coalescing.  rx-frames 8 with a long timer: a burst of 800 never
# raises more than 800/8 interrupts (fewer when the poll, still busy,
# keeps the interrupt masked: NAPI's own mitigation), and every frame is
# either polled or counted as missed.
$B ethtool -C nb rx-frames 8 rx-usecs 1000000
b0=$(snap nic-b nb)
$A ntycat -c 800 -s 100 na $MAC_B 6002
sleep 2
b1=$(snap nic-b nb)
irqs=$(delta "$b0" "$b1" q:irqs); pk=$(delta "$b0" "$b1" q:rx_packets)
full=$(delta "$b0" "$b1" q:rx_ring_full)
burst_ok() { [ "$irqs" -ge 1 ] && [ "$irqs" -le 101 ] && [ $((pk + full)) -eq 800 ]; }
tap_check coalesce_burst "800 frames, rx-frames 8: $irqs IRQs, $pk polled, $full missed" \
	burst_ok

# 40 batches of 8 with rx-frames 8, one IRQ each: ntylab's lesson 16.

# rx-frames 1 and an idle receiver: one interrupt per frame.
$B ethtool -C nb rx-frames 1 rx-usecs 0
b0=$(snap nic-b nb)
paced 20 1 6002
sleep 0.5
b1=$(snap nic-b nb)
irqs=$(delta "$b0" "$b1" q:irqs); pk=$(delta "$b0" "$b1" q:rx_packets)
tap_check coalesce_one "20 spaced frames, rx-frames 1: $irqs IRQs, $pk frames" \
	test "$irqs" -eq 20 -a "$pk" -eq 20

# C13: RSS over two channels, each interrupt on the CPU it is bound to.
# rss_run CPUS: 16 flows (source ports) of 20 frames, nty_nic_irq traced.
rss_run() {
	$B sh -c "echo '$1' >/sys/class/net/nb/ntynic/irq_cpus"
	echo 0 >$tr/tracing_on; echo >$tr/trace
	echo 1 >$tr/events/nty/nty_nic_irq/enable
	echo 1 >$tr/tracing_on
	$A sh -c "for p in \$(seq 7000 7015); do ntycat -p \$p -c 20 -s 100 na $MAC_B 6003; done"
	sleep 1
	echo 0 >$tr/tracing_on
	echo 0 >$tr/events/nty/nty_nic_irq/enable
	# "queue cpu" for every IRQ of nb.
	awk '/nty_nic_irq: dev=nb / {
		match($0, /\[[0-9]+\]/); cpu = substr($0, RSTART + 1, RLENGTH - 2) + 0
		match($0, /queue=[0-9]+/); print substr($0, RSTART + 6, RLENGTH - 6), cpu }' \
		$tr/trace | sort | uniq -c >"$tmp/rss"
}
# Channel IRQs bound 0 1 spread 16 flows over both CPUs: ntylab's
# lesson 13.  Bound the other way round, each moves with its binding.
$B ethtool -L nb combined 2
rss_run "1 0"
tap_check rss_irq_rebind "IRQs by (queue cpu), bound 1 0: $(cat "$tmp/rss")" \
	test "$(awk '{print $2, $3}' "$tmp/rss" | tr '\n' ' ')" = "0 1 1 0 "

# Ring, coalescing and channel changes while 3000 datagrams flow: every
# frame sent was seen by nty_rcv or is in the receiver's counters
# (missed: ring full; dropped: flushed or sent to a closed channel).
b0=$(snap nic-b nb); a0=$(snap nic-a na)
$A ntycat -c 3000 -s 200 na $MAC_B 6004 &
pid=$!
$B sh -c 'for c in "-G nb rx 128" "-C nb rx-frames 4 rx-usecs 100" \
	"-L nb combined 1" "-G nb rx 512" "-L nb combined 2" \
	"-C nb rx-frames 1 rx-usecs 0"; do sleep 0.2; ethtool $c; done'
wait $pid
sleep 1
b1=$(snap nic-b nb); a1=$(snap nic-a na)
in=$(delta "$b0" "$b1" snmp_InFrames); miss=$(delta "$b0" "$b1" stat_rx_missed_errors)
drop=$(delta "$b0" "$b1" stat_rx_dropped); tx=$(delta "$a0" "$a1" stat_tx_packets)
tap_check reconfigure_under_traffic "sent=$tx seen=$in missed=$miss dropped=$drop" \
	test "$tx" -eq 3000 -a $((in + miss + drop)) -eq "$tx"

# Bad settings are refused with EINVAL and change nothing: coalescing
# that would never interrupt, a ring below 8 descriptors, more channels
# than the device has, an IRQ bound to a CPU that is not online or to
# something that is not a CPU.
# dash's echo ignores a failed write: /bin/echo reports it.
refused() { ! $B "$@" >/dev/null 2>&1; }
# rx-frames, RX ring, channels, IRQ CPUs, as the device reports them.
settings() {
	$B sh -c 'ethtool -c nb; ethtool -l nb; ethtool -g nb; cat /sys/class/net/nb/ntynic/irq_cpus' |
		awk '$1 == "rx-frames:" {f = $2} /^RX:/ {r = $2} /^Combined:/ {c = $2}
		     /^[0-9]+ [0-9]+$/ {i = $0} END {print f, r, c, i}'
}
bad_ok() {
	refused ethtool -C nb rx-frames 0 rx-usecs 0 &&
	refused ethtool -G nb rx 4 &&
	refused ethtool -L nb combined 9 &&
	refused sh -c '/bin/echo 4096 >/sys/class/net/nb/ntynic/irq_cpus' &&
	refused sh -c '/bin/echo "0 x" >/sys/class/net/nb/ntynic/irq_cpus' &&
	refused sh -c '/bin/echo "0 1 0" >/sys/class/net/nb/ntynic/irq_cpus' &&
	[ "$(settings)" = "1 512 2 1 0" ]
}
tap_check bad_settings "a bad setting was accepted or changed something: $(settings)" \
	bad_ok

# Hardening defect 7: a frame shorter than Ethernet's 60-byte minimum
# comes off the wire padded to it, as from a MAC (e1000e's guests see the
# same); NTY takes the datagram by its own length field, nothing counted
# bad.
et=$(cat /sys/module/nty/parameters/ethertype)
$B python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(int(sys.argv[1])))
s.bind(("nb", 0)); s.settimeout(5)
print(len(s.recv(4096)))' "$et" >"$tmp/runt.len" 2>&1 &
sniff=$!
$B ntycat -l 6010 -c 1 -q -w 5 >"$tmp/runt.rx" 2>&1 &
rx=$!
s0=$(snap nic-b nb)
sleep 1
$A ntycat -c 1 -s 4 na $MAC_B 6010 2>/dev/null
wait $sniff $rx
s1=$(snap nic-b nb)
hdr=$(delta "$s0" "$s1" snmp_InHdrErrors)
tap_check short_frame_padded "frame of a 4-byte datagram seen as $(cat "$tmp/runt.len") bytes (want 60); $(cat "$tmp/runt.rx"); InHdrErrors +$hdr" \
	test "$(cat "$tmp/runt.len")" = 60 -a "$hdr" = 0 -a -n "$(grep '^received 1 datagrams' "$tmp/runt.rx")"

# Deleting the link under traffic: both ends go, nothing is left.
$A ntycat -c 100000 -s 200 na $MAC_B 6005 >/dev/null 2>&1 &
pid=$!
sleep 1
ip -n nic-b link del nb
wait $pid
tap_check delete_under_traffic "a link survived: $(ip -n nic-a -br link; ip -n nic-b -br link)" \
	test -z "$(ip -n nic-a -br link show type ntynic; ip -n nic-b -br link show type ntynic)"

# Deleting the namespace under traffic (dellink from netns teardown).
up
$A ntycat -c 100000 -s 200 na $MAC_B 6005 >/dev/null 2>&1 &
pid=$!
sleep 1
ip netns del nic-b
wait $pid
sleep 1
tap_check netns_delete_under_traffic "na survived its peer's namespace" \
	test -z "$(ip -n nic-a -br link show type ntynic)"

ip netns del nic-a
rm -rf "$tmp"
tap_done

#!/bin/bash
# Module life cycle: no unload while a socket is open, a taken family
# refused cleanly, per-namespace /proc and sysctl, parameters in modinfo.
# Leaves nty.ko loaded, as it found it.
. "$(dirname "$0")/tap.sh"
ko="$NTY_MODDIR/module/nty.ko"
tap_plan 13

# An open socket pins the module.
ntycat -l 9 -w 30 >/dev/null &
pid=$!
sleep 1
if rmmod nty 2>/dev/null; then
	tap_not_ok rmmod_refused_with_open_socket "rmmod succeeded with a socket open"
	insmod "$ko"
else
	tap_ok rmmod_refused_with_open_socket
fi
kill $pid; wait $pid 2>/dev/null
# The closed socket is freed after an RCU grace period; then rmmod works.
rmmod_soon() {
	for _ in $(seq 50); do
		rmmod nty 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
tap_check rmmod_after_close "rmmod failed after the last close" rmmod_soon

# A family that is taken (AF_NETLINK) is refused with EEXIST, nothing left.
err=$(insmod "$ko" family=16 2>&1)
tap_check taken_family_refused "insmod family=16 did not fail: $err" \
	test -n "$err" -a ! -d /sys/module/nty
tap_check taken_family_eexist "insmod error was not EEXIST: $err" \
	grep -q "File exists" <<<"$err"
tap_check taken_family_message "no clear pr_err in the kernel log" \
	sh -c "dmesg | tail -5 | grep -q 'cannot register address family 16: already taken'"
tap_check taken_family_nothing_left "something stayed registered" \
	sh -c '[ ! -e /proc/net/nty ] && [ ! -e /proc/sys/net/nty ] && [ ! -e /sys/kernel/debug/nty ] && ! grep -q "^nty " /proc/modules'
tap_check out_of_range_family "family=99 was accepted" \
	sh -c "! insmod '$ko' family=99 2>/dev/null"

# A free family then works, and the number is readable in sysfs.
tap_check free_family_loads "insmod family=25 failed" insmod "$ko" family=25
tap_check family_param_readable "family parameter not 25" \
	grep -qx 25 /sys/module/nty/parameters/family
rmmod nty
insmod "$ko"

# A namespace made after the module loaded has its own tables.
ip netns add nty-fresh
tap_check new_netns_has_proc_and_sysctl "missing in a new namespace" \
	ip netns exec nty-fresh sh -c 'test -r /proc/net/nty/snmp && test -r /proc/net/nty/sockets && test -r /proc/net/nty/softnet && test -r /proc/sys/net/nty/somaxconn'
ip netns del nty-fresh

tap_check params_described "modinfo lacks parameter descriptions" \
	sh -c "modinfo '$ko' | grep -q '^parm: *family:.' && modinfo '$ko' | grep -q '^parm: *ethertype:.'"

# Hardening defect 7: rmmod while another driver's GRO still holds a
# merged NTY skb.  veth with GRO on receives through NAPI; with
# napi_defer_hard_irqs and a 3 s gro_flush_timeout its poll keeps the
# merged skb on its GRO list after it completes.  The offload must not
# go before that skb is completed, or napi_gro_complete() finds no
# handler and WARNs (a kernel report fails the run).  Raw stream
# segments, no socket: nothing pins the module.  netem's slots on the
# sender release the eight segments together, so that one poll merges
# them (sent one by one, each would be polled on its own).
ip netns add nty-gro-a
ip netns add nty-gro-b
ip link add ga netns nty-gro-a type veth peer name gb netns nty-gro-b
ip -n nty-gro-b link set gb address 02:00:00:00:0e:0b up
ip -n nty-gro-a link set ga up
tc -n nty-gro-a qdisc add dev ga root netem delay 1ms slot 200ms 200ms packets 8
ip netns exec nty-gro-b ethtool -K gb gro on >/dev/null
ip netns exec nty-gro-b sh -c 'echo 1 >/sys/class/net/gb/napi_defer_hard_irqs; echo 3000000000 >/sys/class/net/gb/gro_flush_timeout'
et=$(cat /sys/module/nty/parameters/ethertype)
ip netns exec nty-gro-a python3 - "$et" <<'PY'
import socket, struct, sys
et = int(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("ga", 0))
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
pay = bytes(1000)
for i in range(8):
    h = struct.pack("!BBBBHHHHIIHH", 1, 2, 2, 0, 4000, 4001, 24 + len(pay), 0,
                    1000 + i * len(pay), 1, 4096, 0)
    c = csum(h + pay)
    h = h[:10] + struct.pack("!H", c) + h[12:]
    s.send(bytes.fromhex("020000000e0b020000000e0a") + struct.pack("!H", et) + h + pay)
PY
sleep 0.5
seen=$(ip netns exec nty-gro-b awk '/^Nty:/ && !h {for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next} /^Nty:/ {for (i = 2; i <= NF; i++) if (n[i] == "InFrames") print $i}' /proc/net/nty/snmp)
t0=$SECONDS
rmmod nty
took=$((SECONDS - t0))
tap_check rmmod_waits_for_held_gro "rmmod took ${took}s (NTY had seen $seen frames before it), module still there: $(grep -c '^nty ' /proc/modules)" \
	test ! -d /sys/module/nty
sleep 4
insmod "$ko"
ip netns del nty-gro-a
ip netns del nty-gro-b
tap_check reload_after_gro_drain "insmod after the drain failed" test -d /sys/module/nty
tap_done

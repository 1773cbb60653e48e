#!/bin/bash
# Module life cycle: no unload while a socket is open, a taken family
# refused cleanly, per-namespace /proc and sysctl, parameters in modinfo.
# Leaves nty.ko loaded, as it found it.
. "$(dirname "$0")/tap.sh"
ko="$NTY_MODDIR/module/nty.ko"
tap_plan 11

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
tap_done

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * NTY: the Linux receive path, replicated stage by stage as an address
 * family of its own.  This header is the user-visible contract: the
 * family and EtherType numbers, the socket address, the wire header and
 * the socket options.  It is usable from user space as is.
 */
#ifndef _UAPI_LINUX_NTY_H
#define _UAPI_LINUX_NTY_H

#include <linux/types.h>
#include <linux/socket.h>
#include <linux/if_ether.h>

/*
 * Default address family number.  sock_register() only accepts numbers
 * below AF_MAX, so NTY takes the slot of AF_ECONET, which Linux removed in
 * 3.5 and no in-tree family implements.  The module parameter "family"
 * overrides it; the number in use is in /sys/module/nty/parameters/family.
 */
#define AF_NTY		19
#define PF_NTY		AF_NTY

/* Default EtherType: IEEE 802 local experimental.  Parameter "ethertype". */
#define ETH_P_NTY	0x88B5

/* Level for NTY's own socket options. */
#define SOL_NTY		290

/**
 * struct sockaddr_nty - an NTY endpoint
 * @snty_family: AF_NTY
 * @snty_port: NTY port, network byte order
 * @snty_ifindex: interface; 0 = any (bind only)
 * @snty_addr: MAC address; ff:ff:ff:ff:ff:ff is broadcast (datagram)
 * @snty_zero: must be zero
 */
struct sockaddr_nty {
	__kernel_sa_family_t snty_family;
	__be16		snty_port;
	int		snty_ifindex;
	unsigned char	snty_addr[ETH_ALEN];
	unsigned char	snty_zero[2];
};

/*
 * SOL_NTY socket options.
 *
 * NTY_HOLD_LOCK (int, milliseconds, at most NTY_HOLD_LOCK_MAX): setsockopt
 * holds the socket lock for that long, as a slow system call would.
 * Frames that arrive meanwhile take the socket backlog and are delivered
 * at release_sock(), which is what SockBacklogQueued counts.  It exists so
 * that the socket backlog can be watched; it interrupts on a signal.
 */
#define NTY_HOLD_LOCK		1
#define NTY_HOLD_LOCK_MAX	10000

/*
 * NTY_STAGE_TIMES (int, 0 or 1): recvmsg returns, as a control message of
 * level SOL_NTY and type NTY_STAGE_TIMES, a struct nty_stage_times: when
 * the datagram reached each stage, in CLOCK_MONOTONIC nanoseconds (compare
 * with clock_gettime(CLOCK_MONOTONIC)).  A stage a frame did not pass
 * through reads 0.  Datagrams queued before the option was set carry none.
 */
#define NTY_STAGE_TIMES		2

/**
 * struct nty_stage_times - one datagram's way through the receive path
 * @rcv: the packet_type handler (nty_rcv) took it
 * @backlog: queued on a CPU's backlog
 * @poll: taken off the backlog by the NAPI poll
 * @sock: put on the socket's backlog or receive queue
 * @copy: copied to user space by recvmsg
 */
struct nty_stage_times {
	__u64	rcv;
	__u64	backlog;
	__u64	poll;
	__u64	sock;
	__u64	copy;
};

/* Wire format: follows the Ethernet header, EtherType ETH_P_NTY. */
#define NTY_VERSION	1

/* ntyhdr.type */
enum {
	NTY_TYPE_DGRAM = 1,
	NTY_TYPE_STREAM = 2,
	__NTY_TYPE_MAX,
};

/* ntyhdr.flags (stream segments) */
#define NTY_F_SYN	0x01
#define NTY_F_ACK	0x02
#define NTY_F_FIN	0x04
#define NTY_F_RST	0x08
#define NTY_F_MASK	0x0f

/**
 * struct ntyhdr - the NTY header, 24 bytes, all fields big endian
 * @version: NTY_VERSION
 * @type: NTY_TYPE_DGRAM or NTY_TYPE_STREAM
 * @flags: NTY_F_* (stream), 0 for datagrams
 * @reserved: zero on send, ignored on receive
 * @source: source port
 * @dest: destination port
 * @len: bytes of header plus payload
 * @check: Internet checksum (RFC 1071) over header and payload, computed
 *	with this field zero
 * @seq: stream: sequence number of the first payload byte
 * @ack_seq: stream: next byte expected from the peer (with NTY_F_ACK)
 * @window: stream: free receive buffer, in bytes >> NTY_WINDOW_SHIFT
 * @reserved2: zero on send, ignored on receive
 */
struct ntyhdr {
	__u8	version;
	__u8	type;
	__u8	flags;
	__u8	reserved;
	__be16	source;
	__be16	dest;
	__be16	len;
	__sum16	check;
	__be32	seq;
	__be32	ack_seq;
	__be16	window;
	__be16	reserved2;
};

#define NTY_HLEN		24
#define NTY_WINDOW_SHIFT	4

/* Frames the receive path may carry: header plus at most 64 KiB - 1. */
#define NTY_MAX_LEN		0xffff

/*
 * ntynic link attributes (IFLA_INFO_DATA of kind "ntynic"): the peer's
 * struct ifinfomsg followed by its IFLA_* attributes, as with veth's
 * VETH_INFO_PEER, whose number it shares so that "ip link add A type
 * ntynic peer name B" can use iproute2's veth parser.
 */
enum {
	NTYNIC_INFO_UNSPEC,
	NTYNIC_INFO_PEER,
	__NTYNIC_INFO_MAX
};

#define NTYNIC_INFO_MAX	(__NTYNIC_INFO_MAX - 1)

#endif /* _UAPI_LINUX_NTY_H */

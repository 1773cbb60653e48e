// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 6, from the backlog poll to a socket: what tcp_v4_rcv() and
 * udp_rcv() do for IP.  Runs in the NAPI poll (NET_RX_SOFTIRQ), one frame at a time:
 * validate the header and checksum, learn the addresses, find the socket
 * and hand the frame to its type's receive function, which chooses among
 * the socket's queues.
 */
#include <linux/etherdevice.h>

#include "nty.h"
#include "observe.h"
#include "trace.h"

static const enum nty_drop_kind_id nty_hdr_drop[] = {
	[NTY_HDR_SHORT]		= NTY_DROP_HDR_SHORT,
	[NTY_HDR_VERSION]	= NTY_DROP_HDR_VERSION,
	[NTY_HDR_TYPE]		= NTY_DROP_HDR_TYPE,
	[NTY_HDR_LEN]		= NTY_DROP_HDR_LEN,
	[NTY_HDR_CSUM]		= NTY_DROP_CSUM,
};

/**
 * nty_protocol_rcv - protocol processing of one frame from the backlog
 * @skb: the frame, data at the NTY header; consumed
 */
void nty_protocol_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	enum nty_hdr_verdict v;
	struct sock *sk;

	nty_stamp(skb, NTY_STAMP_POLL);
	v = nty_validate_skb(skb);
	if (unlikely(v != NTY_HDR_OK)) {
		nty_drop(net, skb, nty_hdr_drop[v]);
		return;
	}

	/* The cb's ports and type are the header's, now checked. */
	skb_reset_transport_header(skb);
	__skb_pull(skb, NTY_HLEN);

	/*
	 * Past this point the frame may wait on a socket for as long as the
	 * reader likes; it must not point at a device that can go away.
	 */
	skb->dev = NULL;

	/*
	 * As tcp_v4_rcv() drops what is not PACKET_HOST: a connection is
	 * between two stations, and a SYN or a RST answered to a group
	 * address (or sent from one) would make NTY a reflector.
	 */
	if (cb->sk_type == SOCK_STREAM &&
	    (cb->bcast || !is_valid_ether_addr(cb->saddr))) {
		nty_drop(net, skb, NTY_DROP_NOT_UNICAST);
		return;
	}

	rcu_read_lock();
	if (cb->sk_type == SOCK_DGRAM && cb->bcast) {
		trace_nty_demux(skb, cb, NULL);
		if (nty_deliver_bcast(net, skb, nty_dgram_rcv))
			goto out;
	} else {
		sk = nty_lookup(net, cb);
		trace_nty_demux(skb, cb, sk);
		if (sk && sk->sk_type == SOCK_DGRAM) {
			nty_dgram_rcv(sk, skb);
			goto out;
		}
		/* A connection may be closing: hold it as TCP's lookup does. */
		if (sk && refcount_inc_not_zero(&sk->sk_refcnt)) {
			nty_stream_rcv(sk, skb);
			sock_put(sk);
			goto out;
		}
		/* No socket: a stream peer learns it from a RST (as TCP). */
		if (cb->sk_type == SOCK_STREAM)
			nty_stream_reply_rst(net, skb);
	}
	nty_drop(net, skb, NTY_DROP_NO_SOCKET);
out:
	rcu_read_unlock();
}

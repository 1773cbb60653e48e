// SPDX-License-Identifier: GPL-2.0
/*
 * From the backlog poll to a socket: what tcp_v4_rcv() and udp_rcv() do
 * for IP.  Runs in the NAPI poll (NET_RX_SOFTIRQ), one frame at a time:
 * validate the header and checksum, learn the addresses, find the socket
 * and hand the frame to its type's receive function, which chooses among
 * the socket's queues.
 */
#include <linux/etherdevice.h>

#include "nty.h"

static void nty_drop_malformed(struct net *net, struct sk_buff *skb,
			       enum nty_hdr_verdict v)
{
	enum skb_drop_reason reason;

	switch (v) {
	case NTY_HDR_CSUM:
		NTY_INC_STATS(net, IN_CSUM_ERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_UDP_CSUM);
		return;
	case NTY_HDR_VERSION:
	case NTY_HDR_TYPE:
		reason = SKB_DROP_REASON_UNHANDLED_PROTO;
		break;
	default:
		reason = SKB_DROP_REASON_PKT_TOO_SMALL;
		break;
	}
	NTY_INC_STATS(net, IN_HDR_ERRORS);
	kfree_skb_reason(skb, reason);
}

/**
 * nty_protocol_rcv - protocol processing of one frame from the backlog
 * @skb: the frame, data at the NTY header; consumed
 */
void nty_protocol_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	const struct ntyhdr *nh;
	enum nty_hdr_verdict v;
	struct sock *sk;

	v = nty_validate_skb(skb);
	if (unlikely(v != NTY_HDR_OK)) {
		nty_drop_malformed(net, skb, v);
		return;
	}

	nh = (const struct ntyhdr *)skb->data;
	cb->sport = nh->source;
	cb->dport = nh->dest;
	cb->sk_type = nh->type == NTY_TYPE_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
	cb->bcast = skb->pkt_type == PACKET_BROADCAST ||
		    skb->pkt_type == PACKET_MULTICAST;
	ether_addr_copy(cb->saddr, eth_hdr(skb)->h_source);
	skb_reset_transport_header(skb);
	__skb_pull(skb, NTY_HLEN);

	/*
	 * Past this point the frame may wait on a socket for as long as the
	 * reader likes; it must not point at a device that can go away.
	 */
	skb->dev = NULL;

	rcu_read_lock();
	if (cb->sk_type == SOCK_DGRAM && cb->bcast) {
		if (nty_deliver_bcast(net, skb, nty_dgram_rcv))
			goto out;
	} else {
		sk = nty_lookup(net, cb);
		if (sk && sk->sk_type == SOCK_DGRAM) {
			nty_dgram_rcv(sk, skb);
			goto out;
		}
	}
	NTY_INC_STATS(net, IN_NO_PORT);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
out:
	rcu_read_unlock();
}

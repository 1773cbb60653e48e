// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 4, the packet_type handler: __netif_receive_skb_core() calls
 * nty_rcv() for every frame of EtherType ETH_P_NTY, after the ETH_P_ALL
 * taps (tcpdump) have had their copy and beside ip_rcv().  It does no
 * protocol work itself: it takes ownership of the frame, counts it and
 * hands it to stage 5 (backlog.c), which queues it on a CPU's backlog or,
 * with the backlog sysctl at "rps" and no steering, runs the protocol at
 * once, as ip_rcv() is run from the NIC's own poll.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>

#include "nty.h"
#include "observe.h"
#include "trace.h"

static struct packet_type nty_packet_type;

/*
 * The frame's cb, filled here and nowhere else, as tcp_v4_fill_cb() fills
 * TCP's: the device, the sender's MAC and whether it was sent to a group,
 * and the ports and type its header claims.  The header is checked only
 * later (protocol.c); until then the ports are what steering (backlog.c)
 * and a dropped frame's journey show, and a frame too short to carry them
 * shows none.  @more: the frame came in a train and more of it follows.
 *
 * NTY addresses stations by MAC: a frame without an Ethernet header (tun
 * with packet information, GRE, an L3 device) has no sender to read, and
 * eth_hdr() would read the NTY header as one.  Return: false for those.
 */
static bool nty_fill_cb(struct sk_buff *skb, bool more)
{
	struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	const struct ntyhdr *nh;
	struct ntyhdr buf;

	/* The tail of skb->cb is struct sock_skb_cb's. */
	BUILD_BUG_ON(offsetofend(struct nty_skb_cb, d_irq) >
		     sizeof(skb->cb) - sizeof(struct sock_skb_cb));
	memset(cb, 0, offsetofend(struct nty_skb_cb, d_irq));
	cb->ifindex = skb->dev->ifindex;
	if (unlikely((skb->dev->type != ARPHRD_ETHER &&
		      skb->dev->type != ARPHRD_LOOPBACK) ||
		     !skb_mac_header_was_set(skb) ||
		     skb_mac_header_len(skb) < ETH_HLEN))
		return false;
	ether_addr_copy(cb->saddr, eth_hdr(skb)->h_source);
	cb->bcast = skb->pkt_type == PACKET_BROADCAST ||
		    skb->pkt_type == PACKET_MULTICAST;
	cb->gso_more = more;
	nh = skb_header_pointer(skb, 0, sizeof(buf), &buf);
	if (nh) {
		cb->sport = nh->source;
		cb->dport = nh->dest;
		cb->sk_type = nh->type == NTY_TYPE_DGRAM ? SOCK_DGRAM :
							   SOCK_STREAM;
	}
	return true;
}

/*
 * One frame, on its own or out of a train (@more: the train goes on), or
 * several segments merged into one skb (gro.c): InFrames counts segments.
 */
static int nty_rcv_frame(struct net *net, struct sk_buff *skb, bool more)
{
	unsigned int segs = nty_skb_segs(skb);

	NTY_ADD_STATS(net, IN_FRAMES, segs);
	if (segs > 1) {
		NTY_INC_STATS(net, IN_GRO_MERGED);
		NTY_ADD_STATS(net, IN_GRO_SEGS, segs);
	}

	/* A tap may share this skb; the backlog needs one of its own. */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb)) {
		/* Freed by skb_share_check(); counted here. */
		NTY_ADD_STATS(net, IN_DISCARDS, segs);
		return NET_RX_DROP;
	}
	if (unlikely(!nty_fill_cb(skb, more))) {
		nty_drop(net, skb, NTY_DROP_NOT_ETHER);
		return NET_RX_DROP;
	}
	trace_nty_rcv(skb);
	if (nty_timing_on())
		nty_stamp_rcv(skb);

	/* Frames for another host: a promiscuous tap saw them, we do not. */
	if (unlikely(skb->pkt_type == PACKET_OTHERHOST ||
		     skb->pkt_type == PACKET_OUTGOING)) {
		nty_drop(net, skb, NTY_DROP_OTHERHOST);
		return NET_RX_DROP;
	}

	return nty_backlog_rcv(skb);
}

/*
 * A train (gso.c) that a device forwarded whole: taken apart, as
 * udp_rcv_segment() takes a GRO train apart, then its runs of in-order
 * segments merged as GRO merges them (gro.c), so that a stream takes the
 * train as TCP takes a GSO skb from veth: one segment per run, one ACK.
 * What does not merge goes on one by one; the journey of each skb starts
 * here.
 */
static int nty_rcv_train(struct net *net, struct sk_buff *skb)
{
	unsigned int n = skb_shinfo(skb)->gso_segs;
	struct sk_buff *segs, *next;

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb))
		goto drop;
	segs = nty_gso_split(skb);
	if (IS_ERR(segs)) {
		kfree_skb(skb);
		goto drop;
	}
	NTY_INC_STATS(net, IN_GSO_TRAINS);
	consume_skb(skb);
	for (segs = nty_gro_train(segs); segs; segs = next) {
		next = segs->next;
		segs->next = NULL;
		nty_rcv_frame(net, segs, next);
	}
	return NET_RX_SUCCESS;

drop:
	/* Out of memory: every segment is a frame that arrived and is lost. */
	NTY_ADD_STATS(net, IN_FRAMES, n);
	NTY_ADD_STATS(net, IN_DISCARDS, n);
	return NET_RX_DROP;
}

static int nty_rcv(struct sk_buff *skb, struct net_device *dev,
		   struct packet_type *pt, struct net_device *orig_dev)
{
	struct net *net = dev_net(dev);

	/*
	 * Any other GSO frame (a packet socket's virtio header can make one;
	 * an XDP program on the way may have copied a train flat) is a
	 * single frame, whose header must then cover it all, or it is
	 * dropped and counted as a bad length.
	 */
	if (unlikely(nty_gso_is_train(skb)))
		return nty_rcv_train(net, skb);
	return nty_rcv_frame(net, skb, false);
}

/**
 * nty_input_init - hook nty_rcv() under the EtherType in use
 *
 * A packet_type with no device receives on every interface of every
 * namespace.
 *
 * Return: 0.
 */
int nty_input_init(void)
{
	nty_packet_type.type = nty_ethertype_be;
	nty_packet_type.func = nty_rcv;
	dev_add_pack(&nty_packet_type);
	return 0;
}

/**
 * nty_input_exit - unhook nty_rcv(); no call runs once this returns
 */
void nty_input_exit(void)
{
	dev_remove_pack(&nty_packet_type);
}

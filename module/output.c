// SPDX-License-Identifier: GPL-2.0
/*
 * The way out: every NTY frame, datagram or stream segment, data or
 * control, leaves through nty_output(), as every phonet frame leaves
 * through pn_skb_send() and every CAN frame through can_send().  It puts
 * on the Ethernet header, leaves the frame its flow's hash, has the
 * checksum done where the device cannot, hands it to the device and
 * counts the outcome; nty_output_failed() counts a frame that could not
 * be built.  OutFrames and OutDrops move in one function, here.
 */
#include <linux/etherdevice.h>
#include <linux/jhash.h>

#include "nty.h"

/* The counters of a send: @n frames (a train of them when @n > 1). */
static void nty_count_out(struct net *net, unsigned int n, int err)
{
	if (err) {
		NTY_ADD_STATS(net, OUT_DROPS, n);
		return;
	}
	NTY_ADD_STATS(net, OUT_FRAMES, n);
	if (n > 1)
		NTY_INC_STATS(net, OUT_GSO_TRAINS);
}

/*
 * A flow's hash, left on the frame as TCP leaves sk_txhash (PKT_HASH_TYPE_L4):
 * the device's transmit queue is chosen by it, and a device whose wire is
 * memory (ntynic, veth) may carry it to the receiver's RSS, as virtio-net's
 * hash report does.  Both MACs and both ports, so that every flow keeps to
 * one queue.
 */
static void nty_set_flow_hash(struct sk_buff *skb, const struct net_device *dev,
			      const u8 *daddr)
{
	const u8 *saddr = dev->dev_addr;
	const struct ntyhdr *nh;
	struct ntyhdr buf;
	u32 ports = 0;

	/* At the NTY header; a train's is its first segment's (frag_list). */
	nh = skb_header_pointer(skb, 0, sizeof(buf), &buf);
	if (nh)
		ports = (__force u32)nh->source << 16 | (__force u32)nh->dest;
	skb_set_hash(skb,
		     jhash_3words(get_unaligned((const u32 *)saddr) ^
				  get_unaligned((const u32 *)daddr),
				  get_unaligned((const u16 *)(saddr + 4)) ^
				  get_unaligned((const u16 *)(daddr + 4)),
				  ports, 0),
		     PKT_HASH_TYPE_L4);
}

/**
 * nty_output_dev - send a built frame on @dev
 * @net: the namespace, whose counters move
 * @skb: the frame, its network header at a whole NTY header; consumed
 * @dev: the device, referenced or RCU protected by the caller
 * @daddr: the destination MAC
 * @n: frames @skb carries (a train's segments), for the counters
 *
 * Return: 0, or a negative errno (the frames are counted in OutDrops).
 */
int nty_output_dev(struct net *net, struct sk_buff *skb,
		   struct net_device *dev, const u8 *daddr, unsigned int n)
{
	int err = -ENETDOWN;

	if (!(dev->flags & IFF_UP))
		goto drop;
	skb->protocol = nty_ethertype_be;
	skb->dev = dev;
	nty_set_flow_hash(skb, dev, daddr);
	err = -EINVAL;
	if (dev_hard_header(skb, dev, ntohs(nty_ethertype_be), daddr, NULL,
			    skb->len) < 0)
		goto drop;
	err = nty_csum_for_dev(skb, dev);
	if (err)
		goto drop;
	err = dev_queue_xmit(skb);
	if (err > 0)
		err = net_xmit_errno(err);
	nty_count_out(net, n, err);
	return err;

drop:
	nty_count_out(net, n, err);
	kfree_skb(skb);
	return err;
}

/**
 * nty_output - send a built frame on the interface @ifindex
 * @net: the namespace
 * @skb: the frame; consumed
 * @ifindex: the interface
 * @daddr: the destination MAC
 * @n: frames @skb carries
 *
 * Return: as nty_output_dev(); -ENETDOWN when there is no such interface.
 */
int nty_output(struct net *net, struct sk_buff *skb, int ifindex,
	       const u8 *daddr, unsigned int n)
{
	struct net_device *dev;
	int err;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	if (dev) {
		err = nty_output_dev(net, skb, dev, daddr, n);
	} else {
		err = -ENETDOWN;
		nty_count_out(net, n, err);
		kfree_skb(skb);
	}
	rcu_read_unlock();
	return err;
}

/**
 * nty_output_failed - count frames a send could not build
 * @net: the namespace
 * @n: frames lost
 * @err: why, a negative errno
 */
void nty_output_failed(struct net *net, unsigned int n, int err)
{
	nty_count_out(net, n, err);
}

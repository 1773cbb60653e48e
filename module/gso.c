// SPDX-License-Identifier: GPL-2.0
/*
 * Segmentation offload, as GSO is for TCP: on the send side before the
 * device, and at stage 4 for a train a device forwarded whole.
 *
 * A push with several stream segments ready hands the device one skb, a
 * train: an empty carrier (the Ethernet header only) whose frag_list holds
 * the segments, each a whole NTY frame short of its Ethernet header,
 * marked SKB_GSO_FRAGLIST.  A device with tx-gso-list (veth) forwards the
 * train whole, so one dev_queue_xmit(), one netif_rx() and one pass of
 * __netif_receive_skb() carry up to 64 KB, and nty_rcv() takes the train
 * apart on arrival, as udp_rcv_segment() does.  For any other device,
 * validate_xmit_skb() calls nty_gso_segment(), our packet_offload, and the
 * device sees ordinary frames.  `ethtool -K DEV gso off` stops trains for
 * DEV; `tx-gso-list off` has the stack segment them.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>

#include "nty.h"

static struct packet_offload nty_packet_offload;

/**
 * nty_gso_seg_init - give a segment of a train the carrier's link header
 * @seg: the segment, data at its NTY header
 * @carrier: the train's carrier, with its Ethernet header
 *
 * The header goes into @seg's own headroom, which belongs to the frame in
 * flight (nty_stream_xmit() copies a segment rather than clone it while an
 * earlier clone lives); @seg's data stays at the NTY header.
 */
static void nty_gso_seg_init(struct sk_buff *seg,
			     const struct sk_buff *carrier)
{
	memcpy(seg->data - ETH_HLEN, skb_mac_header(carrier), ETH_HLEN);
	skb_set_mac_header(seg, -ETH_HLEN);
	skb_reset_network_header(seg);
	seg->mac_len = ETH_HLEN;
	seg->dev = carrier->dev;
	seg->protocol = carrier->protocol;
	seg->pkt_type = carrier->pkt_type;
	seg->priority = carrier->priority;
	seg->mark = carrier->mark;
	seg->skb_iif = carrier->skb_iif;
	skb_set_queue_mapping(seg, skb_get_queue_mapping(carrier));
}

/**
 * nty_gso_split - take a train apart
 * @carrier: the train; left an empty frame for the caller to free
 *
 * As skb_segment_list(): the carrier is made private first, since a tap
 * may hold a clone that shares its frag_list, and a segment a tap still
 * holds is cloned.
 *
 * Return: the segments linked by ->next, the first one's ->prev at the
 * last (validate_xmit_skb_list() appends after it), data at their NTY
 * header, each with the carrier's Ethernet header in front; or an
 * ERR_PTR, everything freed but the carrier.
 */
struct sk_buff *nty_gso_split(struct sk_buff *carrier)
{
	struct sk_buff *seg, *next, *segs = NULL, **tail = &segs;
	struct sk_buff *clone;

	if (skb_unclone(carrier, GFP_ATOMIC))
		return ERR_PTR(-ENOMEM);
	seg = skb_shinfo(carrier)->frag_list;
	skb_shinfo(carrier)->frag_list = NULL;
	for (; seg; seg = next) {
		next = seg->next;
		carrier->len -= seg->len;
		carrier->data_len -= seg->len;
		carrier->truesize -= min(seg->truesize, carrier->truesize);
		if (skb_shared(seg)) {
			/*
			 * A tap's clone of the carrier still links it into
			 * its own frag_list: its ->next is not ours to touch.
			 */
			clone = skb_clone(seg, GFP_ATOMIC);
			consume_skb(seg);
			seg = clone;
		} else {
			seg->next = NULL;
		}
		if (unlikely(!seg || skb_headroom(seg) < ETH_HLEN)) {
			kfree_skb(seg);
			kfree_skb_list(next);
			kfree_skb_list(segs);
			skb_gso_reset(carrier);
			return ERR_PTR(-ENOMEM);
		}
		nty_gso_seg_init(seg, carrier);
		*tail = seg;
		tail = &seg->next;
		/* As skb_segment() leaves it: the head's ->prev is the tail. */
		segs->prev = seg;
	}
	skb_gso_reset(carrier);
	return segs;
}
EXPORT_SYMBOL_IF_KUNIT(nty_gso_split);

/*
 * The packet_offload callback: validate_xmit_skb() calls it for a train
 * the device cannot take whole.  @skb's data is at the NTY header's place
 * (skb_mac_gso_segment() pulled the Ethernet header); the frames returned
 * start at their Ethernet header, checksummed here when the device
 * cannot, as __udp_gso_segment_list() does, or when it would pass the
 * partial checksum on in a virtio-net header (nty_csum_for_dev()).
 */
static struct sk_buff *nty_gso_segment(struct sk_buff *skb,
				       netdev_features_t features)
{
	struct net *net = dev_net(skb->dev);
	struct sk_buff *segs, *seg;

	/* A merged skb (gro.c) forwarded here: its segments, summed. */
	if (!nty_gso_is_train(skb))
		return nty_skb_segs(skb) > 1 ? nty_gro_segment(skb) :
					       ERR_PTR(-EINVAL);
	segs = nty_gso_split(skb);
	if (IS_ERR(segs))
		return segs;
	for (seg = segs; seg; seg = seg->next) {
		__skb_push(seg, ETH_HLEN);
		if (seg->ip_summed == CHECKSUM_PARTIAL &&
		    nty_csum_needs_help(skb->dev, features) &&
		    skb_checksum_help(seg)) {
			kfree_skb_list(segs);
			return ERR_PTR(-EINVAL);
		}
	}
	NTY_INC_STATS(net, OUT_GSO_SEGMENTED);
	return segs;
}

/**
 * nty_gso_train - hang a list of frames on a carrier
 * @carrier: an empty skb, headroom for the link header, ip_summed set
 * @segs: the segments, linked by ->next, data at their NTY header
 * @n: how many
 * @mss: payload bytes of a full segment
 */
void nty_gso_train(struct sk_buff *carrier, struct sk_buff *segs,
		   unsigned int n, unsigned int mss)
{
	struct skb_shared_info *shinfo = skb_shinfo(carrier);
	struct sk_buff *seg;

	shinfo->frag_list = segs;
	for (seg = segs; seg; seg = seg->next) {
		carrier->len += seg->len;
		carrier->data_len += seg->len;
		carrier->truesize += seg->truesize;
	}
	shinfo->gso_size = mss;
	shinfo->gso_segs = n;
	shinfo->gso_type = SKB_GSO_FRAGLIST;
}
EXPORT_SYMBOL_IF_KUNIT(nty_gso_train);

/**
 * nty_gso_init - register the offload under the EtherType in use
 */
void nty_gso_init(void)
{
	nty_packet_offload.type = nty_ethertype_be;
	nty_packet_offload.priority = 0;
	nty_packet_offload.callbacks.gso_segment = nty_gso_segment;
	nty_gro_init(&nty_packet_offload);
	dev_add_offload(&nty_packet_offload);
}

/**
 * nty_gso_exit - unregister it; no callback runs once this returns
 *
 * Merged skbs that drivers' GRO lists still hold are completed through
 * the offload first (nty_gro_drain()).
 */
void nty_gso_exit(void)
{
	nty_gro_drain();
	dev_remove_offload(&nty_packet_offload);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The wire format, which stage 6 checks: the NTY header is built and
 * checked here and nowhere else.  The checks are pure functions of the header and the frame
 * length so that KUnit can drive every error class without a socket.
 */
#include <linux/export.h>
#include <linux/skbuff.h>
#include <net/checksum.h>

#include "nty.h"

/**
 * nty_csum - Internet checksum of a linear buffer
 * @buf: header followed by payload
 * @len: bytes
 *
 * Return: the folded ones' complement sum; 0 when @buf holds a header whose
 * check field is correct.
 */
__sum16 nty_csum(const void *buf, unsigned int len)
{
	return csum_fold(csum_partial(buf, len, 0));
}
EXPORT_SYMBOL_IF_KUNIT(nty_csum);

/**
 * nty_csum_partial - leave the checksum to the device, as TCP and UDP do
 * @skb: an outgoing frame, its network header at an NTY header whose check
 *	field is 0 (nty_build_header())
 *
 * CHECKSUM_PARTIAL over the NTY header and payload.  NTY has no pseudo
 * header, so the seed in the check field is 0 and any NETIF_F_HW_CSUM
 * device can fill it in.  veth and loopback keep it unsummed and the
 * receiver trusts it (skb_csum_unnecessary()): the frame never left
 * memory.  For a device without NETIF_F_HW_CSUM (ntynic, whose "DMA" has
 * no checksum engine) validate_xmit_skb() sums it in software with
 * skb_checksum_help().  `ethtool -K DEV tx off` shows the difference.
 * Every other device gets it summed before it is queued
 * (nty_csum_for_dev()).
 */
void nty_csum_partial(struct sk_buff *skb)
{
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_network_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct ntyhdr, check);
}
EXPORT_SYMBOL_IF_KUNIT(nty_csum_partial);

/*
 * Only where the frame stays in memory does a partial checksum reach an
 * NTY receiver intact (loopback, veth).  Anywhere else it is summed here:
 * a virtio-net header describes only a checksum that starts past an IPv4
 * header's 20 bytes (virtio_net_hdr_to_skb() rejects a csum_start below
 * that), and NTY's starts right after the Ethernet header, so tun, tap
 * and virtio-net would drop the frame, on either side of the wire.
 */
static bool nty_dev_keeps_partial(const struct net_device *dev)
{
	return (dev->flags & IFF_LOOPBACK) ||
	       (dev->rtnl_link_ops && !strcmp(dev->rtnl_link_ops->kind, "veth"));
}

/**
 * nty_csum_for_dev - sum a partial frame now unless @dev may keep it so
 * @skb: an outgoing frame (nty_csum_partial()), or a train of them
 * @dev: the device it is about to be queued on
 *
 * A train is left alone: nty_gso_segment() sums each of its frames when
 * the device cannot take the train whole.
 *
 * Return: 0, or skb_checksum_help()'s error.
 */
int nty_csum_for_dev(struct sk_buff *skb, const struct net_device *dev)
{
	if (skb->ip_summed != CHECKSUM_PARTIAL || skb_is_gso(skb) ||
	    nty_dev_keeps_partial(dev))
		return 0;
	return skb_checksum_help(skb);
}

/**
 * nty_csum_needs_help - whether nty_gso_segment() must sum a frame
 * @dev: the device
 * @features: what the device can do for this frame
 *
 * Return: true unless the device sums it and keeps it in memory.
 */
bool nty_csum_needs_help(const struct net_device *dev,
			 netdev_features_t features)
{
	return !(features & NETIF_F_HW_CSUM) || !nty_dev_keeps_partial(dev);
}

/**
 * nty_build_header - fill in an NTY header, checksum left for the caller
 * @nh: the header, followed in memory by nothing the caller has not set
 * @type: NTY_TYPE_*
 * @flags: NTY_F_* (stream only)
 * @sport: source port, network order
 * @dport: destination port, network order
 * @len: header plus payload bytes
 *
 * The check field is zeroed, the seed nty_csum_partial() needs: the
 * device (or skb_checksum_help()) sums header and payload on the way out.
 */
void nty_build_header(struct ntyhdr *nh, u8 type, u8 flags, __be16 sport,
		      __be16 dport, unsigned int len)
{
	memset(nh, 0, sizeof(*nh));
	nh->version = NTY_VERSION;
	nh->type = type;
	nh->flags = flags;
	nh->source = sport;
	nh->dest = dport;
	nh->len = htons(len);
}
EXPORT_SYMBOL_IF_KUNIT(nty_build_header);

/**
 * nty_check_header - validate the fixed fields of a header
 * @nh: the header
 * @frame_len: bytes the link layer delivered after the Ethernet header
 *
 * Ethernet pads short frames to 60 bytes, so a frame may be longer than
 * the header says, but only by padding; any other disagreement between
 * @nh->len and @frame_len is an error.
 *
 * Return: NTY_HDR_OK or the first error class found.
 */
enum nty_hdr_verdict nty_check_header(const struct ntyhdr *nh,
				      unsigned int frame_len)
{
	unsigned int len;

	if (frame_len < NTY_HLEN)
		return NTY_HDR_SHORT;
	if (nh->version != NTY_VERSION)
		return NTY_HDR_VERSION;
	if (nh->type == 0 || nh->type >= __NTY_TYPE_MAX)
		return NTY_HDR_TYPE;
	len = ntohs(nh->len);
	if (len < NTY_HLEN || len > frame_len)
		return NTY_HDR_LEN;
	if (len < frame_len && frame_len > ETH_ZLEN - ETH_HLEN)
		return NTY_HDR_LEN;
	return NTY_HDR_OK;
}
EXPORT_SYMBOL_IF_KUNIT(nty_check_header);

/**
 * nty_validate_skb - validate a received frame and trim Ethernet padding
 * @skb: frame with skb->data at the NTY header
 *
 * On success the header is in the linear area, the skb is exactly
 * @nh->len bytes long and its checksum has been verified (with the
 * device's CHECKSUM_COMPLETE sum when it supplied one).
 *
 * Return: NTY_HDR_OK or the error class.
 */
enum nty_hdr_verdict nty_validate_skb(struct sk_buff *skb)
{
	const struct ntyhdr *nh;
	enum nty_hdr_verdict v;

	if (!pskb_may_pull(skb, NTY_HLEN))
		return NTY_HDR_SHORT;
	nh = (const struct ntyhdr *)skb->data;
	v = nty_check_header(nh, skb->len);
	if (v != NTY_HDR_OK)
		return v;
	if (pskb_trim_rcsum(skb, ntohs(nh->len)))
		return NTY_HDR_LEN;
	if (skb_checksum_simple_validate(skb))
		return NTY_HDR_CSUM;
	return NTY_HDR_OK;
}
EXPORT_SYMBOL_IF_KUNIT(nty_validate_skb);

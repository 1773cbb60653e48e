// SPDX-License-Identifier: GPL-2.0
/*
 * Receive offload for streams, as GRO is for TCP: consecutive in-order
 * segments of one connection become one skb, so that every stage after
 * the NIC's poll (the packet_type handler, the backlog, demux, the socket
 * queues, the wake-up and the copy) is paid once per burst rather than
 * once per segment, and the receiver sends one ACK for it.
 *
 * Two ways in, one shape out:
 *  - a driver's NAPI poll hands frames to napi_gro_receive() (ntynic,
 *    virtio-net, e1000e); dev_gro_receive() finds our packet_offload by
 *    EtherType and calls nty_gro_receive() for each frame, then
 *    nty_gro_complete() for each merged skb when the poll flushes;
 *  - a train (gso.c) that veth forwarded whole reaches nty_rcv() at
 *    once, and nty_gro_train() merges its segments there, as TCP takes a
 *    GSO skb from veth as one segment.
 *
 * What merges (tcp_gro_receive()'s rules, for NTY's header): stream
 * segments of the same MACs and ports, with payload, flags exactly ACK (a
 * SYN, FIN or RST goes up on its own, after what was held for its flow),
 * a checksum that verifies, no padding, the same ack_seq and window, each
 * starting where the last ended, none longer than the first, and a short
 * one ends the burst.  At most NTY_GSO_MAX_SEGS segments and
 * NTY_MAX_LEN bytes, so that the merged header's len still holds it.
 *
 * The merged skb is the first segment with the others' payload on its
 * frag_list (the fraglist flavour of GRO, skb_gro_receive_list()); each
 * member keeps its own header in its headroom; a small payload is copied
 * into the first segment's tailroom instead.  Its header's len is
 * rewritten to cover the whole, its checksum is known good
 * (CHECKSUM_UNNECESSARY), and it is marked SKB_GSO_FRAGLIST with
 * gso_segs segments of gso_size bytes: the counters of every stage count
 * those segments (nty_skb_segs()), and a tap sees one frame longer than
 * the MTU, as it does for TCP's GRO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <net/gro.h>

#include "nty.h"

/*
 * A merged skb may wait on a driver's GRO list well after its poll: until
 * the next poll, or gro_flush_timeout later (napi_defer_hard_irqs).  If
 * the offload were gone by then, napi_gro_complete() would find no
 * gro_complete for it and WARN.  So each merged skb is counted while it
 * is held (nty_gro_held), from its first merge until nty_gro_complete(),
 * or until it is freed without completion (a device deleted with its
 * GRO lists), which its destructor notices; and at unload
 * (nty_gro_drain()) GRO first stops holding anything, then waits for the
 * count to reach zero before the offload goes.
 */
static atomic_t nty_gro_held = ATOMIC_INIT(0);
static bool nty_gro_stopping;

static void nty_gro_held_destructor(struct sk_buff *skb)
{
	atomic_dec(&nty_gro_held);
}

/*
 * Whether a frame can be part of a merged skb at all: a stream segment
 * with payload and nothing but ACK, whose header covers exactly the frame
 * (@frame_len bytes from its NTY header).
 */
static bool nty_gro_candidate(const struct ntyhdr *nh, unsigned int frame_len)
{
	return nh->version == NTY_VERSION && nh->type == NTY_TYPE_STREAM &&
	       nh->flags == NTY_F_ACK && ntohs(nh->len) > NTY_HLEN &&
	       ntohs(nh->len) == frame_len;
}

/*
 * Whether @nh continues the merged skb whose first header is @first,
 * which holds @held payload bytes in @segs segments of at most @mss.
 */
static bool nty_gro_follows(const struct ntyhdr *first, unsigned int held,
			    unsigned int segs, unsigned int mss,
			    const struct ntyhdr *nh)
{
	unsigned int payload = ntohs(nh->len) - NTY_HLEN;

	return nh->ack_seq == first->ack_seq && nh->window == first->window &&
	       ntohl(nh->seq) == ntohl(first->seq) + held &&
	       payload <= mss && segs < NTY_GSO_MAX_SEGS &&
	       NTY_HLEN + held + payload <= NTY_MAX_LEN;
}

/*
 * Add @skb, data at its NTY header (linear), to @p, whose last member is
 * @last.  A payload that fits in @p's own tailroom, while @p is still one
 * linear buffer, is copied there (a small segment's skb costs a kilobyte
 * of buffer for its few bytes, and a linear skb can still be coalesced
 * on the socket); any other is hung on @p's frag_list, as
 * skb_gro_receive_list() does: its header pulled but kept in its
 * headroom.  Return: true when the payload was copied and @skb is the
 * caller's to free.
 */
static bool nty_gro_append(struct sk_buff *p, struct sk_buff *last,
			   struct sk_buff *skb)
{
	unsigned int payload = skb->len - NTY_HLEN;

	if (last == p && !skb_shinfo(p)->nr_frags && !skb_cloned(p) &&
	    skb_tailroom(p) >= payload &&
	    !skb_copy_bits(skb, NTY_HLEN, skb_tail_pointer(p), payload)) {
		__skb_put(p, payload);
		return true;
	}
	__skb_pull(skb, NTY_HLEN);
	if (last == p)
		skb_shinfo(p)->frag_list = skb;
	else
		last->next = skb;
	skb->next = NULL;
	/* Ownership, if any, goes with the merged skb (as in GRO). */
	skb->destructor = NULL;
	skb->sk = NULL;
	p->len += skb->len;
	p->data_len += skb->len;
	p->truesize += skb->truesize;
	skb_shinfo(p)->flags |= skb_shinfo(skb)->flags & SKBFL_SHARED_FRAG;
	return false;
}

/*
 * Mark a merged skb: its header's len covers all of it (@nh at its NTY
 * header, @len bytes from there), its checksum was checked segment by
 * segment, and it carries @segs segments of @mss.
 */
static void nty_gro_finish(struct sk_buff *skb, struct ntyhdr *nh,
			   unsigned int len, unsigned int segs,
			   unsigned int mss)
{
	nh->len = htons(len);
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = 0;
	skb_shinfo(skb)->gso_type = SKB_GSO_FRAGLIST;
	skb_shinfo(skb)->gso_size = mss;
	skb_shinfo(skb)->gso_segs = segs;
}

/*
 * The packet_offload's gro_receive: @skb's data is at the NTY header
 * (eth_type_trans() pulled the Ethernet header, skb_gro_offset() says
 * where it starts); @head holds the skbs this poll keeps back, each
 * already through here.  Return: the held skb to complete now, or NULL.
 */
static struct sk_buff *nty_gro_receive(struct list_head *head,
				       struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb), payload, mss;
	const struct ntyhdr *nh, *nh2;
	struct sk_buff *pp = NULL, *p;
	bool candidate;
	int flush = 1;

	nh = skb_gro_header(skb, off + NTY_HLEN, off);
	if (unlikely(!nh))
		goto out;
	/*
	 * Where our header starts, for when this skb is held: with a VLAN
	 * tag in band, vlan_gro_receive() calls us past the tag without
	 * moving the network header there (inet_gro_receive() records its
	 * own offset the same way).
	 */
	skb_set_network_header(skb, off);
	candidate = nty_gro_candidate(nh, skb_gro_len(skb)) &&
		    !READ_ONCE(nty_gro_stopping) &&
		    !skb_gro_checksum_simple_validate(skb);

	/* The flow's held skb, which must go up before this frame. */
	list_for_each_entry(p, head, list) {
		if (!NAPI_GRO_CB(p)->same_flow)
			continue;
		nh2 = (const struct ntyhdr *)skb_network_header(p);
		if (nh2->type != nh->type || nh2->source != nh->source ||
		    nh2->dest != nh->dest) {
			NAPI_GRO_CB(p)->same_flow = 0;
			continue;
		}
		goto found;
	}
	p = NULL;
	if (!candidate)
		goto out;
	/* The first of a burst: held (gso_size becomes its payload). */
	skb_gro_pull(skb, NTY_HLEN);
	flush = 0;
	goto out;

found:
	if (!candidate) {
		/* A SYN, FIN, RST, bad frame or pure ACK: after the burst. */
		pp = p;
		goto out;
	}
	skb_gro_pull(skb, NTY_HLEN);
	payload = skb_gro_len(skb);
	mss = skb_shinfo(p)->gso_size;
	if (!nty_gro_follows(nh2, skb_gro_len(p), NAPI_GRO_CB(p)->count, mss,
			     nh) ||
	    NAPI_GRO_CB(skb)->flush || !pskb_may_pull(skb, off + NTY_HLEN)) {
		/* Not the next: the held one goes up, this one is held. */
		NAPI_GRO_CB(skb)->same_flow = 0;
		pp = p;
		flush = 0;
		goto out;
	}
	/* Its headers are linear now (pskb_may_pull() above). */
	if (off)
		__skb_pull(skb, off);
	if (NAPI_GRO_CB(p)->count == 1 && !p->destructor) {
		/* Merged from now on: counted until completed or freed. */
		atomic_inc(&nty_gro_held);
		p->destructor = nty_gro_held_destructor;
	}
	if (nty_gro_append(p, NAPI_GRO_CB(p)->last, skb))
		NAPI_GRO_CB(skb)->free = NAPI_GRO_FREE;
	else
		NAPI_GRO_CB(p)->last = skb;
	NAPI_GRO_CB(p)->count++;
	NAPI_GRO_CB(skb)->same_flow = 1;
	/* A short segment ends the burst, as a full one may not follow. */
	flush = payload < mss || NAPI_GRO_CB(p)->count >= NTY_GSO_MAX_SEGS;
	if (flush)
		pp = p;
	flush = 0;
out:
	skb_gro_flush_final(skb, pp, flush);
	return pp;
}

/*
 * The packet_offload's gro_complete, for a merged skb (napi_gro_complete()
 * calls it only when more than one segment was merged); @nhoff: where its
 * NTY header starts.
 */
static int nty_gro_complete(struct sk_buff *skb, int nhoff)
{
	struct ntyhdr *nh = (struct ntyhdr *)(skb->data + nhoff);

	if (skb->destructor == nty_gro_held_destructor) {
		skb->destructor = NULL;
		atomic_dec(&nty_gro_held);
	}
	nty_gro_finish(skb, nh, skb->len - nhoff, NAPI_GRO_CB(skb)->count,
		       skb_shinfo(skb)->gso_size);
	return 0;
}

/**
 * nty_gro_train - merge a train's segments as GRO would have
 * @segs: the segments nty_gso_split() made of a train, linked by ->next,
 *	data at their NTY headers
 *
 * Runs of segments that nty_gro_receive() would have merged become one
 * skb each; a segment that may not merge (a FIN, a bad checksum, a gap)
 * stays as it came, in its place.  A segment whose header a tap still
 * shares is made private before its len is rewritten.
 *
 * Return: the list, linked by ->next, in the segments' order.
 */
struct sk_buff *nty_gro_train(struct sk_buff *segs)
{
	struct sk_buff *out = NULL, **tail = &out, *p = NULL, *last = NULL;
	unsigned int held = 0, n = 0, mss = 0, payload;
	struct sk_buff *skb, *next;
	struct ntyhdr *first = NULL;
	const struct ntyhdr *nh;

	for (skb = segs; skb; skb = next) {
		next = skb->next;
		skb->next = NULL;
		nh = NULL;
		if (pskb_may_pull(skb, NTY_HLEN) &&
		    nty_gro_candidate((const struct ntyhdr *)skb->data,
				      skb->len) &&
		    !skb_checksum_simple_validate(skb))
			nh = (const struct ntyhdr *)skb->data;
		if (p && nh && nty_gro_follows(first, held, n, mss, nh)) {
			payload = skb->len - NTY_HLEN;
			if (nty_gro_append(p, last, skb))
				consume_skb(skb);
			else
				last = skb;
			held += payload;
			if (++n < NTY_GSO_MAX_SEGS && payload == mss)
				continue;
			/* A short segment, or a full skb: the burst ends. */
			nh = NULL;
			skb = NULL;
		}
		if (p) {
			if (n > 1)
				nty_gro_finish(p, first, NTY_HLEN + held, n,
					       mss);
			*tail = p;
			tail = &p->next;
			p = NULL;
		}
		if (!skb)
			continue;
		if (nh && !skb_ensure_writable(skb, NTY_HLEN)) {
			/* The first of a burst; its header is ours to write. */
			p = skb;
			last = skb;
			first = (struct ntyhdr *)skb->data;
			held = skb->len - NTY_HLEN;
			mss = held;
			n = 1;
		} else {
			*tail = skb;
			tail = &skb->next;
		}
	}
	if (p) {
		if (n > 1)
			nty_gro_finish(p, first, NTY_HLEN + held, n, mss);
		*tail = p;
	}
	return out;
}
EXPORT_SYMBOL_IF_KUNIT(nty_gro_train);

/**
 * nty_gro_segment - cut a merged skb back into its segments
 * @skb: a merged skb (nty_skb_segs() > 1) leaving through a device that
 *	cannot take it whole (no tx-gso-list), data at its NTY header after
 *	its Ethernet header
 *
 * As tcp_gso_segment() does for TCP's GRO when it forwards: a frame of
 * gso_size payload bytes at a time, each with the first header's fields
 * and its own seq, len and checksum (the ones the segments arrived with:
 * the merged headers agreed in all else).  Copies: a merged skb only
 * leaves this way when forwarded, which NTY itself never does.
 *
 * Return: the frames from their Ethernet header, linked by ->next (the
 * first one's ->prev at the last), or an ERR_PTR; @skb is the caller's.
 */
struct sk_buff *nty_gro_segment(struct sk_buff *skb)
{
	unsigned int mss = skb_shinfo(skb)->gso_size, off, len;
	struct sk_buff *segs = NULL, **tail = &segs, *seg;
	struct ntyhdr hdr, *nh;
	u32 seq;

	if (!mss || skb_mac_header_len(skb) != ETH_HLEN ||
	    skb_copy_bits(skb, 0, &hdr, NTY_HLEN))
		return ERR_PTR(-EINVAL);
	seq = ntohl(hdr.seq);
	for (off = NTY_HLEN; off < skb->len; off += len) {
		len = min(mss, skb->len - off);
		seg = alloc_skb(LL_MAX_HEADER + NTY_HLEN + len, GFP_ATOMIC);
		if (!seg) {
			kfree_skb_list(segs);
			return ERR_PTR(-ENOMEM);
		}
		skb_reserve(seg, LL_MAX_HEADER);
		skb_reset_network_header(seg);
		nh = skb_put_data(seg, &hdr, NTY_HLEN);
		nh->seq = htonl(seq + off - NTY_HLEN);
		nh->len = htons(NTY_HLEN + len);
		nh->check = 0;
		if (skb_copy_bits(skb, off, skb_put(seg, len), len)) {
			kfree_skb(seg);
			kfree_skb_list(segs);
			return ERR_PTR(-EINVAL);
		}
		nh->check = nty_csum(seg->data, seg->len);
		memcpy(skb_push(seg, ETH_HLEN), skb_mac_header(skb), ETH_HLEN);
		skb_reset_mac_header(seg);
		seg->mac_len = ETH_HLEN;
		seg->dev = skb->dev;
		seg->protocol = skb->protocol;
		seg->priority = skb->priority;
		seg->mark = skb->mark;
		skb_set_queue_mapping(seg, skb_get_queue_mapping(skb));
		*tail = seg;
		tail = &seg->next;
		segs->prev = seg;
	}
	return segs;
}
EXPORT_SYMBOL_IF_KUNIT(nty_gro_segment);

/**
 * nty_gro_init - the receive half of NTY's packet_offload
 * @po: the packet_offload gso.c registers
 */
void nty_gro_init(struct packet_offload *po)
{
	po->callbacks.gro_receive = nty_gro_receive;
	po->callbacks.gro_complete = nty_gro_complete;
}

/**
 * nty_gro_drain - stop merging and wait until no merged skb is held
 *
 * Called at unload with the offload still registered.  From here on
 * nty_gro_receive() holds nothing (each frame goes up alone and a flow's
 * held skb goes up before it); what drivers still hold is completed by
 * their next poll or their gro_flush_timeout, or freed with its device.
 */
void nty_gro_drain(void)
{
	unsigned int waited = 0;

	WRITE_ONCE(nty_gro_stopping, true);
	/* Every nty_gro_receive() that may not have seen the flag is over. */
	synchronize_net();
	while (atomic_read(&nty_gro_held)) {
		if (waited++ == 100)
			pr_info("waiting for %d merged skbs a driver's GRO still holds\n",
				atomic_read(&nty_gro_held));
		msleep(20);
	}
}

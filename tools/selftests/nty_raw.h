/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stream peer made by hand from AF_PACKET sockets, for the selftests that
 * need to say exactly what the other end says: the five receive cases,
 * delayed ACKs, and every lie a hostile peer can tell.  It lives in the
 * namespace it was opened in and speaks from a MAC of its own, so that the
 * NTY stack of that namespace sees the answers as another host's and
 * keeps out of the conversation.
 *
 * @tx sends the segments (one socket kept open, so that two segments leave
 * back to back: closing a packet socket waits for an RCU grace period),
 * @vtx the same with PACKET_VNET_HDR, which leaves all but the Ethernet
 * header of a long frame in page fragments (a non-linear skb, as a NIC
 * with header split delivers it), @rx sees the answers.
 */
#ifndef _NTY_RAW_H
#define _NTY_RAW_H

#include <linux/virtio_net.h>
#include <poll.h>

#include "nty_test.h"

#define RAW_MAX_FRAME	(14 + 9000)

struct raw_peer {
	int tx, vtx, rx;
	int ifindex;
	unsigned char mac[6];		/* the peer's own, made up */
	unsigned char nty_mac[6];	/* the NTY end's */
	uint16_t sport, dport, ethertype;
	uint16_t window;		/* header field; 0 means 4096 */
	int zero_window;		/* advertise 0 whatever @window says */
	uint32_t snd_nxt, rcv_nxt;
};

/* Open the peer's sockets on @ifindex of the calling thread's namespace. */
static inline int raw_open(struct raw_peer *p, int ifindex,
			   const unsigned char nty_mac[6])
{
	static const unsigned char made_up[6] = { 2, 0, 0, 0, 0, 0x77 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int one = 1;

	p->ifindex = ifindex;
	memcpy(p->nty_mac, nty_mac, 6);
	if (!p->mac[0] && !p->mac[5])
		memcpy(p->mac, made_up, 6);
	p->ethertype = read_long("/sys/module/nty/parameters/ethertype");
	sll.sll_protocol = htons(p->ethertype);
	sll.sll_ifindex = ifindex;
	p->rx = socket(AF_PACKET, SOCK_RAW, sll.sll_protocol);
	p->tx = socket(AF_PACKET, SOCK_RAW, 0);
	p->vtx = socket(AF_PACKET, SOCK_RAW, 0);
	if (p->rx < 0 || p->tx < 0 || p->vtx < 0 ||
	    setsockopt(p->vtx, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)))
		return -1;
	return bind(p->rx, (struct sockaddr *)&sll, sizeof(sll));
}

static inline void raw_close(struct raw_peer *p)
{
	close(p->rx);
	close(p->tx);
	close(p->vtx);
}

/*
 * One NTY stream frame from @src to @dst; @paged sends it with a virtio
 * header whose hdr_len (14) keeps only the Ethernet header linear.
 */
static inline int raw_frame(struct raw_peer *p, const unsigned char dst[6],
			    const unsigned char src[6], uint8_t flags,
			    uint32_t seq, uint32_t ack, const void *data,
			    size_t len, int paged)
{
	static unsigned char buf[sizeof(struct virtio_net_hdr) + RAW_MAX_FRAME];
	struct virtio_net_hdr *vh = (struct virtio_net_hdr *)buf;
	unsigned char *frame = buf + (paged ? sizeof(*vh) : 0);
	struct ntyhdr *nh = (struct ntyhdr *)(frame + 14);
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = p->ifindex,
		.sll_halen = 6,
	};
	size_t n = 14 + NTY_HLEN + len;

	if (n > RAW_MAX_FRAME)
		return -1;
	memset(buf, 0, sizeof(*vh) + 14 + NTY_HLEN);
	nh->version = NTY_VERSION;
	nh->type = NTY_TYPE_STREAM;
	nh->flags = flags;
	nh->source = htons(p->sport);
	nh->dest = htons(p->dport);
	nh->len = htons(NTY_HLEN + len);
	nh->seq = htonl(seq);
	nh->ack_seq = htonl(ack);
	nh->window = htons(p->zero_window ? 0 : p->window ?: 4096);
	if (len)
		memcpy((unsigned char *)nh + NTY_HLEN, data, len);
	nh->check = csum(nh, NTY_HLEN + len);
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = p->ethertype >> 8;
	frame[13] = p->ethertype & 0xff;
	memcpy(sll.sll_addr, dst, 6);
	if (paged) {
		vh->hdr_len = 14;	/* little endian, as virtio 1.0 */
		vh->gso_type = VIRTIO_NET_HDR_GSO_NONE;
		n += sizeof(*vh);
	}
	return sendto(paged ? p->vtx : p->tx, buf, n, 0,
		      (struct sockaddr *)&sll, sizeof(sll)) < 0 ? -1 : 0;
}

/* A segment to the NTY end, acknowledging what the peer has received. */
static inline int raw_send(struct raw_peer *p, uint8_t flags, uint32_t seq,
			   const void *data, size_t len)
{
	return raw_frame(p, p->nty_mac, p->mac, flags, seq, p->rcv_nxt, data,
			 len, 0);
}

/*
 * The next NTY segment to our port within @ms: its header in *@nh, its
 * payload length in *@len if @len is not NULL.
 */
static inline int raw_recv_seg(struct raw_peer *p, struct ntyhdr *nh,
			       size_t *len, int ms)
{
	static unsigned char buf[RAW_MAX_FRAME];
	struct pollfd pf = { .fd = p->rx, .events = POLLIN };
	ssize_t n;

	while (poll(&pf, 1, ms) == 1) {
		n = recv(p->rx, buf, sizeof(buf), 0);
		if (n < 14 + NTY_HLEN)
			continue;
		memcpy(nh, buf + 14, NTY_HLEN);
		if (nh->type != NTY_TYPE_STREAM || ntohs(nh->dest) != p->sport ||
		    memcmp(buf, p->mac, 6))
			continue;
		if (len)
			*len = ntohs(nh->len) - NTY_HLEN;
		return 0;
	}
	return -1;
}

static inline int raw_recv(struct raw_peer *p, struct ntyhdr *nh, int ms)
{
	return raw_recv_seg(p, nh, NULL, ms);
}

/* Segments to us within @ms (each read as it comes), for rate limits. */
static inline int raw_count(struct raw_peer *p, int ms)
{
	double end = now_ms() + ms;
	struct ntyhdr nh;
	int n = 0;

	while (now_ms() < end && !raw_recv(p, &nh, end - now_ms() + 1))
		n++;
	return n;
}

/*
 * The three-way handshake with a listener, from initial sequence @isn,
 * waiting up to @ms for the SYN-ACK.
 */
static inline int raw_handshake_ms(struct raw_peer *p, uint32_t isn, int ms)
{
	struct ntyhdr nh;

	if (raw_send(p, NTY_F_SYN, isn, NULL, 0) || raw_recv(p, &nh, ms) ||
	    nh.flags != (NTY_F_SYN | NTY_F_ACK) || ntohl(nh.ack_seq) != isn + 1)
		return -1;
	p->rcv_nxt = ntohl(nh.seq) + 1;
	p->snd_nxt = isn + 1;
	return raw_send(p, NTY_F_ACK, p->snd_nxt, NULL, 0);
}

static inline int raw_handshake(struct raw_peer *p, uint32_t isn)
{
	return raw_handshake_ms(p, isn, 3000);
}

#endif /* _NTY_RAW_H */

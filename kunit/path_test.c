// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, the receive path without a wire: demux (insert, lookup, remove,
 * ephemeral ports, EADDRINUSE, SO_REUSEADDR), the bound of the per-CPU
 * backlog, a train (gso.c) taken apart under a tap, and a train's
 * segments merged (gro.c).
 */
#include <kunit/test.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/bottom_half.h>
#include <net/sock.h>

#include "nty.h"

static struct socket *nty_test_socket(struct kunit *test, bool reuse)
{
	struct socket *sock;
	int ret;

	ret = sock_create_kern(&init_net, nty_family, SOCK_DGRAM, 0, &sock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	if (reuse)
		sock->sk->sk_reuse = SK_CAN_REUSE;
	return sock;
}

static int nty_test_bind(struct socket *sock, u16 port, int ifindex)
{
	struct sockaddr_nty a = {
		.snty_family = nty_family,
		.snty_port = htons(port),
		.snty_ifindex = ifindex,
	};

	return kernel_bind(sock, (struct sockaddr *)&a, sizeof(a));
}

static void nty_test_demux(struct kunit *test)
{
	struct nty_skb_cb cb = { .sk_type = SOCK_DGRAM, .ifindex = 1 };
	struct socket *any, *lo, *dup, *eph;
	struct sockaddr_nty a;
	u16 port;

	any = nty_test_socket(test, false);
	lo = nty_test_socket(test, false);
	dup = nty_test_socket(test, false);
	eph = nty_test_socket(test, false);

	cb.dport = htons(4242);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, nty_lookup(&init_net, &cb));
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, nty_test_bind(any, 4242, 0), 0);
	KUNIT_EXPECT_EQ(test, nty_test_bind(dup, 4242, 0), -EADDRINUSE);
	/* Interface 1 (lo) overlaps "any": also taken. */
	KUNIT_EXPECT_EQ(test, nty_test_bind(lo, 4242, 1), -EADDRINUSE);
	KUNIT_EXPECT_EQ(test, nty_test_bind(lo, 4243, 1), 0);

	rcu_read_lock();
	KUNIT_EXPECT_PTR_EQ(test, nty_lookup(&init_net, &cb), any->sk);
	cb.dport = htons(4243);
	KUNIT_EXPECT_PTR_EQ(test, nty_lookup(&init_net, &cb), lo->sk);
	cb.ifindex = 2;
	KUNIT_EXPECT_NULL(test, nty_lookup(&init_net, &cb));
	cb.sk_type = SOCK_STREAM;
	cb.ifindex = 1;
	KUNIT_EXPECT_NULL(test, nty_lookup(&init_net, &cb));
	rcu_read_unlock();

	/* Port 0 picks a free port in the default range. */
	KUNIT_EXPECT_EQ(test, nty_test_bind(eph, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, kernel_getsockname(eph, (struct sockaddr *)&a),
			(int)sizeof(a));
	port = ntohs(a.snty_port);
	KUNIT_EXPECT_GE(test, port, 32768);
	KUNIT_EXPECT_LE(test, port, 60999);

	/* Close removes from the tables. */
	sock_release(any);
	cb.sk_type = SOCK_DGRAM;
	cb.dport = htons(4242);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, nty_lookup(&init_net, &cb));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, nty_test_bind(dup, 4242, 0), 0);

	sock_release(lo);
	sock_release(dup);
	sock_release(eph);
}

static void nty_test_reuseaddr(struct kunit *test)
{
	struct socket *a = nty_test_socket(test, true);
	struct socket *b = nty_test_socket(test, true);
	struct socket *c = nty_test_socket(test, false);

	KUNIT_EXPECT_EQ(test, nty_test_bind(a, 5000, 0), 0);
	KUNIT_EXPECT_EQ(test, nty_test_bind(b, 5000, 0), 0);
	KUNIT_EXPECT_EQ(test, nty_test_bind(c, 5000, 0), -EADDRINUSE);
	sock_release(a);
	sock_release(b);
	sock_release(c);
}

/*
 * The per-CPU backlog refuses frame max_backlog + 1.  Bottom halves stay
 * off while filling, so this CPU's poll cannot drain the queue under the
 * test; it runs when they come back on and drops the junk frames as
 * malformed.
 */
static void nty_test_backlog_bound(struct kunit *test)
{
	struct nty_softnet_stat before, after;
	int old = READ_ONCE(nty_max_backlog);
	int i, cpu, ok = 0, dropped = 0;
	struct sk_buff *skb;

	WRITE_ONCE(nty_max_backlog, 8);
	local_bh_disable();
	cpu = smp_processor_id();
	nty_softnet_stat(cpu, &before);
	for (i = 0; i < 8 + 5 - (int)before.qlen; i++) {
		skb = alloc_skb(64, GFP_ATOMIC);
		if (!skb)
			break;
		skb_put_zero(skb, NTY_HLEN);
		skb->dev = init_net.loopback_dev;
		skb_reset_mac_header(skb);
		if (nty_enqueue_to_backlog(skb) == NET_RX_SUCCESS)
			ok++;
		else
			dropped++;
	}
	nty_softnet_stat(cpu, &after);
	local_bh_enable();
	WRITE_ONCE(nty_max_backlog, old);

	KUNIT_EXPECT_EQ(test, ok + (int)before.qlen, 8);
	KUNIT_EXPECT_EQ(test, dropped, 5);
	KUNIT_EXPECT_EQ(test, after.dropped - before.dropped, 5UL);
	KUNIT_EXPECT_EQ(test, after.qlen, 8U);
}

/*
 * A train (gso.c) of three segments, taken apart while a tap holds a
 * clone of its carrier, as AF_PACKET does: the segments come out whole,
 * each with the carrier's Ethernet header, and the tap's clone keeps all
 * three (its frag_list links are not ours to cut); the first segment's
 * ->prev is the last, as GSO lists must be.  kmemleak, in the
 * test VM, sees anything either side forgot to free.
 */
static void nty_test_gso_split(struct kunit *test)
{
	static const u8 dst[ETH_ALEN] = { 2, 0, 0, 0, 0, 0xb };
	const __be16 proto = htons(ETH_P_NTY);
	struct sk_buff *carrier, *tap, *seg, *segs = NULL, **tail = &segs;
	struct sk_buff *last = NULL;
	u8 buf[3 * 40], want[3 * 40];
	unsigned int i, n = 0;
	struct ethhdr *eth;

	carrier = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, carrier);
	skb_reserve(carrier, 64);
	eth = skb_push(carrier, ETH_HLEN);
	ether_addr_copy(eth->h_dest, dst);
	eth_zero_addr(eth->h_source);
	eth->h_proto = proto;
	skb_reset_mac_header(carrier);
	__skb_pull(carrier, ETH_HLEN);
	skb_reset_network_header(carrier);
	carrier->dev = init_net.loopback_dev;
	carrier->protocol = proto;
	for (i = 0; i < 3; i++) {
		seg = alloc_skb(128, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, seg);
		skb_reserve(seg, 64);
		memset(skb_put(seg, 40), 'a' + i, 40);
		memset(want + 40 * i, 'a' + i, 40);
		skb_reset_network_header(seg);
		*tail = seg;
		tail = &seg->next;
	}
	nty_gso_train(carrier, segs, 3, 40);
	KUNIT_EXPECT_EQ(test, carrier->len, 120U);
	KUNIT_EXPECT_EQ(test, skb_shinfo(carrier)->gso_segs, 3);
	KUNIT_EXPECT_TRUE(test, skb_is_gso(carrier));

	tap = skb_clone(carrier, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tap);
	segs = nty_gso_split(carrier);
	KUNIT_ASSERT_FALSE(test, IS_ERR(segs));
	KUNIT_EXPECT_EQ(test, carrier->len, 0U);
	KUNIT_EXPECT_FALSE(test, skb_is_gso(carrier));
	for (seg = segs; seg; seg = seg->next, n++) {
		last = seg;
		KUNIT_EXPECT_EQ(test, seg->len, 40U);
		KUNIT_EXPECT_EQ(test, seg->data[0], 'a' + n);
		KUNIT_EXPECT_TRUE(test, seg->protocol == proto);
		KUNIT_EXPECT_PTR_EQ(test, seg->dev, init_net.loopback_dev);
		KUNIT_EXPECT_TRUE(test, ether_addr_equal(eth_hdr(seg)->h_dest,
							 dst));
		KUNIT_EXPECT_EQ(test, skb_network_offset(seg), 0);
	}
	KUNIT_EXPECT_EQ(test, n, 3U);
	/* validate_xmit_skb_list() appends after the head's ->prev. */
	KUNIT_EXPECT_PTR_EQ(test, segs->prev, last);

	/* The tap still reads the whole train. */
	KUNIT_EXPECT_EQ(test, tap->len, 120U);
	KUNIT_EXPECT_EQ(test, skb_copy_bits(tap, 0, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf, want, sizeof(buf)), 0);

	kfree_skb_list(segs);
	kfree_skb(carrier);
	kfree_skb(tap);
}

/* A stream segment of @payload bytes of @fill at @seq, checksummed. */
static struct sk_buff *nty_test_seg(struct kunit *test, u32 seq, u8 flags,
				    unsigned int payload, u8 fill)
{
	struct sk_buff *skb;
	struct ntyhdr *nh;

	skb = alloc_skb(ETH_HLEN + NTY_HLEN + payload + 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, ETH_HLEN + 32);
	nh = skb_put(skb, NTY_HLEN);
	nty_build_header(nh, NTY_TYPE_STREAM, flags, htons(7), htons(9),
			 NTY_HLEN + payload);
	nh->seq = htonl(seq);
	nh->ack_seq = htonl(1000);
	nh->window = htons(512);
	memset(skb_put(skb, payload), fill, payload);
	nh->check = nty_csum(skb->data, skb->len);
	skb_reset_network_header(skb);
	return skb;
}

/*
 * A train's segments merged as GRO merges TCP's (gro.c): three full ones
 * and a short one become one skb of four segments whose header covers
 * them all; a FIN and a segment with a bad checksum stay as they came, in
 * their places; a gap starts a new burst; the bytes come out in order;
 * a small segment's bytes are copied into the tailroom of the first.
 */
static void nty_test_gro_train(struct kunit *test)
{
	struct sk_buff *segs = NULL, **tail = &segs, *skb, *out[8];
	static const struct {
		u32 seq;
		u8 flags;
		unsigned int len;
	} in[] = {
		{ 100, NTY_F_ACK, 100 }, { 200, NTY_F_ACK, 100 },
		{ 300, NTY_F_ACK, 100 }, { 400, NTY_F_ACK, 50 },
		{ 450, NTY_F_ACK | NTY_F_FIN, 0 },
		{ 451, NTY_F_ACK, 100 },	/* a byte flipped below */
		{ 551, NTY_F_ACK, 100 }, { 651, NTY_F_ACK, 100 },
		{ 900, NTY_F_ACK, 100 },	/* past a gap */
		{ 2000, NTY_F_ACK, 8 }, { 2008, NTY_F_ACK, 8 },
	};
	unsigned int i, n = 0;
	const struct ntyhdr *nh;
	u8 *buf, *want;

	buf = kunit_kzalloc(test, 2 * 350, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	want = buf + 350;
	for (i = 0; i < ARRAY_SIZE(in); i++) {
		skb = nty_test_seg(test, in[i].seq, in[i].flags, in[i].len,
				   'a' + i);
		if (i == 5)
			skb->data[NTY_HLEN] ^= 1;	/* the sum no longer holds */
		*tail = skb;
		tail = &skb->next;
	}
	for (i = 0; i < 350; i++)
		want[i] = 'a' + i / 100;

	for (skb = nty_gro_train(segs); skb; skb = skb->next) {
		KUNIT_ASSERT_LT(test, n, ARRAY_SIZE(out));
		out[n++] = skb;
	}
	KUNIT_ASSERT_EQ(test, n, 6U);

	/* Four segments, one skb: the header covers them, the sum is known. */
	nh = (const struct ntyhdr *)out[0]->data;
	KUNIT_EXPECT_EQ(test, nty_skb_segs(out[0]), 4U);
	KUNIT_EXPECT_EQ(test, out[0]->len, NTY_HLEN + 350U);
	KUNIT_EXPECT_EQ(test, ntohs(nh->len), NTY_HLEN + 350);
	KUNIT_EXPECT_EQ(test, ntohl(nh->seq), 100U);
	KUNIT_EXPECT_EQ(test, skb_shinfo(out[0])->gso_size, 100);
	KUNIT_EXPECT_EQ(test, (int)out[0]->ip_summed, CHECKSUM_UNNECESSARY);
	KUNIT_EXPECT_FALSE(test, nty_gso_is_train(out[0]));
	KUNIT_EXPECT_EQ(test, nty_validate_skb(out[0]), NTY_HDR_OK);
	KUNIT_EXPECT_EQ(test, skb_copy_bits(out[0], NTY_HLEN, buf, 350), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf, want, 350), 0);

	/* The FIN and the broken segment: alone and untouched. */
	KUNIT_EXPECT_EQ(test, nty_skb_segs(out[1]), 1U);
	KUNIT_EXPECT_EQ(test, ((struct ntyhdr *)out[1]->data)->flags,
			NTY_F_ACK | NTY_F_FIN);
	KUNIT_EXPECT_EQ(test, nty_skb_segs(out[2]), 1U);
	KUNIT_EXPECT_EQ(test, out[2]->len, NTY_HLEN + 100U);
	KUNIT_EXPECT_EQ(test, nty_validate_skb(out[2]), NTY_HDR_CSUM);

	/* 551 and 651 merge; 900 is past a gap and starts again. */
	nh = (const struct ntyhdr *)out[3]->data;
	KUNIT_EXPECT_EQ(test, nty_skb_segs(out[3]), 2U);
	KUNIT_EXPECT_EQ(test, ntohl(nh->seq), 551U);
	KUNIT_EXPECT_EQ(test, ntohs(nh->len), NTY_HLEN + 200);
	KUNIT_EXPECT_EQ(test, nty_skb_segs(out[4]), 1U);
	KUNIT_EXPECT_EQ(test, ntohl(((struct ntyhdr *)out[4]->data)->seq),
			900U);

	/* Two small ones: the second's bytes copied into the first. */
	KUNIT_EXPECT_EQ(test, nty_skb_segs(out[5]), 2U);
	KUNIT_EXPECT_EQ(test, out[5]->len, NTY_HLEN + 16U);
	KUNIT_EXPECT_FALSE(test, skb_has_frag_list(out[5]));
	KUNIT_EXPECT_EQ(test, out[5]->data[NTY_HLEN + 7], 'a' + 9);
	KUNIT_EXPECT_EQ(test, out[5]->data[NTY_HLEN + 8], 'a' + 10);

	/*
	 * Forwarded to a device without tx-gso-list, the merged skb is cut
	 * back into the very frames that were merged, checksums included.
	 */
	skb = out[0];
	memset(skb_push(skb, ETH_HLEN), 0, ETH_HLEN);
	skb_reset_mac_header(skb);
	__skb_pull(skb, ETH_HLEN);
	segs = nty_gro_segment(skb);
	KUNIT_ASSERT_FALSE(test, IS_ERR(segs));
	n = 0;
	for (skb = segs; skb; skb = skb->next, n++) {
		struct sk_buff *orig;

		KUNIT_ASSERT_LT(test, n, 4U);
		orig = nty_test_seg(test, in[n].seq, in[n].flags, in[n].len,
				    'a' + n);
		KUNIT_EXPECT_EQ(test, skb->len, ETH_HLEN + orig->len);
		KUNIT_EXPECT_EQ(test, memcmp(skb->data + ETH_HLEN, orig->data,
					     orig->len), 0);
		kfree_skb(orig);
	}
	KUNIT_EXPECT_EQ(test, n, 4U);
	kfree_skb_list(segs);

	kfree_skb_list(out[0]);
}

static struct kunit_case nty_path_cases[] = {
	KUNIT_CASE(nty_test_demux),
	KUNIT_CASE(nty_test_reuseaddr),
	KUNIT_CASE(nty_test_backlog_bound),
	KUNIT_CASE(nty_test_gso_split),
	KUNIT_CASE(nty_test_gro_train),
	{}
};

static struct kunit_suite nty_path_suite = {
	.name = "nty_path",
	.test_cases = nty_path_cases,
};

kunit_test_suites(&nty_path_suite);

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for the parts of NTY that can be driven without a wire:
 * the header (every field, every error class, the checksum), demux
 * (insert, lookup, remove, ephemeral ports, EADDRINUSE), the bound of
 * the per-CPU backlog, a train taken apart under a tap, and the stream
 * arithmetic (sequence numbers that wrap, the five receive cases, the
 * window, the RTO, the queue bounds).
 * Loaded after nty.ko, in the test VM.
 */
#include <kunit/test.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/bottom_half.h>
#include <net/sock.h>

#include "nty.h"
#include "stream_seq.h"

static void nty_fill_frame(u8 *buf, unsigned int payload, u8 type)
{
	struct ntyhdr *nh = (struct ntyhdr *)buf;
	unsigned int i;

	for (i = 0; i < payload; i++)
		buf[NTY_HLEN + i] = i * 7 + 3;
	nty_build_header(nh, type, 0, htons(1000), htons(2000),
			 NTY_HLEN + payload);
	nh->check = nty_csum(buf, NTY_HLEN + payload);
}

static void nty_test_build_fields(struct kunit *test)
{
	struct ntyhdr nh;

	memset(&nh, 0xaa, sizeof(nh));
	nty_build_header(&nh, NTY_TYPE_STREAM, NTY_F_SYN | NTY_F_ACK,
			 htons(1), htons(65535), 300);
	KUNIT_EXPECT_EQ(test, sizeof(struct ntyhdr), (size_t)NTY_HLEN);
	KUNIT_EXPECT_EQ(test, nh.version, NTY_VERSION);
	KUNIT_EXPECT_EQ(test, nh.type, NTY_TYPE_STREAM);
	KUNIT_EXPECT_EQ(test, nh.flags, NTY_F_SYN | NTY_F_ACK);
	KUNIT_EXPECT_EQ(test, ntohs(nh.source), 1);
	KUNIT_EXPECT_EQ(test, ntohs(nh.dest), 65535);
	KUNIT_EXPECT_EQ(test, ntohs(nh.len), 300);
	KUNIT_EXPECT_EQ(test, (__force u16)nh.check, 0);
	KUNIT_EXPECT_EQ(test, (__force u32)nh.seq, 0U);
	KUNIT_EXPECT_EQ(test, (__force u32)nh.ack_seq, 0U);
	KUNIT_EXPECT_EQ(test, (__force u16)nh.window, 0);
	KUNIT_EXPECT_EQ(test, nh.reserved, 0);
	KUNIT_EXPECT_EQ(test, (__force u16)nh.reserved2, 0);
}

static void nty_test_checksum(struct kunit *test)
{
	u8 buf[NTY_HLEN + 101];
	unsigned int i;

	nty_fill_frame(buf, 101, NTY_TYPE_DGRAM);
	/* A correct frame sums to zero, odd length included. */
	KUNIT_EXPECT_EQ(test, (__force u16)nty_csum(buf, sizeof(buf)), 0);
	/* Any single flipped bit, in header or payload, is caught. */
	for (i = 0; i < sizeof(buf); i++) {
		buf[i] ^= 0x10;
		KUNIT_EXPECT_NE_MSG(test, (__force u16)nty_csum(buf, sizeof(buf)),
				    0, "byte %u", i);
		buf[i] ^= 0x10;
	}
}

static void nty_test_check_header(struct kunit *test)
{
	u8 buf[NTY_HLEN + 64];
	struct ntyhdr *nh = (struct ntyhdr *)buf;

	nty_fill_frame(buf, 64, NTY_TYPE_DGRAM);
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, sizeof(buf)), NTY_HDR_OK);
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, NTY_HLEN - 1),
			NTY_HDR_SHORT);
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, 0), NTY_HDR_SHORT);

	nh->version = 2;
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, sizeof(buf)),
			NTY_HDR_VERSION);
	nh->version = NTY_VERSION;

	nh->type = 0;
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, sizeof(buf)), NTY_HDR_TYPE);
	nh->type = __NTY_TYPE_MAX;
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, sizeof(buf)), NTY_HDR_TYPE);
	nh->type = NTY_TYPE_STREAM;
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, sizeof(buf)), NTY_HDR_OK);

	/* len longer than the frame, or shorter than a header. */
	nh->len = htons(sizeof(buf) + 1);
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, sizeof(buf)), NTY_HDR_LEN);
	nh->len = htons(NTY_HLEN - 1);
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, sizeof(buf)), NTY_HDR_LEN);
	/* Shorter than a frame longer than Ethernet padding explains. */
	nh->len = htons(sizeof(buf) - 1);
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, sizeof(buf)), NTY_HDR_LEN);
	/* Shorter than a minimum-size (padded) Ethernet frame: fine. */
	nh->len = htons(NTY_HLEN + 2);
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, ETH_ZLEN - ETH_HLEN),
			NTY_HDR_OK);
}

static struct sk_buff *nty_test_skb(struct kunit *test, const u8 *buf,
				    unsigned int len)
{
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_data(skb, buf, len);
	return skb;
}

static void nty_test_validate_skb(struct kunit *test)
{
	u8 buf[ETH_ZLEN];
	struct sk_buff *skb;

	/* A 2-byte payload padded to the Ethernet minimum: trimmed. */
	memset(buf, 0, sizeof(buf));
	nty_fill_frame(buf, 2, NTY_TYPE_DGRAM);
	skb = nty_test_skb(test, buf, ETH_ZLEN - ETH_HLEN);
	KUNIT_EXPECT_EQ(test, nty_validate_skb(skb), NTY_HDR_OK);
	KUNIT_EXPECT_EQ(test, skb->len, NTY_HLEN + 2);
	kfree_skb(skb);

	/* Corrupted payload: the checksum class. */
	buf[NTY_HLEN] ^= 1;
	skb = nty_test_skb(test, buf, NTY_HLEN + 2);
	KUNIT_EXPECT_EQ(test, nty_validate_skb(skb), NTY_HDR_CSUM);
	kfree_skb(skb);

	/* Too short to hold a header. */
	skb = nty_test_skb(test, buf, NTY_HLEN - 4);
	KUNIT_EXPECT_EQ(test, nty_validate_skb(skb), NTY_HDR_SHORT);
	kfree_skb(skb);
}

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

static struct kunit_case nty_wire_cases[] = {
	KUNIT_CASE(nty_test_build_fields),
	KUNIT_CASE(nty_test_checksum),
	KUNIT_CASE(nty_test_check_header),
	KUNIT_CASE(nty_test_validate_skb),
	{}
};

static struct kunit_suite nty_wire_suite = {
	.name = "nty_wire",
	.test_cases = nty_wire_cases,
};

static struct kunit_case nty_path_cases[] = {
	KUNIT_CASE(nty_test_demux),
	KUNIT_CASE(nty_test_reuseaddr),
	KUNIT_CASE(nty_test_backlog_bound),
	KUNIT_CASE(nty_test_gso_split),
	{}
};

static struct kunit_suite nty_path_suite = {
	.name = "nty_path",
	.test_cases = nty_path_cases,
};

static void nty_test_seq_wrap(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, nty_seq_before(1, 2));
	KUNIT_EXPECT_FALSE(test, nty_seq_before(2, 2));
	KUNIT_EXPECT_TRUE(test, nty_seq_before(0xfffffff0U, 0x10));
	KUNIT_EXPECT_TRUE(test, nty_seq_after(0x10, 0xfffffff0U));
	KUNIT_EXPECT_FALSE(test, nty_seq_after(0xfffffff0U, 0x10));
	/* Half the space apart is the edge of "before". */
	KUNIT_EXPECT_TRUE(test, nty_seq_before(0, 0x7fffffffU));
	KUNIT_EXPECT_FALSE(test, nty_seq_before(0, 0x80000001U));
}

static void nty_test_seg_cases(struct kunit *test)
{
	const u32 nxt = 0xfffffff0U, wnd = 1000;	/* the window wraps */

	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt, nxt + 100, nxt, wnd),
			NTY_SEG_IN_ORDER);
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt - 100, nxt, nxt, wnd),
			NTY_SEG_DUP);
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt - 300, nxt - 200, nxt, wnd),
			NTY_SEG_DUP);
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt - 50, nxt + 50, nxt, wnd),
			NTY_SEG_PARTIAL);
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt + 200, nxt + 300, nxt, wnd),
			NTY_SEG_OFO);
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt + wnd, nxt + wnd + 10, nxt,
					       wnd), NTY_SEG_OUT_OF_WINDOW);
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt + wnd - 1, nxt + wnd + 10,
					       nxt, wnd), NTY_SEG_OFO);
	/* A zero window takes nothing new, not even in order. */
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt, nxt + 1, nxt, 0),
			NTY_SEG_OUT_OF_WINDOW);
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt - 5, nxt + 5, nxt, 0),
			NTY_SEG_OUT_OF_WINDOW);
	KUNIT_EXPECT_EQ(test, nty_seg_classify(nxt - 5, nxt, nxt, 0),
			NTY_SEG_DUP);
}

static void nty_test_window(struct kunit *test)
{
	const u32 max = NTY_MAX_WINDOW;

	KUNIT_EXPECT_EQ(test, nty_window_from_space(0, 128, 1476, max), 0U);
	KUNIT_EXPECT_EQ(test, nty_window_from_space(-4096, 128, 1476, max), 0U);
	/* Less than a segment is no window (receiver SWS avoidance). */
	KUNIT_EXPECT_EQ(test, nty_window_from_space(2000, 128, 1476, max), 0U);
	/* Payload per truesize byte scales the free buffer. */
	KUNIT_EXPECT_EQ(test, nty_window_from_space(100000, 128, 1476, max),
			50000U);
	KUNIT_EXPECT_EQ(test, nty_window_from_space(100000, 64, 1476, max),
			24992U);
	/* Multiples of the header's unit, at most what it can carry. */
	KUNIT_EXPECT_EQ(test, nty_window_from_space(10003, 256, 1476, max),
			10000U);
	KUNIT_EXPECT_EQ(test, nty_window_from_space(1 << 30, 255, 1476, max),
			max);
}

static void nty_test_rto(struct kunit *test)
{
	struct nty_rtt rtt = { .rto_us = NTY_RTO_INIT_US };

	nty_rtt_sample(&rtt, 100000);
	KUNIT_EXPECT_EQ(test, rtt.srtt_us, 100000U);
	KUNIT_EXPECT_EQ(test, rtt.rttvar_us, 50000U);
	KUNIT_EXPECT_EQ(test, rtt.rto_us, 300000U);
	/* RFC 6298 2.3: rttvar 3/4 + |err|/4, srtt 7/8 + m/8. */
	nty_rtt_sample(&rtt, 200000);
	KUNIT_EXPECT_EQ(test, rtt.rttvar_us, 62500U);
	KUNIT_EXPECT_EQ(test, rtt.srtt_us, 112500U);
	KUNIT_EXPECT_EQ(test, rtt.rto_us, 362500U);
	/* Never below TCP_RTO_MIN, never above TCP_RTO_MAX. */
	rtt = (struct nty_rtt){ 0 };
	nty_rtt_sample(&rtt, 10);
	KUNIT_EXPECT_EQ(test, rtt.rto_us, NTY_RTO_MIN_US);
	rtt = (struct nty_rtt){ 0 };
	nty_rtt_sample(&rtt, 100000000);
	KUNIT_EXPECT_EQ(test, rtt.rto_us, NTY_RTO_MAX_US);
	/* Backoff doubles, and stops at the maximum. */
	KUNIT_EXPECT_EQ(test, nty_rto_backoff(200000, 0), 200000U);
	KUNIT_EXPECT_EQ(test, nty_rto_backoff(200000, 3), 1600000U);
	KUNIT_EXPECT_EQ(test, nty_rto_backoff(200000, 15), NTY_RTO_MAX_US);
	KUNIT_EXPECT_EQ(test, nty_rto_backoff(NTY_RTO_MAX_US, 40),
			NTY_RTO_MAX_US);
}

static void nty_test_queue_bounds(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, nty_listen_backlog_clamp(100000, 4096), 4096U);
	KUNIT_EXPECT_EQ(test, nty_listen_backlog_clamp(4, 4096), 4U);
	KUNIT_EXPECT_EQ(test, nty_listen_backlog_clamp(0, 4096), 0U);
	/* A negative backlog asks for the most, as __sys_listen() reads it. */
	KUNIT_EXPECT_EQ(test, nty_listen_backlog_clamp(-1, 4096), 4096U);
	/* listen(fd, 4): four wait, the fifth overflows. */
	KUNIT_EXPECT_FALSE(test, nty_queue_full(3, 4));
	KUNIT_EXPECT_TRUE(test, nty_queue_full(4, 4));
	KUNIT_EXPECT_TRUE(test, nty_queue_full(0, 0));
}

static struct kunit_case nty_stream_cases[] = {
	KUNIT_CASE(nty_test_seq_wrap),
	KUNIT_CASE(nty_test_seg_cases),
	KUNIT_CASE(nty_test_window),
	KUNIT_CASE(nty_test_rto),
	KUNIT_CASE(nty_test_queue_bounds),
	{}
};

static struct kunit_suite nty_stream_suite = {
	.name = "nty_stream",
	.test_cases = nty_stream_cases,
};

kunit_test_suites(&nty_wire_suite, &nty_path_suite, &nty_stream_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for NTY");

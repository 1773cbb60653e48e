// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, the wire format (wire.c): every field of the header, every error
 * class, the checksum, and a frame checked as an skb.  One suite per area:
 * path_test.c has the path's, stream_test.c the stream's; together they are
 * nty_kunit.ko, loaded after nty.ko in the test VM.
 */
#include <kunit/test.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/bottom_half.h>
#include <net/sock.h>

#include "nty.h"

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

#define NTY_TEST_FRAME	(NTY_HLEN + 64)

/**
 * struct nty_hdr_case - one header and frame length for nty_check_header()
 * @name: the case, as KUnit prints it
 * @version: the header's version
 * @type: its type
 * @len: its len field
 * @frame: the frame's length
 * @want: the verdict
 */
struct nty_hdr_case {
	const char		*name;
	u8			version;
	u8			type;
	unsigned int		len;
	unsigned int		frame;
	enum nty_hdr_verdict	want;
};

static const struct nty_hdr_case nty_hdr_cases[] = {
	{ "whole", NTY_VERSION, NTY_TYPE_DGRAM, NTY_TEST_FRAME, NTY_TEST_FRAME,
	  NTY_HDR_OK },
	{ "frame_shorter_than_header", NTY_VERSION, NTY_TYPE_DGRAM,
	  NTY_TEST_FRAME, NTY_HLEN - 1, NTY_HDR_SHORT },
	{ "empty_frame", NTY_VERSION, NTY_TYPE_DGRAM, NTY_TEST_FRAME, 0,
	  NTY_HDR_SHORT },
	{ "version_2", 2, NTY_TYPE_DGRAM, NTY_TEST_FRAME, NTY_TEST_FRAME,
	  NTY_HDR_VERSION },
	{ "type_0", NTY_VERSION, 0, NTY_TEST_FRAME, NTY_TEST_FRAME,
	  NTY_HDR_TYPE },
	{ "type_past_last", NTY_VERSION, __NTY_TYPE_MAX, NTY_TEST_FRAME,
	  NTY_TEST_FRAME, NTY_HDR_TYPE },
	{ "stream", NTY_VERSION, NTY_TYPE_STREAM, NTY_TEST_FRAME,
	  NTY_TEST_FRAME, NTY_HDR_OK },
	{ "len_past_frame", NTY_VERSION, NTY_TYPE_STREAM, NTY_TEST_FRAME + 1,
	  NTY_TEST_FRAME, NTY_HDR_LEN },
	{ "len_below_header", NTY_VERSION, NTY_TYPE_STREAM, NTY_HLEN - 1,
	  NTY_TEST_FRAME, NTY_HDR_LEN },
	/* Shorter than a frame longer than Ethernet padding explains. */
	{ "len_short_of_frame", NTY_VERSION, NTY_TYPE_STREAM,
	  NTY_TEST_FRAME - 1, NTY_TEST_FRAME, NTY_HDR_LEN },
	/* Shorter than a minimum-size (padded) Ethernet frame: fine. */
	{ "len_within_padding", NTY_VERSION, NTY_TYPE_STREAM, NTY_HLEN + 2,
	  ETH_ZLEN - ETH_HLEN, NTY_HDR_OK },
};

static void nty_hdr_case_desc(const struct nty_hdr_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(nty_hdr, nty_hdr_cases, nty_hdr_case_desc);

static void nty_test_check_header(struct kunit *test)
{
	const struct nty_hdr_case *c = test->param_value;
	u8 buf[NTY_TEST_FRAME];
	struct ntyhdr *nh = (struct ntyhdr *)buf;

	nty_fill_frame(buf, NTY_TEST_FRAME - NTY_HLEN, NTY_TYPE_DGRAM);
	nh->version = c->version;
	nh->type = c->type;
	nh->len = htons(c->len);
	KUNIT_EXPECT_EQ(test, nty_check_header(nh, c->frame), c->want);
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

static struct kunit_case nty_wire_cases[] = {
	KUNIT_CASE(nty_test_build_fields),
	KUNIT_CASE(nty_test_checksum),
	KUNIT_CASE_PARAM(nty_test_check_header, nty_hdr_gen_params),
	KUNIT_CASE(nty_test_validate_skb),
	{}
};

static struct kunit_suite nty_wire_suite = {
	.name = "nty_wire",
	.test_cases = nty_wire_cases,
};

kunit_test_suites(&nty_wire_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for NTY");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

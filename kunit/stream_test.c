// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, the stream arithmetic (stream_seq.h): sequence numbers that wrap,
 * the five receive cases, the window, the RTO and the queue bounds; and
 * NewReno's congestion window (stream_cong.h).  The one suite that sees
 * stream.h.
 */
#include <kunit/test.h>

#include "stream.h"

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

/* tcp_sequence()'s verdicts, with a window that wraps. */
static void nty_test_seq_check(struct kunit *test)
{
	const u32 wup = 0xffffff00U, nxt = 0xfffffff0U, wnd = 1000;

	/* A pure ACK at rcv_nxt, and one from before the last advertisement. */
	KUNIT_EXPECT_EQ(test, nty_seq_check(nxt, nxt, wup, nxt, wnd, true),
			NTY_SEQ_OK);
	KUNIT_EXPECT_EQ(test, nty_seq_check(wup, wup, wup, nxt, wnd, true),
			NTY_SEQ_OK);
	KUNIT_EXPECT_EQ(test, nty_seq_check(wup - 1, wup - 1, wup, nxt, wnd,
					    true), NTY_SEQ_OLD);
	/* An old duplicate that still reaches rcv_wup carries its ACK. */
	KUNIT_EXPECT_EQ(test, nty_seq_check(wup - 100, wup, wup, nxt, wnd,
					    true), NTY_SEQ_OK);
	/* Past the right edge: refused, wherever its ACK points. */
	KUNIT_EXPECT_EQ(test, nty_seq_check(nxt + wnd + 1, nxt + wnd + 1, wup,
					    nxt, wnd, false), NTY_SEQ_BEYOND);
	KUNIT_EXPECT_EQ(test, nty_seq_check(nxt + (1U << 30), nxt + (1U << 30),
					    wup, nxt, wnd, false),
			NTY_SEQ_BEYOND);
	/* Starting in the window, ending past it: only with nothing queued. */
	KUNIT_EXPECT_EQ(test, nty_seq_check(nxt + 10, nxt + wnd + 10, wup, nxt,
					    wnd, false), NTY_SEQ_OK);
	KUNIT_EXPECT_EQ(test, nty_seq_check(nxt + 10, nxt + wnd + 10, wup, nxt,
					    wnd, true), NTY_SEQ_END_BEYOND);
	/* A zero window: a pure ACK at its edge passes, data does not. */
	KUNIT_EXPECT_EQ(test, nty_seq_check(nxt, nxt, nxt, nxt, 0, true),
			NTY_SEQ_OK);
	KUNIT_EXPECT_EQ(test, nty_seq_check(nxt, nxt + 1, nxt, nxt, 0, true),
			NTY_SEQ_END_BEYOND);
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

/* Slow start, congestion avoidance and a timeout, in bytes (RFC 5681). */
static void nty_test_cong_growth(struct kunit *test)
{
	const u32 mss = 1000;
	struct nty_cong c;
	int i;

	nty_cong_init(&c, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 10 * mss);
	KUNIT_EXPECT_EQ(test, c.ssthresh, NTY_INFINITE_SSTHRESH);
	/* Slow start: a window of ACKs doubles the window. */
	for (i = 0; i < 10; i++)
		nty_cong_ack(&c, mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 20 * mss);
	/* It stops at ssthresh; what is left over counts toward avoidance. */
	c.ssthresh = 21 * mss;
	nty_cong_ack(&c, 3 * mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 21 * mss);
	KUNIT_EXPECT_EQ(test, c.acked, 2 * mss);
	/* Avoidance: one segment per window of bytes acknowledged. */
	for (i = 0; i < 18; i++)
		nty_cong_ack(&c, mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 21 * mss);
	nty_cong_ack(&c, mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 22 * mss);
	KUNIT_EXPECT_EQ(test, c.acked, 0U);
	/* Small ACKs (64-byte writes) add up the same way. */
	for (i = 0; i < 22 * mss / 64; i++)
		nty_cong_ack(&c, 64, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 22 * mss);
	nty_cong_ack(&c, 64, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 23 * mss);
	/* A timeout: one segment, ssthresh half the flight, slow start. */
	nty_cong_timeout(&c, 30 * mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, mss);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 15 * mss);
	KUNIT_EXPECT_EQ(test, c.state, NTY_CA_LOSS);
	/* A second timeout before recovery keeps the threshold. */
	nty_cong_timeout(&c, 2 * mss, mss);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 15 * mss);
	/* Never below two segments. */
	c.state = NTY_CA_OPEN;
	nty_cong_timeout(&c, mss, mss);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 2 * mss);
}

/* Fast retransmit and fast recovery with partial ACKs (RFC 6582). */
static void nty_test_cong_recovery(struct kunit *test)
{
	const u32 mss = 1000;
	struct nty_cong c;

	nty_cong_init(&c, mss);
	c.cwnd = 20 * mss;
	nty_cong_enter_recovery(&c, 20 * mss, mss);
	KUNIT_EXPECT_EQ(test, c.ssthresh, 10 * mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 13 * mss);
	KUNIT_EXPECT_EQ(test, c.state, NTY_CA_RECOVERY);
	/* Each further duplicate inflates by one segment. */
	nty_cong_dupack(&c, mss);
	nty_cong_dupack(&c, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 15 * mss);
	/* A partial ACK of 4 segments deflates by 4, adds one back. */
	nty_cong_partial_ack(&c, 4 * mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 12 * mss);
	/* Less than a segment: nothing added back. */
	nty_cong_partial_ack(&c, 500, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 11 * mss + 500);
	/* Never below one segment. */
	nty_cong_partial_ack(&c, 100 * mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, mss);
	/* The full ACK: ssthresh, or the flight plus one when that is less. */
	nty_cong_full_ack(&c, 3 * mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 4 * mss);
	KUNIT_EXPECT_EQ(test, c.state, NTY_CA_OPEN);
	c.state = NTY_CA_RECOVERY;
	nty_cong_full_ack(&c, 30 * mss, mss);
	KUNIT_EXPECT_EQ(test, c.cwnd, 10 * mss);
	/* Room: nothing in flight always lets one segment go. */
	c.cwnd = mss;
	KUNIT_EXPECT_TRUE(test, nty_cong_room(&c, 0, 1400));
	KUNIT_EXPECT_TRUE(test, nty_cong_room(&c, 500, 500));
	KUNIT_EXPECT_FALSE(test, nty_cong_room(&c, 500, 501));
}

static struct kunit_case nty_stream_cases[] = {
	KUNIT_CASE(nty_test_seq_wrap),
	KUNIT_CASE(nty_test_seg_cases),
	KUNIT_CASE(nty_test_seq_check),
	KUNIT_CASE(nty_test_window),
	KUNIT_CASE(nty_test_rto),
	KUNIT_CASE(nty_test_queue_bounds),
	KUNIT_CASE(nty_test_cong_growth),
	KUNIT_CASE(nty_test_cong_recovery),
	{}
};

static struct kunit_suite nty_stream_suite = {
	.name = "nty_stream",
	.test_cases = nty_stream_cases,
};

kunit_test_suites(&nty_stream_suite);

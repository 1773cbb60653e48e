/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arithmetic of stream sockets, as pure functions so that KUnit can
 * test them without a socket: sequence numbers that wrap, the five cases
 * of a received segment (claim C11), the advertised window, and the
 * retransmission timeout (RFC 6298).
 */
#ifndef _NTY_STREAM_SEQ_H
#define _NTY_STREAM_SEQ_H

#include <linux/types.h>
#include <linux/minmax.h>

/* Sequence numbers compare modulo 2^32, as TCP's before()/after(). */
static inline bool nty_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

#define nty_seq_after(a, b)	nty_seq_before(b, a)

/* The five things a received segment can be (claim C11). */
enum nty_seg_case {
	NTY_SEG_IN_ORDER,	/* starts at rcv_nxt: queue it, ACK */
	NTY_SEG_DUP,		/* all of it received before: drop, re-ACK */
	NTY_SEG_OUT_OF_WINDOW,	/* its new bytes start past the window */
	NTY_SEG_PARTIAL,	/* old bytes then new ones: keep the new */
	NTY_SEG_OFO,		/* beyond a gap: hold until the gap fills */
};

/**
 * nty_seg_classify - which of the five cases a segment is
 * @seq: its first sequence number
 * @end_seq: one past its last (payload, plus one for FIN)
 * @rcv_nxt: the next byte expected
 * @rcv_wnd: bytes the receiver offered past @rcv_nxt
 *
 * Only for segments that occupy sequence space (@end_seq != @seq).
 *
 * Return: enum nty_seg_case.
 */
static inline enum nty_seg_case nty_seg_classify(u32 seq, u32 end_seq,
						 u32 rcv_nxt, u32 rcv_wnd)
{
	u32 first_new;

	if (!nty_seq_after(end_seq, rcv_nxt))
		return NTY_SEG_DUP;
	first_new = nty_seq_before(seq, rcv_nxt) ? rcv_nxt : seq;
	if (!nty_seq_before(first_new, rcv_nxt + rcv_wnd))
		return NTY_SEG_OUT_OF_WINDOW;
	if (nty_seq_before(seq, rcv_nxt))
		return NTY_SEG_PARTIAL;
	if (seq == rcv_nxt)
		return NTY_SEG_IN_ORDER;
	return NTY_SEG_OFO;
}

/* What tcp_sequence() makes of a segment on a synchronized connection. */
enum nty_seq_verdict {
	NTY_SEQ_OK,		/* acceptable: its ACK, RST, SYN are looked at */
	NTY_SEQ_OLD,		/* ends before the window last advertised */
	NTY_SEQ_BEYOND,		/* starts past the window's right edge */
	NTY_SEQ_END_BEYOND,	/* ends past it while the reader has data */
};

/**
 * nty_seq_check - is a segment within the receive window (tcp_sequence())
 * @seq: its first sequence number
 * @end_seq: one past its last (payload, plus one each for SYN and FIN)
 * @rcv_wup: rcv_nxt when the window was last advertised
 * @rcv_nxt: the next byte expected
 * @rcv_wnd: bytes of the advertised window left past @rcv_nxt
 * @rq_busy: the receive queue holds data for the reader
 *
 * The first check on every segment of a synchronized connection (RFC 9293
 * 3.10.7.4, tcp_validate_incoming()), before its RST, SYN and ACK bits
 * are believed: a forger who does not know where the window is can then
 * acknowledge nothing and change no window.  A segment that starts in the
 * window but ends past it is accepted only while nothing waits for the
 * reader, as TCP does (its excess is trimmed later).
 *
 * Return: enum nty_seq_verdict.
 */
static inline enum nty_seq_verdict nty_seq_check(u32 seq, u32 end_seq,
						 u32 rcv_wup, u32 rcv_nxt,
						 u32 rcv_wnd, bool rq_busy)
{
	if (nty_seq_before(end_seq, rcv_wup))
		return NTY_SEQ_OLD;
	if (nty_seq_after(end_seq, rcv_nxt + rcv_wnd)) {
		if (nty_seq_after(seq, rcv_nxt + rcv_wnd))
			return NTY_SEQ_BEYOND;
		if (rq_busy)
			return NTY_SEQ_END_BEYOND;
	}
	return NTY_SEQ_OK;
}

/**
 * nty_window_from_space - the window to advertise for a free buffer
 * @free: receive buffer bytes not yet charged (sk_rcvbuf - sk_rmem_alloc)
 * @ratio: payload bytes per truesize byte, << 8 (TCP's scaling_ratio):
 *	the buffer is charged by truesize, the window counts payload
 * @mss: the largest segment
 * @max: the largest window the header can carry
 *
 * A window smaller than one segment is advertised as zero (receiver-side
 * silly window avoidance, RFC 1122 4.2.3.3), so that the sender waits for
 * room for a whole segment instead of sending slivers.
 *
 * Return: the window in bytes, a multiple of 1 << NTY_WINDOW_SHIFT.
 */
static inline u32 nty_window_from_space(int free, u32 ratio, u32 mss,
					u32 max)
{
	u64 win;

	if (free <= 0)
		return 0;
	win = ((u64)free * ratio) >> 8;
	if (win < mss)
		return 0;
	win = min_t(u64, win, max);
	return (u32)win & ~((1U << NTY_WINDOW_SHIFT) - 1);
}

/* The largest window the header's 16-bit field can carry. */
#define NTY_MAX_WINDOW		(0xffffU << NTY_WINDOW_SHIFT)

#define NTY_RTO_MIN_US		200000U		/* TCP_RTO_MIN */
#define NTY_RTO_MAX_US		120000000U	/* TCP_RTO_MAX */
#define NTY_RTO_INIT_US		1000000U	/* TCP_TIMEOUT_INIT */

/**
 * nty_rtt_sample - fold one round-trip measurement in (RFC 6298 2.2, 2.3)
 * @rtt: the estimate
 * @m_us: the measurement, in microseconds
 */
static inline void nty_rtt_sample(struct nty_rtt *rtt, u32 m_us)
{
	u32 err;

	if (!m_us)
		m_us = 1;
	if (!rtt->srtt_us) {
		rtt->srtt_us = m_us;
		rtt->rttvar_us = m_us / 2;
	} else {
		err = rtt->srtt_us > m_us ? rtt->srtt_us - m_us
					  : m_us - rtt->srtt_us;
		rtt->rttvar_us = rtt->rttvar_us - rtt->rttvar_us / 4 + err / 4;
		rtt->srtt_us = rtt->srtt_us - rtt->srtt_us / 8 + m_us / 8;
	}
	rtt->rto_us = clamp_t(u64, (u64)rtt->srtt_us + 4ULL * rtt->rttvar_us,
			      NTY_RTO_MIN_US, NTY_RTO_MAX_US);
}

/**
 * nty_rto_backoff - the timeout after @backoff doublings (RFC 6298 5.5)
 * @rto_us: the timeout before backoff
 * @backoff: doublings
 *
 * Return: microseconds, at most NTY_RTO_MAX_US.
 */
static inline u32 nty_rto_backoff(u32 rto_us, unsigned int backoff)
{
	u64 t = (u64)rto_us << min(backoff, 20U);

	return min_t(u64, t, NTY_RTO_MAX_US);
}

/**
 * nty_listen_backlog - the accept queue bound listen() sets (claim C1)
 * @backlog: what the user asked for; negative means "as large as allowed"
 * @somaxconn: the clamp
 *
 * Return: min(@backlog, @somaxconn) with @backlog taken as unsigned, as
 * __sys_listen() does.
 */
static inline unsigned int nty_listen_backlog_clamp(int backlog, int somaxconn)
{
	return min_t(unsigned int, (unsigned int)backlog, somaxconn);
}

/**
 * nty_queue_full - is a SYN or accept queue at its bound
 * @qlen: entries on it
 * @max: its bound
 *
 * The accept queue holds at most @max connections: listen(fd, 4) lets
 * four wait and the fifth overflow (Linux itself admits @max + 1).
 *
 * Return: true when one more entry would not fit.
 */
static inline bool nty_queue_full(unsigned int qlen, unsigned int max)
{
	return qlen >= max;
}

#endif /* _NTY_STREAM_SEQ_H */

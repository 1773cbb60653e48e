/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Congestion control of a stream connection: NewReno (RFC 5681's slow
 * start, congestion avoidance, fast retransmit and fast recovery, with
 * RFC 6582's partial acknowledgments and RFC 3465's byte counting), as
 * pure functions of the state below, so that KUnit can drive them
 * (kunit/stream_test.c).  stream_input.c calls them on every ACK,
 * stream_output.c on a retransmission timeout and before each segment
 * it sends.  Linux's own NewReno is tcp_reno_cong_avoid(),
 * tcp_reno_ssthresh() and tcp_enter_loss() over tcp_cong.c; it counts
 * in segments, these count in bytes, as the RFCs do, because NTY's send
 * queue still holds one skb per write.
 */
#ifndef _NTY_STREAM_CONG_H
#define _NTY_STREAM_CONG_H

#include <linux/minmax.h>
#include <linux/types.h>

/* Segments in the initial window (RFC 6928, TCP_INIT_CWND). */
#define NTY_INIT_CWND		10
/* No threshold yet: slow start until the first loss (TCP_INFINITE_SSTHRESH). */
#define NTY_INFINITE_SSTHRESH	0x7fffffffU

/**
 * enum nty_ca_state - where the sender is in loss recovery
 * @NTY_CA_OPEN: no loss outstanding (TCP_CA_Open)
 * @NTY_CA_RECOVERY: fast recovery after three duplicate ACKs, until
 *	everything sent before it is acknowledged (TCP_CA_Recovery)
 * @NTY_CA_LOSS: resending from the oldest byte, one hole per ACK, after a
 *	retransmission timeout or a window that reopened on data the
 *	receiver had refused (TCP_CA_Loss)
 */
enum nty_ca_state {
	NTY_CA_OPEN,
	NTY_CA_RECOVERY,
	NTY_CA_LOSS,
};

/**
 * struct nty_cong - congestion state of one connection
 * @cwnd: congestion window, bytes; what may be in flight
 * @ssthresh: slow start threshold, bytes
 * @acked: bytes acknowledged in congestion avoidance since @cwnd last
 *	grew (RFC 3465 2.1)
 * @state: enum nty_ca_state
 */
struct nty_cong {
	u32	cwnd;
	u32	ssthresh;
	u32	acked;
	u8	state;
};

/**
 * nty_cong_init - the state of a new connection
 * @c: the state
 * @mss: its largest segment
 */
static inline void nty_cong_init(struct nty_cong *c, u32 mss)
{
	c->cwnd = NTY_INIT_CWND * mss;
	c->ssthresh = NTY_INFINITE_SSTHRESH;
	c->acked = 0;
	c->state = NTY_CA_OPEN;
}

/**
 * nty_cong_loss_ssthresh - the threshold after a loss (RFC 5681 (4))
 * @flight: bytes sent and not yet acknowledged when the loss was seen
 * @mss: the largest segment
 *
 * Return: half of @flight, at least two segments.
 */
static inline u32 nty_cong_loss_ssthresh(u32 flight, u32 mss)
{
	return max(flight / 2, 2 * mss);
}

/**
 * nty_cong_ack - grow the window for new data acknowledged
 * @c: the state, in NTY_CA_OPEN or NTY_CA_LOSS
 * @acked: bytes the ACK acknowledged for the first time
 * @mss: the largest segment
 *
 * Below @ssthresh, slow start: the window grows by what was acknowledged,
 * up to @ssthresh (tcp_slow_start()); what is left over, and everything
 * at or above it, counts toward congestion avoidance, one segment per
 * window of bytes acknowledged (tcp_cong_avoid_ai(), RFC 3465).
 */
static inline void nty_cong_ack(struct nty_cong *c, u32 acked, u32 mss)
{
	u32 inc;

	if (c->cwnd < c->ssthresh) {
		inc = min(acked, c->ssthresh - c->cwnd);
		c->cwnd += inc;
		acked -= inc;
		if (!acked)
			return;
	}
	c->acked += acked;
	while (c->acked >= c->cwnd) {
		c->acked -= c->cwnd;
		c->cwnd += mss;
	}
}

/**
 * nty_cong_enter_recovery - three duplicate ACKs: fast retransmit
 * @c: the state, in NTY_CA_OPEN
 * @flight: bytes in flight
 * @mss: the largest segment
 *
 * RFC 5681 3.2 steps 2 and 3: the threshold halves, and the window is
 * the threshold plus the three segments the duplicate ACKs say have left
 * the network.
 */
static inline void nty_cong_enter_recovery(struct nty_cong *c, u32 flight,
					   u32 mss)
{
	c->ssthresh = nty_cong_loss_ssthresh(flight, mss);
	c->cwnd = c->ssthresh + 3 * mss;
	c->acked = 0;
	c->state = NTY_CA_RECOVERY;
}

/**
 * nty_cong_dupack - one more duplicate ACK in fast recovery
 * @c: the state, in NTY_CA_RECOVERY
 * @mss: the largest segment
 *
 * One more segment has left the network: the window inflates by one, so
 * that new data can keep the ACK clock going (RFC 5681 3.2 step 4).
 */
static inline void nty_cong_dupack(struct nty_cong *c, u32 mss)
{
	c->cwnd += mss;
}

/**
 * nty_cong_partial_ack - an ACK in fast recovery short of the recovery point
 * @c: the state, in NTY_CA_RECOVERY
 * @acked: bytes it acknowledged for the first time
 * @mss: the largest segment
 *
 * RFC 6582 3.2 step 5: deflate by what was acknowledged, add one segment
 * back when at least one was, so that about ssthresh stays in flight
 * when recovery ends.  Never below one segment.
 */
static inline void nty_cong_partial_ack(struct nty_cong *c, u32 acked,
					u32 mss)
{
	c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
	if (acked >= mss)
		c->cwnd += mss;
	c->cwnd = max(c->cwnd, mss);
}

/**
 * nty_cong_full_ack - recovery ends: everything sent before it is acknowledged
 * @c: the state, in NTY_CA_RECOVERY
 * @flight: bytes still in flight after this ACK
 * @mss: the largest segment
 *
 * RFC 6582 3.2 step 6, its first option: the window becomes ssthresh, or
 * what is in flight plus one segment when that is less, so that the end
 * of recovery sends no burst.
 */
static inline void nty_cong_full_ack(struct nty_cong *c, u32 flight, u32 mss)
{
	c->cwnd = min(c->ssthresh, max(flight, mss) + mss);
	c->acked = 0;
	c->state = NTY_CA_OPEN;
}

/**
 * nty_cong_timeout - the retransmission timer fired
 * @c: the state
 * @flight: bytes in flight
 * @mss: the largest segment
 *
 * RFC 5681 3.1 (4) and (5): the window falls to one segment (the loss
 * window) and slow start begins again.  The threshold halves on the first
 * timeout only: once the head was resent by the timer, or fast recovery
 * already halved it, it holds (as tcp_enter_loss() keeps it).
 */
static inline void nty_cong_timeout(struct nty_cong *c, u32 flight, u32 mss)
{
	if (c->state == NTY_CA_OPEN)
		c->ssthresh = nty_cong_loss_ssthresh(flight, mss);
	c->cwnd = mss;
	c->acked = 0;
	c->state = NTY_CA_LOSS;
}

/**
 * nty_cong_room - may a segment go out now
 * @c: the state
 * @flight: bytes in flight before it
 * @len: its length
 *
 * Nothing in flight always allows one segment, so that a window smaller
 * than a segment cannot stall the connection.
 *
 * Return: true when @flight plus @len fits in the window.
 */
static inline bool nty_cong_room(const struct nty_cong *c, u32 flight, u32 len)
{
	return !flight || flight + len <= c->cwnd;
}

#endif /* _NTY_STREAM_CONG_H */

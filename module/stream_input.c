// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 8 for stream sockets, as tcp_v4_rcv() and tcp_input.c do
 * them: which of the three socket queues a segment takes, then the
 * protocol work on it.
 *
 * From softirq a segment goes to the socket backlog while the user owns
 * the socket (claim C8); to the prequeue while a reader sleeps in
 * recvmsg() and the prequeue sysctl is 1, so that the reader does the
 * protocol work in its own context (claim C7, as Linux before 4.14);
 * otherwise it is processed at once.  Processing acknowledges the send
 * queue, updates the peer's window, then files the payload under one of
 * the five receive cases (claim C11).
 */
#include <linux/etherdevice.h>
#include <net/sock.h>

#include "stream.h"
#include "observe.h"
#include "trace.h"

/**
 * nty_stream_consume - the protocol used a segment and is done with it
 * @sk: the connection
 * @skb: the segment; freed
 */
void nty_stream_consume(struct sock *sk, struct sk_buff *skb)
{
	NTY_ADD_STATS(sock_net(sk), IN_DELIVERS, nty_skb_segs(skb));
	consume_skb(skb);
}

/* Wake the sleeping reader once, for the first segment of a batch. */
static void nty_prequeue_wake(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_sync_poll(&wq->wait,
						EPOLLIN | EPOLLRDNORM);
	rcu_read_unlock();
}

/*
 * tcp_prequeue() of Linux 4.13: leave the segment to the reader sleeping
 * in recvmsg().  Past a receive buffer's worth the softirq processes the
 * lot itself, as the old code did (PrequeueOverflow).
 */
static bool nty_prequeue(struct sock *sk, struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct net *net = sock_net(sk);
	struct sk_buff *skb1;

	/* Only where data may still come: not for handshakes or closes. */
	if (!ts->ucopy_task || !READ_ONCE(nty_pernet(net)->prequeue) ||
	    !((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)))
		return false;

	__skb_queue_tail(&ts->prequeue, skb);
	ts->prequeue_mem += skb->truesize;
	NTY_INC_STATS(net, PREQUEUE_QUEUED);
	trace_nty_sock_enqueue(sk, skb, NTY_Q_PREQUEUE);
	if (ts->prequeue_mem > READ_ONCE(sk->sk_rcvbuf)) {
		while ((skb1 = __skb_dequeue(&ts->prequeue))) {
			NTY_INC_STATS(net, PREQUEUE_OVERFLOW);
			nty_stream_do_rcv(sk, skb1);
		}
		ts->prequeue_mem = 0;
	} else if (skb_queue_len(&ts->prequeue) == 1) {
		trace_nty_wakeup(sk);
		nty_prequeue_wake(sk);
	}
	return true;
}

/**
 * nty_stream_prequeue_process - the reader does the softirq's work
 * @sk: the connection, owned by the caller (the woken reader)
 *
 * Bottom halves are off, as in tcp_prequeue_process(), so that the work
 * runs as it would have in softirq, only on the reader's time.
 */
void nty_stream_prequeue_process(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct net *net = sock_net(sk);
	struct sk_buff *skb;

	local_bh_disable();
	while ((skb = __skb_dequeue(&ts->prequeue))) {
		NTY_INC_STATS(net, PREQUEUE_PROCESSED);
		nty_stream_do_rcv(sk, skb);
	}
	ts->prequeue_mem = 0;
	local_bh_enable();
}

/* The socket's spinlock is held and no user owns it. */
static int nty_stream_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	if (!nty_prequeue(sk, skb))
		nty_stream_do_rcv(sk, skb);
	return 0;
}

/**
 * __nty_stream_rcv - hand a segment to a stream socket
 * @sk: the socket, referenced by the caller
 * @skb: the segment, data at the payload; consumed
 * @subclass: lockdep subclass of @sk's spinlock: 0 from demux,
 *	SINGLE_DEPTH_NESTING for a listener's child while the listener's
 *	own spinlock is held (the two are the same lock class)
 *
 * Return: 0, -EPERM when the socket's filter dropped it, or -ENOBUFS when
 * the socket backlog was full.
 */
int __nty_stream_rcv(struct sock *sk, struct sk_buff *skb, int subclass)
{
	/*
	 * What tcp_add_backlog() allows: the backlog's length is reset only
	 * once release_sock() has drained it all, while the receive queue
	 * fills from it, and a train (gso.c) brings 64 KB at once.
	 */
	u64 limit = ((u64)READ_ONCE(sk->sk_rcvbuf) << 1) +
		    ((u32)READ_ONCE(sk->sk_sndbuf) >> 1) + 64 * 1024;

	return nty_sock_receive(sk, skb, subclass, min_t(u64, limit, UINT_MAX),
				nty_stream_rcv_skb);
}

/**
 * nty_stream_rcv - hand a segment to a stream socket, from demux
 * @sk: the socket, referenced by the caller
 * @skb: the segment, data at the payload; consumed
 *
 * Return: as __nty_stream_rcv().
 */
int nty_stream_rcv(struct sock *sk, struct sk_buff *skb)
{
	return __nty_stream_rcv(sk, skb, 0);
}

/**
 * nty_stream_reset - the peer reset the connection
 * @sk: the connection
 */
void nty_stream_reset(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		WRITE_ONCE(sk->sk_err, ECONNREFUSED);
		NTY_INC_STATS(sock_net(sk), ATTEMPT_FAILS);
		break;
	case TCP_CLOSE_WAIT:
		WRITE_ONCE(sk->sk_err, EPIPE);
		break;
	default:
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	}
	sk_error_report(sk);
	nty_stream_done(sk);
}

/* The peer's FIN, in sequence: no more bytes will come. */
static void nty_stream_fin(struct sock *sk)
{
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		nty_stream_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* Our FIN is not acknowledged yet: simultaneous close. */
		nty_stream_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		nty_stream_set_state(sk, TCP_TIME_WAIT);
		break;
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	}
}

/*
 * tcp_try_coalesce(): append an in-order segment to the receive queue's
 * last skb, which it follows byte for byte, so that a stream of small
 * writes costs the buffer its bytes rather than an skb each (a 64-byte
 * segment from virtio-net costs about 1 KB of truesize on its own).  Only
 * the growth of the last skb is charged.
 */
static bool nty_stream_try_coalesce(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff *to = skb_peek_tail(&sk->sk_receive_queue);
	struct nty_seg *seg = NTY_SEG_CB(skb), *tseg;
	bool fragstolen;
	int delta;

	if (!to)
		return false;
	tseg = NTY_SEG_CB(to);
	if (seg->seq != tseg->end_seq || (tseg->flags & NTY_F_FIN) ||
	    !skb_try_coalesce(to, skb, &fragstolen, &delta))
		return false;
	atomic_add(delta, &sk->sk_rmem_alloc);
	sk_mem_charge(sk, delta);
	tseg->end_seq = seg->end_seq;
	tseg->flags |= seg->flags;
	NTY_INC_STATS(sock_net(sk), RCV_COALESCE);
	trace_nty_sock_enqueue(sk, skb, NTY_Q_RECEIVE);
	kfree_skb_partial(skb, fragstolen);
	return true;
}

/*
 * Put an in-order segment on the receive queue, charged by truesize
 * (or appended to the last skb there).
 * Return: false when the buffer is full (the segment is dropped).
 */
static bool nty_stream_queue_rcv(struct sock *sk, struct sk_buff *skb,
				 bool *fin)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct nty_seg *seg = NTY_SEG_CB(skb);
	u32 old = ts->rcv_nxt - seg->seq;

	ts->rcv_nxt = seg->end_seq;
	*fin |= seg->flags & NTY_F_FIN;
	/* Nothing new but the FIN: the payload was all received before. */
	if (skb->len <= old) {
		nty_stream_consume(sk, skb);
		return true;
	}
	NTY_ADD_STATS(sock_net(sk), IN_DELIVERS, nty_skb_segs(skb));
	if (nty_stream_try_coalesce(sk, skb))
		return true;
	skb_set_owner_r(skb, sk);
	skb_queue_tail(&sk->sk_receive_queue, skb);
	trace_nty_sock_enqueue(sk, skb, NTY_Q_RECEIVE);
	return true;
}

/* The gap closed: move what the out-of-order queue holds in sequence. */
static void nty_stream_ofo_drain(struct sock *sk, bool *fin)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct sk_buff *skb;
	struct nty_seg *seg;
	u32 old;

	while ((skb = skb_peek(&ts->ofo_queue))) {
		seg = NTY_SEG_CB(skb);
		if (nty_seq_after(seg->seq, ts->rcv_nxt))
			break;
		__skb_unlink(skb, &ts->ofo_queue);
		if (!nty_seq_after(seg->end_seq, ts->rcv_nxt)) {
			/*
			 * Covered by what came in order meanwhile; it was
			 * counted delivered when it was held.
			 */
			consume_skb(skb);
			continue;
		}
		/*
		 * Its first @old bytes came in order meanwhile.  They stay in
		 * the skb (which may be non-linear) and recvmsg() skips them
		 * by sequence number, as tcp_recvmsg() does.
		 */
		old = ts->rcv_nxt - seg->seq;
		ts->rcv_nxt = seg->end_seq;
		*fin |= seg->flags & NTY_F_FIN;
		if (skb->len <= old) {
			consume_skb(skb);	/* only a FIN was left */
			continue;
		}
		skb_queue_tail(&sk->sk_receive_queue, skb);
		trace_nty_sock_enqueue(sk, skb, NTY_Q_RECEIVE);
	}
}

/* Learn how much payload a truesize byte carries (TCP's scaling_ratio). */
static void nty_stream_rcv_ratio(struct nty_stream_sock *ts,
				 const struct sk_buff *skb)
{
	u32 r;

	if (skb->len < 512 || !skb->truesize)
		return;
	r = clamp_t(u32, ((u64)skb->len << 8) / skb->truesize, 16, 255);
	ts->rcv_ratio = (ts->rcv_ratio * 7 + r) / 8;
}

/*
 * Hold a segment past a gap, in order, until the gap fills.  A segment
 * held whole already is a duplicate, dropped while its cb still holds the
 * addresses (its journey and drop record them); a kept one has its cb
 * rewritten as the sequence space it covers.
 */
static void nty_stream_ofo_queue(struct sock *sk, struct sk_buff *skb,
				 u32 seq, u32 end_seq, u8 flags)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct sk_buff *skb1, *after = NULL;
	struct nty_seg *seg, *s1;

	skb_queue_reverse_walk(&ts->ofo_queue, skb1) {
		s1 = NTY_SEG_CB(skb1);
		if (!nty_seq_after(s1->seq, seq)) {
			if (!nty_seq_after(end_seq, s1->end_seq)) {
				/* Wholly held already: a duplicate. */
				nty_sk_drop(sk, skb, NTY_DROP_DUP_SEG);
				return;
			}
			after = skb1;
			break;
		}
	}
	if (nty_journeys_on())
		nty_journey_deliver(sk, skb, NTY_Q_OFO);
	seg = NTY_SEG_CB(skb);
	seg->seq = seq;
	seg->end_seq = end_seq;
	seg->flags = flags;
	nty_stream_rcv_ratio(ts, skb);
	if (after)
		__skb_queue_after(&ts->ofo_queue, after, skb);
	else
		__skb_queue_head(&ts->ofo_queue, skb);
	skb_set_owner_r(skb, sk);
	NTY_INC_STATS(sock_net(sk), OFO_QUEUED);
	NTY_ADD_STATS(sock_net(sk), IN_DELIVERS, nty_skb_segs(skb));
	trace_nty_sock_enqueue(sk, skb, NTY_Q_OFO);
}

/*
 * As tcp_oow_rate_limited(): an ACK that answers a segment which is
 * itself only an ACK (or a SYN) goes out at most once per
 * invalid_ratelimit ms, so that two ends that disagree cannot keep each
 * other answering forever, and a forger gets no echo at line rate.  A
 * segment with data is never part of such a loop: it always gets its ACK.
 */
static bool nty_oow_rate_limited(struct sock *sk, const struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct net *net = sock_net(sk);
	unsigned long now = jiffies, gap;

	if ((skb->len || (nty_hdr(skb)->flags & NTY_F_FIN)) &&
	    !(nty_hdr(skb)->flags & NTY_F_SYN))
		return false;
	gap = msecs_to_jiffies(READ_ONCE(nty_pernet(net)->invalid_ratelimit));
	if (ts->last_oow_ack && gap && time_before(now, ts->last_oow_ack + gap)) {
		NTY_INC_STATS(net, ACKS_RATELIMITED);
		return true;
	}
	ts->last_oow_ack = now ?: 1;
	return false;
}

/* The ACK that tells the sender of an unacceptable segment where we are. */
static void nty_stream_send_dupack(struct sock *sk, const struct sk_buff *skb)
{
	if (!nty_oow_rate_limited(sk, skb))
		nty_stream_send_ack(sk);
}

/*
 * RFC 5961's challenge ACK (tcp_send_challenge_ack()): a RST or SYN that
 * is not exactly where we are, or an ACK outside what we sent, is
 * answered with our state; a real peer then sends an exact RST, a blind
 * forger learns nothing it can use.
 */
static void nty_stream_challenge_ack(struct sock *sk,
				     const struct sk_buff *skb)
{
	if (nty_oow_rate_limited(sk, skb))
		return;
	NTY_INC_STATS(sock_net(sk), CHALLENGE_ACKS);
	nty_stream_send_ack(sk);
}

/*
 * tcp_prune_ofo_queue(): the bytes at rcv_nxt found no room because
 * segments held past the hole fill the buffer, so the hole could never
 * fill and the connection would stall for good (a peer can do this on
 * purpose, or a window that promised more than small segments cost).
 * Drop held segments from the far end until @skb fits and the window is
 * open again; the sender sends them again.
 * Return: true if anything was dropped.
 */
static bool nty_stream_prune_ofo(struct sock *sk, const struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	int need = skb->truesize + 2 * nty_seg_truesize(ts);
	struct sk_buff *last;
	bool pruned = false;

	/*
	 * Room for @skb and two segments more, so that the window reopens
	 * by an MSS at least, whatever the rounding of its field.
	 */
	while ((last = skb_peek_tail(&ts->ofo_queue)) &&
	       atomic_read(&sk->sk_rmem_alloc) + need >
	       READ_ONCE(sk->sk_rcvbuf)) {
		__skb_unlink(last, &ts->ofo_queue);
		/*
		 * Its journey ended at the out-of-order queue, and its cb
		 * holds sequence numbers where the addresses were.
		 */
		nty_stamp_forget(last);
		nty_sk_drop(sk, last, NTY_DROP_OFO_PRUNE);
		pruned = true;
	}
	if (pruned)
		sk_mem_reclaim(sk);
	return pruned;
}

/* Does @skb fill the hole at rcv_nxt? */
static bool nty_stream_at_hole(const struct nty_stream_sock *ts, u32 seq,
			       u32 end_seq)
{
	return !skb_queue_empty(&ts->ofo_queue) &&
	       !nty_seq_after(seq, ts->rcv_nxt) &&
	       nty_seq_after(end_seq, ts->rcv_nxt);
}

/*
 * The payload (and FIN) of a segment on a synchronized connection: the
 * five receive cases (claim C11), each with its counter.
 * Returns true when it queued data (or a FIN) for the reader.
 */
static bool __nty_stream_data(struct sock *sk, struct sk_buff *skb, bool more)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	const struct ntyhdr *th = nty_hdr(skb);
	struct net *net = sock_net(sk);
	u32 seq = ntohl(th->seq), end_seq, wnd = nty_rcv_wnd_left(ts);
	enum nty_drop_kind_id kind;
	u8 flags = th->flags;
	struct nty_seg *seg;
	bool fin = false, now;

	end_seq = seq + skb->len + !!(flags & NTY_F_FIN);
	/* A FIN needs no window: it takes no buffer. */
	if (skb->len == 0 && (flags & NTY_F_FIN) && !wnd)
		wnd = 1;

	switch (nty_seg_classify(seq, end_seq, ts->rcv_nxt, wnd)) {
	case NTY_SEG_DUP:
		nty_stream_send_dupack(sk, skb);
		nty_sk_drop(sk, skb, NTY_DROP_DUP_SEG);
		return false;
	case NTY_SEG_OUT_OF_WINDOW:
		/*
		 * The hole's bytes, refused because out-of-order data took
		 * the window: make room, so that the ACK reopens it.
		 */
		if (nty_stream_at_hole(ts, seq, end_seq))
			nty_stream_prune_ofo(sk, skb);
		nty_stream_send_dupack(sk, skb);
		nty_sk_drop(sk, skb, NTY_DROP_OUT_OF_WINDOW);
		return false;
	case NTY_SEG_PARTIAL:
		/*
		 * Queued whole with its own @seq; the old bytes are skipped
		 * by sequence number.  Only the header is sure to be linear:
		 * __skb_pull() past it would BUG on a paged frame.
		 */
		NTY_INC_STATS(net, PARTIAL_DUP_SEGS);
		fallthrough;
	case NTY_SEG_IN_ORDER:
		break;
	case NTY_SEG_OFO:
		kind = nty_rmem_check(sk, skb);
		if (kind != __NTY_DROP_MAX) {
			atomic_inc(&sk->sk_drops);
			nty_sk_drop(sk, skb, kind);
		} else {
			nty_stream_ofo_queue(sk, skb, seq, end_seq, flags);
		}
		/* A duplicate ACK tells the sender where the hole is. */
		nty_stream_send_ack(sk);
		return false;
	}

	kind = skb->len ? nty_rmem_check(sk, skb) : __NTY_DROP_MAX;
	if (kind != __NTY_DROP_MAX && nty_stream_at_hole(ts, seq, end_seq) &&
	    nty_stream_prune_ofo(sk, skb))
		kind = nty_rmem_check(sk, skb);
	if (kind != __NTY_DROP_MAX) {
		atomic_inc(&sk->sk_drops);
		nty_sk_drop(sk, skb, kind);
		nty_stream_send_ack(sk);
		return false;
	}
	nty_stream_rcv_ratio(ts, skb);
	/* The journey records the addresses before the cb is reused. */
	if (nty_journeys_on() && skb->len)
		nty_journey_deliver(sk, skb, NTY_Q_RECEIVE);
	seg = NTY_SEG_CB(skb);
	seg->seq = seq;
	seg->end_seq = end_seq;
	seg->flags = flags;
	nty_stream_queue_rcv(sk, skb, &fin);
	/* A gap just filled: the sender waits for this ACK to go on. */
	now = !skb_queue_empty(&ts->ofo_queue);
	if (now)
		nty_stream_ofo_drain(sk, &fin);
	if (fin)
		nty_stream_fin(sk);
	nty_stream_ack_snd_check(sk, now || fin, more);
	return true;
}

/*
 * The five receive cases, then the reader's wake-up: one per train
 * (gso.c), after its last segment, as GRO gives TCP one per merged
 * segment; at once for a segment that came on its own.
 */
static void nty_stream_data(struct sock *sk, struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	bool more = NTY_SKB_CB(skb)->gso_more;

	if (__nty_stream_data(sk, skb, more))
		ts->wake_pending = true;
	if (more || !ts->wake_pending)
		return;
	ts->wake_pending = false;
	if (!sock_flag(sk, SOCK_DEAD)) {
		trace_nty_wakeup(sk);
		sk->sk_data_ready(sk);
	}
}

/* Free what the ACK covers; FIN's ACK moves the closing states on. */
static void nty_stream_clean_rtx(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct sk_buff *skb;

	while ((skb = skb_peek(&sk->sk_write_queue)) && skb != ts->send_head) {
		if (nty_seq_after(NTY_SEG_CB(skb)->end_seq, ts->snd_una))
			break;
		__skb_unlink(skb, &sk->sk_write_queue);
		nty_wmem_free_skb(sk, skb);
	}
}

static void nty_stream_fin_acked(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		nty_stream_set_state(sk, TCP_FIN_WAIT2);
		sk->sk_state_change(sk);
		if (sock_flag(sk, SOCK_DEAD))
			nty_stream_arm_timer(sk, nty_fin_timeout(sk));
		break;
	case TCP_CLOSING:
		nty_stream_set_state(sk, TCP_TIME_WAIT);
		break;
	case TCP_LAST_ACK:
		nty_stream_done(sk);
		break;
	}
}

/*
 * The window reopened on data the receiver had no room for: resend it
 * now rather than after the backed-off timeout, and recover the rest one
 * hole per ACK.
 */
static void nty_stream_window_reopened(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);

	ts->backoff = 0;
	if (ts->snd_una == ts->snd_nxt)
		return;
	/* Not a congestion signal: the window and threshold stay. */
	if (ts->cong.state == NTY_CA_OPEN)
		ts->cong.state = NTY_CA_LOSS;
	ts->recover = ts->snd_nxt;
	ts->dupacks = 0;
	nty_stream_retransmit_head(sk);
	nty_stream_arm_timer(sk, usecs_to_jiffies(ts->rtt.rto_us));
}

/*
 * New data acknowledged: the congestion window and loss recovery move on
 * (tcp_fastretrans_alert() and tcp_cong_control() for NewReno).  In fast
 * recovery an ACK short of @recover is partial: the next hole is resent
 * at once and the window deflates; one at or past it ends recovery.
 * After a timeout the window grows by slow start while the holes are
 * resent one per ACK.
 */
static void nty_stream_cong_ack(struct sock *sk, u32 ack, u32 acked)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	u32 flight = ts->snd_nxt - ack;

	switch (ts->cong.state) {
	case NTY_CA_RECOVERY:
		if (nty_seq_before(ack, ts->recover)) {
			nty_cong_partial_ack(&ts->cong, acked, ts->mss);
			nty_stream_retransmit_head(sk);
		} else {
			nty_cong_full_ack(&ts->cong, flight, ts->mss);
		}
		break;
	case NTY_CA_LOSS:
		nty_cong_ack(&ts->cong, acked, ts->mss);
		if (nty_seq_before(ack, ts->recover))
			nty_stream_retransmit_head(sk);
		else
			ts->cong.state = NTY_CA_OPEN;
		break;
	default:
		nty_cong_ack(&ts->cong, acked, ts->mss);
	}
}

/*
 * The acknowledgment and window of a segment (tcp_ack()).  An ACK is
 * acceptable from snd_una less the largest window the peer offered up to
 * snd_nxt, which never moves back (RFC 5961 5.2); older ones are
 * answered with a challenge ACK and dropped, newer ones too.
 * Return: false when the segment must go no further.
 */
static bool nty_stream_ack(struct sock *sk, struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	const struct ntyhdr *th = nty_hdr(skb);
	u32 ack = ntohl(th->ack_seq), seq = ntohl(th->seq);
	u32 wnd = (u32)ntohs(th->window) << NTY_WINDOW_SHIFT;
	bool dup, reopened = false;

	if (nty_seq_after(ack, ts->snd_nxt)) {
		/* Acknowledges what we never sent. */
		nty_stream_challenge_ack(sk, skb);
		nty_sk_drop(sk, skb, NTY_DROP_ACK_UNSENT);
		return false;
	}
	if (nty_seq_before(ack, ts->snd_una - ts->max_window)) {
		nty_stream_challenge_ack(sk, skb);
		nty_sk_drop(sk, skb, NTY_DROP_ACK_TOO_OLD);
		return false;
	}
	/* An old ACK (reordered): its data counts, its window does not. */
	if (nty_seq_before(ack, ts->snd_una))
		return true;
	ts->rcv_tstamp = jiffies;
	ts->probes_out = 0;

	dup = ack == ts->snd_una && !skb->len && !(th->flags & NTY_F_FIN) &&
	      ts->snd_una != ts->snd_nxt && wnd == ts->snd_wnd;

	if (nty_seq_after(seq, ts->snd_wl1) ||
	    (seq == ts->snd_wl1 && !nty_seq_before(ack, ts->snd_wl2))) {
		reopened = wnd && !ts->snd_wnd && ack == ts->snd_una;
		if (wnd > ts->snd_wnd && ts->send_head &&
		    ts->snd_una == ts->snd_nxt)
			ts->backoff = 0;	/* the window reopened */
		ts->snd_wnd = wnd;
		ts->max_window = max(ts->max_window, wnd);
		ts->snd_wl1 = seq;
		ts->snd_wl2 = ack;
	}

	if (nty_seq_after(ack, ts->snd_una)) {
		u32 acked = ack - ts->snd_una;

		ts->snd_una = ack;
		if (ts->rtt_start_us && !nty_seq_before(ack, ts->rtt_seq)) {
			nty_rtt_sample(&ts->rtt,
				       div_u64(ktime_get_ns(), NSEC_PER_USEC) -
				       ts->rtt_start_us);
			ts->rtt_start_us = 0;
		}
		ts->backoff = 0;
		ts->dupacks = 0;
		nty_stream_clean_rtx(sk);
		nty_stream_cong_ack(sk, ack, acked);
		if (ts->snd_una == ts->snd_nxt)
			sk_stop_timer(sk, &sk->sk_timer);
		else
			nty_stream_arm_timer(sk, usecs_to_jiffies(ts->rtt.rto_us));
		if (ts->fin_sent && ack == ts->write_seq)
			nty_stream_fin_acked(sk);
		if (sk->sk_socket &&
		    test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
			sk->sk_write_space(sk);
	} else if (reopened) {
		nty_stream_window_reopened(sk);
	} else if (dup && ++ts->dupacks == 3 &&
		   ts->cong.state == NTY_CA_OPEN) {
		/* Three duplicate ACKs: the head was lost (fast retransmit). */
		nty_cong_enter_recovery(&ts->cong, ts->snd_nxt - ts->snd_una,
					ts->mss);
		ts->recover = ts->snd_nxt;
		NTY_INC_STATS(sock_net(sk), FAST_RETRANS);
		NTY_INC_STATS(sock_net(sk), RENO_RECOVERY);
		nty_stream_retransmit_head(sk);
	} else if (dup && ts->dupacks > 3 &&
		   ts->cong.state == NTY_CA_RECOVERY) {
		/* Another segment left the network: room for new data. */
		nty_cong_dupack(&ts->cong, ts->mss);
	}
	/*
	 * A window that closed on data in flight changes nothing here: the
	 * receiver may still take it, so snd_nxt stays where it is (as TCP's
	 * does) and the retransmission timer probes with that data.
	 */
	return true;
}

/* SYN_SENT: the answer to our SYN (tcp_rcv_synsent_state_process()). */
static void nty_stream_synsent_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	const struct ntyhdr *th = nty_hdr(skb);
	u32 ack = ntohl(th->ack_seq);
	u8 flags = th->flags;

	if ((flags & NTY_F_ACK) && ack != ts->iss + 1) {
		if (!(flags & NTY_F_RST))
			nty_send_ctl(sock_net(sk), ts->ns.difindex,
				     ts->ns.daddr, ts->ns.sport, ts->ns.dport,
				     ack, 0, NTY_F_RST, 0);
		nty_sk_drop(sk, skb, NTY_DROP_BAD_SEG);
		return;
	}
	if (flags & NTY_F_RST) {
		if (flags & NTY_F_ACK)
			nty_stream_reset(sk);
		nty_stream_consume(sk, skb);
		return;
	}
	if (!(flags & NTY_F_SYN) || !(flags & NTY_F_ACK)) {
		nty_sk_drop(sk, skb, NTY_DROP_BAD_SEG);
		return;
	}

	ts->rcv_nxt = ntohl(th->seq) + 1;
	ts->copied_seq = ts->rcv_nxt;
	ts->rcv_wup = ts->rcv_nxt;
	ts->snd_una = ack;
	ts->snd_wnd = (u32)ntohs(th->window) << NTY_WINDOW_SHIFT;
	ts->max_window = ts->snd_wnd;
	ts->rcv_tstamp = jiffies;
	ts->snd_wl1 = ntohl(th->seq);
	ts->snd_wl2 = ack;
	if (ts->rtt_start_us)
		nty_rtt_sample(&ts->rtt, div_u64(ktime_get_ns(), NSEC_PER_USEC) -
				       ts->rtt_start_us);
	ts->rtt_start_us = 0;
	ts->backoff = 0;
	sk_stop_timer(sk, &sk->sk_timer);
	nty_stream_set_state(sk, TCP_ESTABLISHED);
	nty_stream_send_ack(sk);
	nty_stream_consume(sk, skb);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
	nty_stream_push(sk);
}

/*
 * tcp_reset_check(): after the peer's FIN, a RST may carry the FIN's own
 * sequence number (rcv_nxt - 1); it resets in the states that received
 * a FIN.
 */
static bool nty_stream_reset_check(const struct sock *sk, u32 seq)
{
	return seq == nty_ts(sk)->rcv_nxt - 1 &&
	       (1 << sk->sk_state) & (TCPF_CLOSE_WAIT | TCPF_LAST_ACK |
				      TCPF_CLOSING);
}

/**
 * nty_stream_do_rcv - the protocol work on one segment
 * @sk: the socket, exclusively ours: softirq with the socket spinlock
 *	and no owner, or the owner (backlog or prequeue processing)
 * @skb: the segment, cb holding its addresses; consumed
 *
 * Return: 0 (the socket backlog's convention).
 */
int nty_stream_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct ntyhdr *th = nty_hdr(skb);
	struct net *net = sock_net(sk);
	enum nty_seq_verdict verdict;
	struct nty_stream_sock *ts;
	u8 flags = th->flags;
	u32 seq, end_seq, wnd;

	lockdep_assert(lockdep_sock_is_held(sk));

	switch (sk->sk_state) {
	case TCP_LISTEN:
		nty_listen_rcv(sk, skb);
		return 0;
	case TCP_SYN_SENT:
		nty_stream_synsent_rcv(sk, skb);
		return 0;
	case TCP_CLOSE:
		nty_stream_reply_rst(net, skb);
		nty_sk_drop(sk, skb, NTY_DROP_NO_CONNECTION);
		return 0;
	}

	/*
	 * tcp_validate_incoming()'s order: the sequence number first, then
	 * RST, then SYN, then the ACK (nty_stream_ack()).  Nothing of a
	 * segment outside the window is believed: a blind forger who puts a
	 * plausible ACK or window on it changes nothing and draws a
	 * duplicate ACK (a RST draws nothing).
	 */
	ts = nty_ts(sk);
	seq = ntohl(th->seq);
	end_seq = seq + skb->len + !!(flags & NTY_F_SYN);
	wnd = nty_rcv_wnd_left(ts);
	/*
	 * A FIN takes no buffer, so a bare one needs no window (as in
	 * __nty_stream_data()): a reader that stopped still learns of it.
	 */
	if (flags & NTY_F_FIN) {
		end_seq++;
		if (!skb->len && !wnd)
			wnd = 1;
	}
	verdict = nty_seq_check(seq, end_seq, ts->rcv_wup, ts->rcv_nxt, wnd,
				!skb_queue_empty(&sk->sk_receive_queue));
	if (verdict != NTY_SEQ_OK) {
		if (flags & NTY_F_RST) {
			if (nty_stream_reset_check(sk, seq))
				goto reset;
			nty_sk_drop(sk, skb, NTY_DROP_RST_SEQ);
			return 0;
		}
		if (!(flags & NTY_F_SYN)) {
			nty_stream_send_dupack(sk, skb);
			nty_sk_drop(sk, skb, verdict == NTY_SEQ_OLD ?
					     NTY_DROP_DUP_SEG :
					     NTY_DROP_OUT_OF_WINDOW);
			return 0;
		}
	} else if (flags & NTY_F_RST) {
		/*
		 * RFC 5961 3.2: only a RST exactly at rcv_nxt resets; one
		 * elsewhere in the window gets a challenge ACK, which a real
		 * peer answers with an exact RST.
		 */
		if (seq == ts->rcv_nxt || nty_stream_reset_check(sk, seq))
			goto reset;
		nty_stream_challenge_ack(sk, skb);
		nty_sk_drop(sk, skb, NTY_DROP_RST_SEQ);
		return 0;
	}
	if (flags & NTY_F_SYN) {
		/*
		 * RFC 5961 4.2: a SYN on a synchronized connection, in the
		 * window or not, gets a challenge ACK, never a reset.  It is
		 * also how the peer's resent SYN-ACK (our ACK was lost) is
		 * answered.
		 */
		nty_stream_challenge_ack(sk, skb);
		nty_sk_drop(sk, skb, NTY_DROP_SYN_SYNCED);
		return 0;
	}
	if (!(flags & NTY_F_ACK)) {
		nty_sk_drop(sk, skb, NTY_DROP_BAD_SEG);
		return 0;
	}
	if (!nty_stream_ack(sk, skb))
		return 0;
	if (sk->sk_state == TCP_CLOSE) {
		/* The ACK of our last FIN: nothing more to do. */
		nty_stream_consume(sk, skb);
		return 0;
	}

	if (skb->len || (flags & NTY_F_FIN)) {
		nty_stream_data(sk, skb);
	} else {
		/* A window probe, or any ACK from the past: answer it. */
		if (nty_seq_before(seq, ts->rcv_nxt))
			nty_stream_send_dupack(sk, skb);
		nty_stream_consume(sk, skb);
	}
	nty_stream_push(sk);
	return 0;

reset:
	nty_stream_reset(sk);
	nty_stream_consume(sk, skb);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The send side of stream sockets, as tcp_output.c and tcp_timer.c: the
 * send queue that keeps every segment until it is acknowledged (claim
 * C3), the window the receiver advertises (claim C2), control segments,
 * and the one timer a connection has: retransmission with exponential
 * backoff, window probes, SYN retries, FIN_WAIT2 and TIME_WAIT.
 *
 * A segment on the send queue is a linear skb holding its payload, with
 * headroom for the headers and its sequence numbers in the cb.  Sending
 * it sends a clone with the header pushed in front, as TCP does, so the
 * original stays queued; a copy instead while an earlier clone is still
 * alive (on a qdisc, or queued at a receiver that shares the buffer).
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <net/sock.h>

#include "stream.h"
#include "trace.h"

/* Headroom every NTY segment is built with: link header, NTY header. */
#define NTY_TX_HEADROOM		(LL_MAX_HEADER + NTY_HLEN)

/**
 * nty_stream_mss - the largest payload a segment on @ifindex may carry
 * @net: the namespace
 * @ifindex: the interface
 *
 * Return: the MSS, or 0 when the interface is gone or cannot carry NTY.
 */
int nty_stream_mss(struct net *net, int ifindex)
{
	struct net_device *dev;
	int mss = 0;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	if (dev && (dev->type == ARPHRD_ETHER || dev->type == ARPHRD_LOOPBACK))
		mss = min_t(int, dev->mtu, NTY_MAX_LEN) - NTY_HLEN;
	rcu_read_unlock();
	return mss > 0 ? mss : 0;
}

/**
 * nty_window_now - the window the free receive buffer allows now
 * @sk: the connection
 * @room: if not NULL, set to the buffer bytes not yet charged
 *
 * Segments waiting on the socket backlog will be charged too: the window
 * leaves room for them, or the sender fills the backlog past its bound.
 *
 * Return: the window in bytes (see nty_window_from_space()).
 */
u32 nty_window_now(const struct sock *sk, int *room)
{
	const struct nty_stream_sock *ts = nty_ts(sk);
	int r = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);

	if (room)
		*room = r;
	return nty_window_from_space(r - READ_ONCE(sk->sk_backlog.len),
				     ts->rcv_ratio, ts->mss ?: 1,
				     NTY_MAX_WINDOW);
}

/**
 * nty_select_window - the window to advertise now, and remember it
 * @sk: the connection
 *
 * The window is the free receive buffer, in payload bytes (claim C2).
 * While there is room for a segment its right edge never moves left:
 * bytes offered once stay offered, as RFC 9293 3.8.6 asks.  A zero window is counted
 * in ZeroWindowAdv.
 *
 * Return: the header's window field (bytes >> NTY_WINDOW_SHIFT).
 */
u16 nty_select_window(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	u32 cur = nty_rcv_wnd_left(ts), win;
	int room;

	lockdep_assert(lockdep_sock_is_held(sk));

	win = nty_window_now(sk, &room);
	/*
	 * Only a buffer without room for one more segment takes back what
	 * was offered (the buffer shrank under SO_RCVBUF, or truesize outgrew
	 * the estimate); the sender then falls back to probing.
	 */
	if (win < cur && room > nty_seg_truesize(ts))
		win = ALIGN(cur, 1U << NTY_WINDOW_SHIFT);
	ts->rcv_wnd = win;
	ts->rcv_wup = ts->rcv_nxt;
	/* Every segment that advertises a window acknowledges rcv_nxt. */
	ts->ack_pending = false;
	if (!win)
		NTY_INC_STATS(sock_net(sk), ZERO_WINDOW_ADV);
	return win >> NTY_WINDOW_SHIFT;
}

/* Put a stream header in front of @skb's payload, checksum left to the device. */
static void nty_push_header(struct sk_buff *skb, u8 flags, __be16 sport,
			    __be16 dport, u32 seq, u32 ack, u16 window)
{
	struct ntyhdr *nh = skb_push(skb, NTY_HLEN);

	skb_reset_network_header(skb);
	nty_build_header(nh, NTY_TYPE_STREAM, flags, sport, dport, skb->len);
	nh->seq = htonl(seq);
	nh->ack_seq = htonl(ack);
	nh->window = htons(window);
	nty_csum_partial(skb);
}

/**
 * nty_send_ctl - send a segment without payload
 * @net: the namespace
 * @ifindex: the interface
 * @daddr: the peer's MAC
 * @sport: our port
 * @dport: the peer's port
 * @seq: sequence number
 * @ack: acknowledgment number (meaningful with NTY_F_ACK)
 * @flags: NTY_F_*
 * @window: the header's window field
 *
 * Return: 0 or a negative errno; the frame is counted either way.
 */
int nty_send_ctl(struct net *net, int ifindex, const u8 *daddr, __be16 sport,
		 __be16 dport, u32 seq, u32 ack, u8 flags, u16 window)
{
	struct sk_buff *skb;

	skb = alloc_skb(NTY_TX_HEADROOM, GFP_ATOMIC);
	if (!skb) {
		nty_output_failed(net, 1, -ENOBUFS);
		return -ENOBUFS;
	}
	skb_reserve(skb, NTY_TX_HEADROOM);
	nty_push_header(skb, flags, sport, dport, seq, ack, window);
	if (flags & NTY_F_RST)
		NTY_INC_STATS(net, OUT_RSTS);
	return nty_output(net, skb, ifindex, daddr, 1);
}

/**
 * nty_stream_send_flags - a control segment on a connection
 * @sk: the connection
 * @seq: its sequence number
 * @flags: NTY_F_*; NTY_F_ACK adds rcv_nxt and the current window
 */
void nty_stream_send_flags(struct sock *sk, u32 seq, u8 flags)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct nty_sock *ns = &ts->ns;
	u16 win = 0;

	if (flags & (NTY_F_ACK | NTY_F_SYN))
		win = nty_select_window(sk);
	nty_send_ctl(sock_net(sk), ns->difindex, ns->daddr, ns->sport,
		     ns->dport, seq, ts->rcv_nxt, flags, win);
}

/**
 * nty_stream_send_ack - acknowledge everything received so far
 * @sk: the connection
 */
void nty_stream_send_ack(struct sock *sk)
{
	const struct nty_stream_sock *ts = nty_ts(sk);
	u32 wnd_end = ts->snd_una + ts->snd_wnd;

	/*
	 * tcp_acceptable_seq(): an ACK carries snd_nxt unless the peer's
	 * window shrank below it; then the window's end, which the peer's
	 * sequence check (nty_seq_check()) accepts, so that the ACK is heard.
	 */
	nty_stream_send_flags(sk, nty_seq_before(wnd_end, ts->snd_nxt) ?
				  wnd_end : ts->snd_nxt, NTY_F_ACK);
}

/**
 * nty_stream_reply_rst - answer a segment that has no connection
 * @net: the namespace
 * @skb: the segment (its cb still holds the addresses); not consumed
 *
 * As tcp_v4_send_reset(): never for a RST; with the segment's ack as our
 * sequence number if it had one, else acknowledging what it occupied.
 */
void nty_stream_reply_rst(struct net *net, struct sk_buff *skb)
{
	const struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	const struct ntyhdr *th = nty_hdr(skb);
	u32 seq = 0, ack = 0;
	u8 flags = NTY_F_RST;

	if (th->flags & NTY_F_RST)
		return;
	if (th->flags & NTY_F_ACK) {
		seq = ntohl(th->ack_seq);
	} else {
		flags |= NTY_F_ACK;
		ack = ntohl(th->seq) + skb->len +
		      !!(th->flags & NTY_F_SYN) + !!(th->flags & NTY_F_FIN);
	}
	nty_send_ctl(net, cb->ifindex, cb->saddr, cb->dport, cb->sport, seq,
		     ack, flags, 0);
}

/* A clone of a send-queue segment with its header, ready to send. */
static struct sk_buff *nty_stream_tx_skb(struct sock *sk, struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	const struct nty_seg *seg = NTY_SEG_CB(skb);
	struct nty_sock *ns = &ts->ns;
	struct sk_buff *tx;
	u8 flags = seg->flags;

	if (skb_cloned(skb))
		tx = pskb_copy(skb, GFP_ATOMIC);
	else
		tx = skb_clone(skb, GFP_ATOMIC);
	if (!tx)
		return NULL;
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= NTY_F_ACK;
	nty_push_header(tx, flags, ns->sport, ns->dport, seg->seq, ts->rcv_nxt,
			(flags & NTY_F_ACK) ? nty_select_window(sk) : 0);
	tx->priority = READ_ONCE(sk->sk_priority);
	tx->mark = READ_ONCE(sk->sk_mark);
	return tx;
}

/**
 * nty_stream_xmit - send one segment of the send queue, which keeps it
 * @sk: the connection
 * @skb: the segment
 *
 * Return: 0, or a negative errno when it could not be sent now (the
 * retransmission timer tries again).
 */
int nty_stream_xmit(struct sock *sk, struct sk_buff *skb)
{
	struct nty_sock *ns = nty_sk(sk);
	struct sk_buff *tx;

	tx = nty_stream_tx_skb(sk, skb);
	if (!tx) {
		nty_output_failed(sock_net(sk), 1, -ENOBUFS);
		return -ENOBUFS;
	}
	return nty_output(sock_net(sk), tx, ns->difindex, ns->daddr, 1);
}

/*
 * How much one train may carry on the connection's device: nothing when
 * its gso feature is off (ethtool -K DEV gso off), as sk_setup_caps()
 * decides for TCP; else what gso_features_check() lets through whole.
 */
static void nty_stream_gso_limits(struct sock *sk, unsigned int *max_bytes,
				  unsigned int *max_segs)
{
	struct net_device *dev;

	*max_bytes = 0;
	*max_segs = 1;
	rcu_read_lock();
	dev = dev_get_by_index_rcu(sock_net(sk), nty_sk(sk)->difindex);
	if (dev && (dev->features & NETIF_F_GSO)) {
		*max_bytes = nty_gso_max_size(dev) - 1 - dev->hard_header_len;
		*max_segs = min_t(unsigned int, READ_ONCE(dev->gso_max_segs),
				  NTY_GSO_MAX_SEGS);
	}
	rcu_read_unlock();
}

/* Send @n segment clones linked by ->next: one train, or one frame. */
static void nty_stream_xmit_list(struct sock *sk, struct sk_buff *segs,
				 unsigned int n)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct nty_sock *ns = &ts->ns;
	struct net *net = sock_net(sk);
	struct sk_buff *carrier, *next;

	carrier = n > 1 ? alloc_skb(NTY_TX_HEADROOM, GFP_ATOMIC) : NULL;
	if (!carrier) {
		for (; segs; segs = next) {
			next = segs->next;
			segs->next = NULL;
			nty_output(net, segs, ns->difindex, ns->daddr, 1);
		}
		return;
	}
	skb_reserve(carrier, NTY_TX_HEADROOM);
	skb_reset_network_header(carrier);
	nty_gso_train(carrier, segs, n, ts->mss);
	/*
	 * Each segment's checksum is left to the device; the carrier says so
	 * too, as validate_xmit_skb() wants of a GSO frame.
	 */
	carrier->ip_summed = CHECKSUM_PARTIAL;
	carrier->csum_start = skb_headroom(carrier);
	carrier->csum_offset = offsetof(struct ntyhdr, check);
	carrier->priority = segs->priority;
	carrier->mark = segs->mark;
	nty_output(net, carrier, ns->difindex, ns->daddr, n);
}

/**
 * nty_stream_arm_timer - (re)start the connection's timer
 * @sk: the connection
 * @delay: jiffies from now
 */
void nty_stream_arm_timer(struct sock *sk, unsigned long delay)
{
	sk_reset_timer(sk, &sk->sk_timer, jiffies + max(delay, 1UL));
}

static unsigned long nty_rto_jiffies(struct nty_stream_sock *ts)
{
	return usecs_to_jiffies(nty_rto_backoff(ts->rtt.rto_us, ts->backoff));
}

/**
 * nty_stream_push - send what the peer's window allows
 * @sk: the connection
 *
 * A segment goes out only whole and only if its payload fits in the
 * window.  With data waiting, nothing in flight and no room, the timer
 * sends window probes (claim C2).  What one call sends leaves as trains
 * (gso.c) where the device allows: a lost train is retransmitted by the
 * timer like any lost segment.
 */
void nty_stream_push(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct sk_buff *skb, *tx, *segs = NULL, **tail = &segs;
	unsigned int n = 0, bytes = 0, max_bytes, max_segs;
	const struct nty_seg *seg;
	u32 right = ts->snd_una + ts->snd_wnd;

	lockdep_assert(lockdep_sock_is_held(sk));

	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_CLOSE ||
	    !ts->send_head)
		return;
	nty_stream_gso_limits(sk, &max_bytes, &max_segs);
	while ((skb = ts->send_head)) {
		seg = NTY_SEG_CB(skb);
		if (nty_seq_after(seg->seq + skb->len, right))
			break;
		if (!nty_cong_room(&ts->cong, ts->snd_nxt - ts->snd_una,
				   skb->len))
			break;
		if (n && (n == max_segs ||
			  bytes + NTY_HLEN + skb->len > max_bytes)) {
			nty_stream_xmit_list(sk, segs, n);
			segs = NULL;
			tail = &segs;
			n = 0;
			bytes = 0;
		}
		tx = nty_stream_tx_skb(sk, skb);
		if (!tx) {
			nty_output_failed(sock_net(sk), 1, -ENOBUFS);
			break;
		}
		*tail = tx;
		tail = &tx->next;
		n++;
		bytes += tx->len;
		ts->snd_nxt = seg->end_seq;
		if (!ts->rtt_start_us) {
			ts->rtt_seq = seg->end_seq;
			ts->rtt_start_us = div_u64(ktime_get_ns(), NSEC_PER_USEC);
		}
		ts->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
				NULL : skb->next;
		if (!timer_pending(&sk->sk_timer))
			nty_stream_arm_timer(sk, nty_rto_jiffies(ts));
	}
	if (n)
		nty_stream_xmit_list(sk, segs, n);
	/*
	 * Stalled on a closed window with nothing in flight: probe.  (The
	 * congestion window never stalls an idle connection: nothing in
	 * flight always lets a segment go.)
	 */
	if (ts->send_head && ts->snd_una == ts->snd_nxt &&
	    !timer_pending(&sk->sk_timer))
		nty_stream_arm_timer(sk, nty_rto_jiffies(ts));
}

/**
 * nty_stream_retransmit_head - resend the oldest unacknowledged segment
 * @sk: the connection
 */
void nty_stream_retransmit_head(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == ts->send_head)
		return;
	/* Karn: a retransmitted segment's ACK says nothing of the RTT. */
	ts->rtt_start_us = 0;
	if (!nty_stream_xmit(sk, skb)) {
		NTY_INC_STATS(sock_net(sk), RETRANS_SEGS);
		ts->total_retrans++;
	}
	/*
	 * The head went out again: its timeout counts from now, as
	 * tcp_xmit_retransmit_queue() rearms it, or a fast retransmit
	 * would be followed by a timeout for the same loss.
	 */
	nty_stream_arm_timer(sk, nty_rto_jiffies(ts));
}

/**
 * nty_stream_send_fin - close our direction: a FIN behind the data
 *	already written, and the state that waits for its ACK
 * @sk: the connection, owned by the caller in process context
 *
 * ESTABLISHED moves to FIN_WAIT1, CLOSE_WAIT to LAST_ACK (as
 * tcp_close_state()); in any other state there is nothing to close.
 */
void nty_stream_send_fin(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct nty_seg *seg;
	struct sk_buff *skb;

	if (sk->sk_state == TCP_ESTABLISHED)
		nty_stream_set_state(sk, TCP_FIN_WAIT1);
	else if (sk->sk_state == TCP_CLOSE_WAIT)
		nty_stream_set_state(sk, TCP_LAST_ACK);
	else
		return;
	skb = alloc_skb(NTY_TX_HEADROOM, GFP_KERNEL | __GFP_NOFAIL);
	skb_reserve(skb, NTY_TX_HEADROOM);
	seg = NTY_SEG_CB(skb);
	seg->seq = ts->write_seq;
	seg->end_seq = ts->write_seq + 1;
	seg->flags = NTY_F_FIN;
	ts->write_seq++;
	ts->fin_sent = true;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	/* Charged whatever the budget says, as sk_forced_mem_schedule(). */
	sk_wmem_schedule(sk, skb->truesize);
	nty_wmem_charge(sk, skb);
	if (!ts->send_head)
		ts->send_head = skb;
	nty_stream_push(sk);
}

/* Retransmissions before a connection is given up (tcp_retries2). */
#define NTY_RETRIES2	15

/*
 * tcp_orphan_retries(): how often a closed socket retransmits or probes
 * before it gives up; the sysctl's 0 means 8, as for TCP.
 */
static int nty_orphan_retries(const struct sock *sk)
{
	int retries = READ_ONCE(nty_pernet(sock_net(sk))->orphan_retries);

	return retries ?: 8;
}

/* The RTO fired with data in flight: resend the oldest, back off. */
static void nty_stream_rto(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct net *net = sock_net(sk);
	int limit;

	if (sk->sk_state == TCP_SYN_SENT)
		limit = READ_ONCE(nty_pernet(net)->syn_retries);
	else
		limit = NTY_RETRIES2;
	/*
	 * A receiver that closed its window on data in flight: the resent
	 * head is a window probe, and as in tcp_retransmit_timer() the
	 * connection lives while the peer answers, up to NTY_RTO_MAX_US of
	 * silence.  A closed socket gives up as tcp_orphan_retries() says.
	 */
	if (!ts->snd_wnd && sk->sk_state != TCP_SYN_SENT &&
	    !sock_flag(sk, SOCK_DEAD)) {
		if (time_before(jiffies, ts->rcv_tstamp +
					 usecs_to_jiffies(NTY_RTO_MAX_US)))
			limit = INT_MAX;
	} else if (sock_flag(sk, SOCK_DEAD)) {
		limit = min(limit, nty_orphan_retries(sk));
	}
	if (ts->backoff >= limit) {
		WRITE_ONCE(sk->sk_err, ETIMEDOUT);
		if (sk->sk_state == TCP_SYN_SENT)
			NTY_INC_STATS(net, ATTEMPT_FAILS);
		sk_error_report(sk);
		nty_stream_done(sk);
		return;
	}
	NTY_INC_STATS(net, TIMEOUTS);
	if (sk->sk_state == TCP_SYN_SENT) {
		ts->rtt_start_us = 0;
		nty_stream_send_flags(sk, ts->iss, NTY_F_SYN);
		NTY_INC_STATS(net, RETRANS_SEGS);
		ts->total_retrans++;
	} else {
		if (ts->cong.state == NTY_CA_RECOVERY)
			NTY_INC_STATS(net, RENO_RECOVERY_FAIL);
		/*
		 * One segment may be in flight, and slow start begins again
		 * (tcp_enter_loss()); the holes after the head are resent one
		 * per ACK (NewReno).
		 */
		nty_cong_timeout(&ts->cong, ts->snd_nxt - ts->snd_una, ts->mss);
		nty_stream_retransmit_head(sk);
		ts->recover = ts->snd_nxt;
		ts->dupacks = 0;
	}
	if (ts->backoff < 20)
		ts->backoff++;
	nty_stream_arm_timer(sk, nty_rto_jiffies(ts));
}

/*
 * Cut @skb so that its first @len bytes fit the window (tcp_fragment()):
 * the rest becomes a new segment right behind it on the send queue.
 */
static int nty_stream_split(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct nty_seg *seg = NTY_SEG_CB(skb), *seg2;
	struct sk_buff *rest;
	u32 rlen = skb->len - len;

	if (skb_cloned(skb))
		return -EBUSY;	/* a copy is in flight; wait for it */
	rest = alloc_skb(NTY_TX_HEADROOM + rlen, GFP_ATOMIC);
	if (!rest)
		return -ENOBUFS;
	skb_reserve(rest, NTY_TX_HEADROOM);
	skb_copy_bits(skb, len, skb_put(rest, rlen), rlen);
	/* The payload is in page fragments (nty_stream_sendmsg()). */
	if (pskb_trim(skb, len)) {
		kfree_skb(rest);
		return -ENOBUFS;
	}
	seg2 = NTY_SEG_CB(rest);
	seg2->seq = seg->seq + len;
	seg2->end_seq = seg->end_seq;
	seg2->flags = seg->flags;
	seg->end_seq = seg->seq + len;
	seg->flags = 0;
	__skb_queue_after(&sk->sk_write_queue, skb, rest);
	sk_wmem_schedule(sk, rest->truesize);
	nty_wmem_charge(sk, rest);
	return 0;
}

/*
 * Nothing in flight and the head does not fit the window: ask for the
 * window (claim C2), or, when part of the head fits, send that part as
 * tcp_write_wakeup() does.
 */
static void nty_stream_probe(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct sk_buff *skb = ts->send_head;
	u32 room = ts->snd_una + ts->snd_wnd - NTY_SEG_CB(skb)->seq;

	if (!nty_seq_after(NTY_SEG_CB(skb)->seq + skb->len,
			   ts->snd_una + ts->snd_wnd)) {
		nty_stream_push(sk);
		return;
	}
	if (ts->snd_wnd && (s32)room > 0 && room < skb->len &&
	    !nty_stream_split(sk, skb, room)) {
		nty_stream_push(sk);
		return;
	}
	/*
	 * As tcp_probe_timer(): a peer that answers no probe is given up
	 * after tcp_retries2 of them, a closed socket's peer after
	 * orphan_retries, however often it answers: a zero window held
	 * open forever must not keep an orphan (its memory, its namespace,
	 * the module) alive.
	 */
	if (ts->probes_out >= (sock_flag(sk, SOCK_DEAD) ?
			       nty_orphan_retries(sk) : NTY_RETRIES2) ||
	    (sock_flag(sk, SOCK_DEAD) &&
	     ts->backoff >= nty_orphan_retries(sk))) {
		WRITE_ONCE(sk->sk_err, ETIMEDOUT);
		sk_error_report(sk);
		nty_stream_done(sk);
		return;
	}
	/* An old sequence number makes the receiver answer with an ACK. */
	nty_stream_send_flags(sk, ts->snd_una - 1, NTY_F_ACK);
	NTY_INC_STATS(sock_net(sk), WINDOW_PROBES);
	ts->probes_out++;
	if (ts->backoff < 20)
		ts->backoff++;
	nty_stream_arm_timer(sk, nty_rto_jiffies(ts));
}

/**
 * nty_stream_timer - the connection's timer (sk->sk_timer)
 * @t: the timer
 *
 * Runs in softirq.  While the user owns the socket it comes back a
 * little later rather than race with the owner.
 */
void nty_stream_timer(struct timer_list *t)
{
	struct sock *sk = from_timer(sk, t, sk_timer);
	struct nty_stream_sock *ts = nty_ts(sk);

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk)) {
		nty_stream_arm_timer(sk, HZ / 50);
		goto out;
	}
	switch (sk->sk_state) {
	case TCP_CLOSE:
		break;
	case TCP_LISTEN:
		nty_listen_timer(sk);
		break;
	case TCP_TIME_WAIT:
		nty_stream_done(sk);
		break;
	case TCP_FIN_WAIT2:
		if (sock_flag(sk, SOCK_DEAD)) {
			nty_stream_done(sk);
			break;
		}
		fallthrough;
	default:
		if (ts->snd_una != ts->snd_nxt)
			nty_stream_rto(sk);
		else if (ts->send_head)
			nty_stream_probe(sk);
		break;
	}
out:
	bh_unlock_sock(sk);
	sock_put(sk);
}

/**
 * nty_stream_ack_snd_check - acknowledge received data now or a little later
 * @sk: the connection, exclusively ours
 * @now: the segment needs an ACK at once (FIN, a gap filled)
 * @more: more of the segment's train follows (gso.c)
 *
 * As __tcp_ack_snd_check(): an ACK goes out at once when more than one
 * full segment arrived since the last one, otherwise it waits up to
 * NTY_DELACK_MIN for a second segment or for data of our own to ride on
 * (a reply clears ack_pending in nty_select_window()).  Half the ACKs of
 * a bulk transfer, none of a request/response exchange; sysctl
 * delayed_ack=0 acknowledges every segment.  A segment with more of its
 * train behind it waits for the train's last one: one ACK per train, as
 * GRO gives TCP one per merged segment.
 */
void nty_stream_ack_snd_check(struct sock *sk, bool now, bool more)
{
	struct nty_stream_sock *ts = nty_ts(sk);

	if (now || !READ_ONCE(nty_pernet(sock_net(sk))->delayed_ack) ||
	    (!more && ts->rcv_nxt - ts->rcv_wup > ts->mss)) {
		nty_stream_send_ack(sk);
		return;
	}
	ts->ack_pending = true;
	if (!timer_pending(&ts->delack_timer))
		sk_reset_timer(sk, &ts->delack_timer, jiffies + NTY_DELACK_MIN);
}

/**
 * nty_stream_delack_timer - the delayed ACK is due
 * @t: the connection's delack_timer
 *
 * Runs in softirq; an ACK sent meanwhile (with data, or because a second
 * segment came) has cleared ack_pending and nothing is left to do.  A
 * train's segments arm it too (they wait for the train's last one).
 */
void nty_stream_delack_timer(struct timer_list *t)
{
	struct nty_stream_sock *ts = from_timer(ts, t, delack_timer);
	struct sock *sk = &ts->ns.sk;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk)) {
		/* The owner may ACK on its own; look again shortly. */
		sk_reset_timer(sk, &ts->delack_timer, jiffies + HZ / 50);
		goto out;
	}
	if (ts->ack_pending &&
	    ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				    TCPF_FIN_WAIT2))) {
		NTY_INC_STATS(sock_net(sk), DELAYED_ACKS);
		nty_stream_send_ack(sk);
	}
	/* A train whose last segment never came: wake its reader now. */
	if (ts->wake_pending) {
		ts->wake_pending = false;
		if (!sock_flag(sk, SOCK_DEAD)) {
			trace_nty_wakeup(sk);
			sk->sk_data_ready(sk);
		}
	}
out:
	bh_unlock_sock(sk);
	sock_put(sk);
}

/**
 * nty_stream_write_space - wake writers once an ACK freed enough room
 * @sk: the connection
 *
 * sk_stream_write_space() is not exported; this is it.
 */
void nty_stream_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !sk_stream_is_writeable(sk))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
						      EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

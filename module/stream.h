/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stream socket type, a small TCP, as its files (stream.c, the socket
 * calls; stream_input.c, segments in; listen.c, the listener's queues;
 * stream_output.c, segments out) share it.  Nothing outside them includes
 * this header: the rest of NTY reaches a stream socket through the doors
 * nty.h declares.
 */
#ifndef _NTY_STREAM_H
#define _NTY_STREAM_H

#include <linux/timer.h>

#include "nty.h"
#include "stream_cong.h"

/**
 * struct nty_seg - a stream segment's place in the byte stream
 * @seq: sequence number of its first payload byte
 * @end_seq: @seq plus payload length, plus one for SYN or FIN
 * @flags: NTY_F_* it carries (FIN matters once it is queued)
 *
 * Written over the addresses of struct nty_skb_cb (its @proto) once a
 * stream segment is queued (receive or out-of-order queue), when the
 * connection knows the addresses already, and kept in the cb of send-queue
 * segments, as TCP_SKB_CB() keeps TCP's.
 */
struct nty_seg {
	u32	seq;
	u32	end_seq;
	u8	flags;
};

#define NTY_SEG_CB(skb)	((struct nty_seg *)NTY_SKB_CB(skb)->proto)
static_assert(sizeof(struct nty_seg) <= sizeof_field(struct nty_skb_cb, proto));

/* How long an orphaned connection may wait in FIN_WAIT2, in jiffies. */
static inline unsigned long nty_fin_timeout(const struct sock *sk)
{
	return READ_ONCE(nty_pernet(sock_net(sk))->fin_timeout) * HZ;
}

/**
 * struct nty_rtt - round-trip estimate of one connection (RFC 6298)
 * @srtt_us: smoothed round-trip time, 0 before the first sample
 * @rttvar_us: its variation
 * @rto_us: retransmission timeout before backoff
 */
struct nty_rtt {
	u32	srtt_us;
	u32	rttvar_us;
	u32	rto_us;
};

/**
 * struct nty_request - a half-open connection on a listener's SYN queue
 * @node: link in the listener's SYN queue, in arrival order (the timer's)
 * @hnode: link in its bucket of the listener's SYN hash (the lookup's)
 * @raddr: peer MAC
 * @rport: peer port
 * @ifindex: interface the SYN came in on
 * @iss: our initial sequence number
 * @irs: the peer's initial sequence number
 * @snd_wnd: the window the peer's SYN offered
 * @rcv_wnd: the window our SYN-ACK offered
 * @expires: jiffies when the SYN-ACK is resent, or the entry expires
 * @retrans: SYN-ACKs resent so far
 */
struct nty_request {
	struct list_head	node;
	struct hlist_node	hnode;
	u8			raddr[ETH_ALEN];
	__be16			rport;
	int			ifindex;
	u32			iss;
	u32			irs;
	u32			snd_wnd;
	u32			rcv_wnd;
	unsigned long		expires;
	u8			retrans;
};

/**
 * struct nty_stream_sock - a stream socket: a small TCP
 * @ns: the NTY socket; must stay first
 * @snd_una: first byte not yet acknowledged
 * @snd_nxt: next byte to send
 * @write_seq: the byte after the last one the user wrote (or FIN)
 * @snd_wnd: the peer's advertised window, in bytes
 * @snd_wl1: peer's seq of the segment that last updated @snd_wnd
 * @snd_wl2: peer's ack of that segment
 * @iss: our initial sequence number
 * @mss: largest payload of a segment (interface MTU less the header)
 * @send_head: first segment of the send queue not yet sent
 * @recover: snd_nxt when loss recovery began; partial ACKs below it
 *	retransmit the next hole at once (NewReno)
 * @dupacks: duplicate ACKs in a row
 * @cong: congestion window and loss recovery state (stream_cong.h)
 * @total_retrans: segments retransmitted over the connection's life
 * @rtt: round-trip estimate
 * @rtt_seq: sequence number whose ACK ends the RTT measurement
 * @rtt_start_us: when that measurement started; 0 = none running
 * @backoff: RTO doublings since the last ACK that advanced
 * @max_window: the largest window the peer ever offered (RFC 5961 5.2)
 * @rcv_tstamp: jiffies of the last acceptable ACK
 * @probes_out: window probes since the last acceptable ACK
 * @last_oow_ack: jiffies of the last rate-limited ACK sent, 0 = none
 * @rcv_nxt: next byte expected from the peer
 * @copied_seq: next byte recvmsg() hands to the user
 * @rcv_wup: rcv_nxt when the window was last advertised
 * @rcv_wnd: that advertised window, in bytes
 * @rcv_ratio: payload per truesize byte, << 8, seen on received segments
 * @delack_timer: sends the ACK that @ack_pending holds back
 * @ack_pending: data received and not yet acknowledged
 * @wake_pending: data queued and its reader not yet woken (a train's)
 * @ofo_queue: segments beyond a gap, in sequence order
 * @prequeue: segments a softirq left for the blocked reader
 * @prequeue_mem: truesize on @prequeue
 * @ucopy_task: the reader blocked in recvmsg(), NULL when none
 * @syn_queue: half-open entries (listener)
 * @syn_qlen: entries on @syn_queue
 * @syn_hash: the same entries hashed by peer, for the lookup each segment
 *	makes (listener; allocated by listen(), freed with the socket)
 * @syn_hash_mask: buckets in @syn_hash, less one
 * @syn_hash_seed: the listener's own hash seed, unknown to peers
 * @accept_queue: established children not yet accepted (listener)
 * @accept_node: link in the listener's @accept_queue (child)
 * @fin_sent: FIN is on the send queue
 * @done: unhashed and off the socket list for good
 * @orphan: closed by its user and counted in nty_orphan_count
 */
struct nty_stream_sock {
	struct nty_sock		ns;
	u32			snd_una;
	u32			snd_nxt;
	u32			write_seq;
	u32			snd_wnd;
	u32			snd_wl1;
	u32			snd_wl2;
	u32			iss;
	u16			mss;
	struct sk_buff		*send_head;
	u32			recover;
	u8			dupacks;
	struct nty_cong		cong;
	u32			total_retrans;
	struct nty_rtt		rtt;
	u32			rtt_seq;
	u64			rtt_start_us;
	u8			backoff;
	u8			probes_out;
	u32			max_window;
	unsigned long		rcv_tstamp;
	unsigned long		last_oow_ack;
	u32			rcv_nxt;
	u32			copied_seq;
	u32			rcv_wup;
	u32			rcv_wnd;
	u32			rcv_ratio;
	struct timer_list	delack_timer;
	bool			ack_pending;
	bool			wake_pending;
	struct sk_buff_head	ofo_queue;
	struct sk_buff_head	prequeue;
	unsigned int		prequeue_mem;
	struct task_struct	*ucopy_task;
	struct list_head	syn_queue;
	int			syn_qlen;
	struct hlist_head	*syn_hash;
	u32			syn_hash_mask;
	u32			syn_hash_seed;
	struct list_head	accept_queue;
	struct list_head	accept_node;
	bool			fin_sent;
	bool			done;
	bool			orphan;
};

extern atomic_t nty_orphan_count;

static inline struct nty_stream_sock *nty_ts(const struct sock *sk)
{
	return (struct nty_stream_sock *)sk;
}

/* Bytes of the last advertised window not yet filled (0 when none). */
static inline u32 nty_rcv_wnd_left(const struct nty_stream_sock *ts)
{
	s32 left = ts->rcv_wup + ts->rcv_wnd - ts->rcv_nxt;

	return left > 0 ? left : 0;
}

/* What a full segment costs the receive buffer, by the measured ratio. */
static inline int nty_seg_truesize(const struct nty_stream_sock *ts)
{
	return ((u32)(ts->mss ?: 1) << 8) / max(ts->rcv_ratio, 1U);
}

/* Unsent bytes a sendmsg() gathers before it pushes: one full train. */
#define NTY_PUSH_GOAL		(60 * 1024)
int __nty_stream_rcv(struct sock *sk, struct sk_buff *skb, int subclass);
int nty_stream_do_rcv(struct sock *sk, struct sk_buff *skb);
void nty_stream_prequeue_process(struct sock *sk);
void nty_stream_set_state(struct sock *sk, int state);
void nty_stream_done(struct sock *sk);
void nty_stream_destroy(struct sock *sk);
void nty_stream_reset(struct sock *sk);
void nty_stream_consume(struct sock *sk, struct sk_buff *skb);
u16 nty_select_window(struct sock *sk);
u32 nty_window_now(const struct sock *sk, int *room);
int nty_stream_mss(struct net *net, int ifindex);
void nty_stream_push(struct sock *sk);
int nty_stream_xmit(struct sock *sk, struct sk_buff *skb);
void nty_stream_retransmit_head(struct sock *sk);
void nty_stream_send_ack(struct sock *sk);
void nty_stream_send_flags(struct sock *sk, u32 seq, u8 flags);
void nty_stream_send_fin(struct sock *sk);
int nty_send_ctl(struct net *net, int ifindex, const u8 *daddr, __be16 sport,
		 __be16 dport, u32 seq, u32 ack, u8 flags, u16 window);
void nty_stream_timer(struct timer_list *t);
void nty_stream_delack_timer(struct timer_list *t);
void nty_stream_ack_snd_check(struct sock *sk, bool now, bool more);

/* The longest an ACK waits for a second segment or a reply (TCP_DELACK_MIN). */
#define NTY_DELACK_MIN	(HZ / 25)
void nty_stream_arm_timer(struct sock *sk, unsigned long delay);
void nty_stream_write_space(struct sock *sk);
int nty_listen_hash_alloc(struct sock *sk);
void nty_listen_rcv(struct sock *sk, struct sk_buff *skb);
void nty_listen_timer(struct sock *sk);
void nty_listen_stop(struct sock *sk);

/* Sequence arithmetic, windows and the RTT estimator: pure functions. */
#include "stream_seq.h"

#endif /* _NTY_STREAM_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * A listener's two queues (claim C6), as inet_connection_sock.c and
 * tcp_minisocks.c keep them: the SYN queue of half-open entries, bounded
 * by the max_syn_backlog sysctl, and the accept queue of established
 * connections that accept() has not taken yet, bounded by the listen()
 * backlog clamped to somaxconn (claim C1).
 *
 * A SYN makes an entry and a SYN-ACK; the ACK of the SYN-ACK makes the
 * connection, a socket of its own, and moves it to the accept queue.  A
 * SYN flood fills the SYN queue (SynQueueDrops) and touches no
 * established connection; a listener that never accepts fills the accept
 * queue (ListenOverflows).  Entries whose SYN-ACK goes unanswered are
 * resent with backoff, then expire.
 */
#include <linux/cgroup.h>
#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "stream.h"

/*
 * The SYN queue is hashed by peer (MAC, port, interface), as request
 * sockets are in the established hash: a SYN flood that fills it to
 * max_syn_backlog (up to 65535) costs each segment one short chain, not
 * a walk of the whole queue.  The seed is the listener's own and random,
 * so that a peer cannot choose addresses that share a chain.
 */
static struct hlist_head *nty_request_bucket(struct nty_stream_sock *ts,
					     const u8 *raddr, __be16 rport,
					     int ifindex)
{
	u32 hash = jhash_3words(get_unaligned((const u32 *)raddr),
				get_unaligned((const u16 *)(raddr + 4)) |
				(__force u32)rport << 16,
				ifindex, ts->syn_hash_seed);

	return &ts->syn_hash[hash & ts->syn_hash_mask];
}

static struct nty_request *nty_request_find(struct nty_stream_sock *ts,
					    const struct nty_skb_cb *cb)
{
	struct nty_request *req;

	if (!ts->syn_hash)
		return NULL;
	hlist_for_each_entry(req, nty_request_bucket(ts, cb->saddr, cb->sport,
						     cb->ifindex), hnode)
		if (req->rport == cb->sport && req->ifindex == cb->ifindex &&
		    ether_addr_equal(req->raddr, cb->saddr))
			return req;
	return NULL;
}

static void nty_request_free(struct nty_stream_sock *ts,
			     struct nty_request *req)
{
	list_del(&req->node);
	hlist_del(&req->hnode);
	ts->syn_qlen--;
	kfree(req);
}

/**
 * nty_listen_hash_alloc - the SYN hash of a socket about to listen
 * @sk: the socket, owned by the caller
 *
 * One bucket for every four entries max_syn_backlog allows now, at least
 * 16; kept for the socket's life (a listener that closes and listens
 * again reuses it).
 *
 * Return: 0 or -ENOMEM.
 */
int nty_listen_hash_alloc(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	u32 max = READ_ONCE(nty_pernet(sock_net(sk))->max_syn_backlog);
	u32 n = roundup_pow_of_two(clamp(max / 4, 16U, 16384U));

	if (ts->syn_hash)
		return 0;
	ts->syn_hash = kvcalloc(n, sizeof(*ts->syn_hash), GFP_KERNEL_ACCOUNT);
	if (!ts->syn_hash)
		return -ENOMEM;
	ts->syn_hash_mask = n - 1;
	ts->syn_hash_seed = get_random_u32();
	return 0;
}

static void nty_send_synack(struct sock *sk, const struct nty_request *req)
{
	nty_send_ctl(sock_net(sk), req->ifindex, req->raddr, nty_sk(sk)->sport,
		     req->rport, req->iss, req->irs + 1,
		     NTY_F_SYN | NTY_F_ACK, req->rcv_wnd >> NTY_WINDOW_SHIFT);
}

static void nty_listen_arm(struct sock *sk, unsigned long expires)
{
	if (!timer_pending(&sk->sk_timer) ||
	    time_before(expires, sk->sk_timer.expires))
		sk_reset_timer(sk, &sk->sk_timer, expires);
}

/* A SYN: a new half-open entry, unless a queue is full. */
static void nty_listen_syn(struct sock *sk, struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	const struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	const struct ntyhdr *th = nty_hdr(skb);
	struct net *net = sock_net(sk);
	struct nty_request *req;
	int mss;

	req = nty_request_find(ts, cb);
	if (req) {
		/* The peer resent its SYN: our SYN-ACK was lost. */
		nty_send_synack(sk, req);
		nty_stream_consume(sk, skb);
		return;
	}
	if (nty_queue_full(READ_ONCE(sk->sk_ack_backlog),
			   READ_ONCE(sk->sk_max_ack_backlog))) {
		NTY_INC_STATS(net, LISTEN_DROPS);
		nty_sk_drop(sk, skb, NTY_DROP_LISTEN_OVERFLOW);
		return;
	}
	if (nty_queue_full(ts->syn_qlen,
			   READ_ONCE(nty_pernet(net)->max_syn_backlog))) {
		NTY_INC_STATS(net, LISTEN_DROPS);
		nty_sk_drop(sk, skb, NTY_DROP_SYN_QUEUE);
		return;
	}
	mss = nty_stream_mss(net, cb->ifindex);
	req = kzalloc(sizeof(*req), GFP_ATOMIC);
	if (!req || !mss) {
		kfree(req);
		NTY_INC_STATS(net, LISTEN_DROPS);
		nty_sk_drop(sk, skb, NTY_DROP_SYN_QUEUE);
		return;
	}
	ether_addr_copy(req->raddr, cb->saddr);
	req->rport = cb->sport;
	req->ifindex = cb->ifindex;
	req->iss = get_random_u32();
	req->irs = ntohl(th->seq);
	req->snd_wnd = (u32)ntohs(th->window) << NTY_WINDOW_SHIFT;
	req->rcv_wnd = nty_window_from_space(READ_ONCE(sk->sk_rcvbuf), 128,
					     mss, NTY_MAX_WINDOW);
	req->expires = jiffies + usecs_to_jiffies(NTY_RTO_INIT_US);
	list_add_tail(&req->node, &ts->syn_queue);
	hlist_add_head(&req->hnode, nty_request_bucket(ts, req->raddr,
						       req->rport,
						       req->ifindex));
	ts->syn_qlen++;
	nty_send_synack(sk, req);
	nty_listen_arm(sk, req->expires);
	nty_stream_consume(sk, skb);
}

/*
 * What sk_clone_lock() gives a child from its listener beyond NTY's own
 * state: the socket filter (shared, charged to the child's option memory
 * as sk_filter_charge() does, released by __sk_destruct()), the mark and
 * priority its frames carry, and the cgroup it belongs to (a child made
 * in softirq would otherwise be the root cgroup's).  A filter on a
 * listener then sees the connection's segments, not only its SYNs.
 */
static void nty_listen_inherit(struct sock *child, struct sock *sk)
{
	struct sk_filter *filter;

	child->sk_mark = READ_ONCE(sk->sk_mark);
	child->sk_priority = READ_ONCE(sk->sk_priority);
	rcu_read_lock();
	filter = rcu_dereference(sk->sk_filter);
	if (filter && refcount_inc_not_zero(&filter->refcnt)) {
		atomic_add(bpf_prog_size(filter->prog->len),
			   &child->sk_omem_alloc);
		RCU_INIT_POINTER(child->sk_filter, filter);
	}
	rcu_read_unlock();
#ifdef CONFIG_SOCK_CGROUP_DATA
	{
		struct cgroup *old = sock_cgroup_ptr(&child->sk_cgrp_data);
		struct cgroup *cgrp = sock_cgroup_ptr(&sk->sk_cgrp_data);

		/* Both hold a reference (cgroup_sk_alloc()); swap them. */
		cgroup_get(cgrp);
		child->sk_cgrp_data = sk->sk_cgrp_data;
		cgroup_put(old);
	}
#endif
}

/* The handshake's last ACK: the connection gets a socket of its own. */
static struct sock *nty_listen_child(struct sock *sk, struct nty_request *req)
{
	struct net *net = sock_net(sk);
	struct nty_stream_sock *cts;
	struct sock *child;
	int mss = nty_stream_mss(net, req->ifindex);

	if (!mss)
		return NULL;
	child = sk_alloc(net, nty_family, GFP_ATOMIC, sk->sk_prot, 0);
	if (!child)
		return NULL;
	sock_init_data(NULL, child);
	child->sk_type = SOCK_STREAM;
	nty_sock_setup(child, nty_pernet(net));
	nty_stream_init_sock(child);
	child->sk_rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	child->sk_sndbuf = READ_ONCE(sk->sk_sndbuf);
	child->sk_userlocks = sk->sk_userlocks;
	child->sk_uid = sk->sk_uid;
	child->sk_reuse = sk->sk_reuse;
	child->sk_bound_dev_if = sk->sk_bound_dev_if;
	nty_listen_inherit(child, sk);

	cts = nty_ts(child);
	cts->ns.sport = nty_sk(sk)->sport;
	cts->ns.bound_ifindex = nty_sk(sk)->bound_ifindex;
	cts->ns.dport = req->rport;
	cts->ns.difindex = req->ifindex;
	ether_addr_copy(cts->ns.daddr, req->raddr);
	cts->mss = mss;
	nty_cong_init(&cts->cong, mss);
	cts->iss = req->iss;
	cts->snd_una = req->iss + 1;
	cts->snd_nxt = req->iss + 1;
	cts->write_seq = req->iss + 1;
	cts->snd_wnd = req->snd_wnd;
	cts->max_window = req->snd_wnd;
	cts->rcv_tstamp = jiffies;
	cts->snd_wl1 = req->irs;
	cts->snd_wl2 = req->iss + 1;
	cts->rcv_nxt = req->irs + 1;
	cts->copied_seq = cts->rcv_nxt;
	cts->rcv_wup = cts->rcv_nxt;
	cts->rcv_wnd = req->rcv_wnd;
	return child;
}

/* The ACK that completes a half-open entry. */
static void nty_listen_ack(struct sock *sk, struct sk_buff *skb,
			   struct nty_request *req)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct net *net = sock_net(sk);
	struct sock *child;

	if (nty_queue_full(READ_ONCE(sk->sk_ack_backlog),
			   READ_ONCE(sk->sk_max_ack_backlog))) {
		/*
		 * As Linux with tcp_abort_on_overflow 0: drop the ACK, keep
		 * the entry; the SYN-ACK timer gives the peer another chance.
		 */
		NTY_INC_STATS(net, LISTEN_OVERFLOWS);
		NTY_INC_STATS(net, LISTEN_DROPS);
		nty_sk_drop(sk, skb, NTY_DROP_LISTEN_OVERFLOW);
		return;
	}
	child = nty_listen_child(sk, req);
	if (!child) {
		NTY_INC_STATS(net, LISTEN_DROPS);
		nty_sk_drop(sk, skb, NTY_DROP_SYN_QUEUE);
		return;
	}
	/*
	 * Demux may find the child from the moment it is hashed: it is
	 * locked until its first segment is processed.  Bottom halves are
	 * off, as the listener's backlog may be running this.
	 */
	local_bh_disable();
	spin_lock_nested(&child->sk_lock.slock, SINGLE_DEPTH_NESTING);
	/* Its four-tuple is taken (a socket that shares the port connected). */
	if (nty_hash_connected(child)) {
		spin_unlock(&child->sk_lock.slock);
		local_bh_enable();
		sk_free(child);
		NTY_INC_STATS(net, LISTEN_DROPS);
		nty_sk_drop(sk, skb, NTY_DROP_SYN_QUEUE);
		return;
	}
	nty_request_free(ts, req);
	nty_stream_set_state(child, TCP_ESTABLISHED);
	NTY_INC_STATS(net, PASSIVE_OPENS);

	/* Payload riding on the ACK belongs to the child. */
	if (skb->len || (nty_hdr(skb)->flags & NTY_F_FIN))
		nty_stream_do_rcv(child, skb);
	else
		nty_stream_consume(child, skb);
	spin_unlock(&child->sk_lock.slock);
	local_bh_enable();

	/* Visible to /proc once complete; its port is its own. */
	nty_hash_child(child);
	nty_sklist_add(child);
	list_add_tail(&nty_ts(child)->accept_node, &ts->accept_queue);
	sk_acceptq_added(sk);
	sk->sk_data_ready(sk);
}

/*
 * A segment of a connection this listener completed on another CPU
 * while the segment was on its way here: demux found no child then, and
 * the child is visible now that we hold the listener (TCP retries its
 * lookup when a request is stolen the same way).
 */
static bool nty_listen_to_child(struct sock *sk, struct sk_buff *skb)
{
	struct sock *child;

	rcu_read_lock();
	child = nty_lookup_connected(sock_net(sk), NTY_SKB_CB(skb));
	if (child && !refcount_inc_not_zero(&child->sk_refcnt))
		child = NULL;
	rcu_read_unlock();
	if (!child)
		return false;
	/* From the listener's backlog bottom halves are on: turn them off. */
	local_bh_disable();
	__nty_stream_rcv(child, skb, SINGLE_DEPTH_NESTING);
	local_bh_enable();
	sock_put(child);
	return true;
}

/**
 * nty_listen_rcv - a segment for a listener
 * @sk: the listener, exclusively ours
 * @skb: the segment, cb holding its addresses; consumed
 */
void nty_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	const struct ntyhdr *th = nty_hdr(skb);
	struct net *net = sock_net(sk);
	struct nty_request *req;
	u8 flags = th->flags;

	lockdep_assert(lockdep_sock_is_held(sk));

	if (flags & NTY_F_RST) {
		req = nty_request_find(ts, NTY_SKB_CB(skb));
		if (req && ntohl(th->seq) == req->irs + 1)
			nty_request_free(ts, req);
		nty_stream_consume(sk, skb);
		return;
	}
	if ((flags & NTY_F_SYN) && !(flags & NTY_F_ACK)) {
		nty_listen_syn(sk, skb);
		return;
	}
	if (flags & NTY_F_ACK) {
		req = nty_request_find(ts, NTY_SKB_CB(skb));
		/*
		 * The handshake's ACK, or, if that was lost, a data segment
		 * that acknowledges our SYN: either completes the entry.
		 */
		if (req && ntohl(th->ack_seq) == req->iss + 1 &&
		    ntohl(th->seq) - (req->irs + 1) < max(req->rcv_wnd, 1U) &&
		    !(flags & NTY_F_SYN)) {
			nty_listen_ack(sk, skb, req);
			return;
		}
	}
	if (nty_listen_to_child(sk, skb))
		return;
	nty_stream_reply_rst(net, skb);
	nty_sk_drop(sk, skb, NTY_DROP_NO_CONNECTION);
}

/**
 * nty_listen_timer - resend SYN-ACKs with backoff, expire what is stale
 * @sk: the listener, exclusively ours (softirq)
 */
void nty_listen_timer(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct net *net = sock_net(sk);
	int retries = READ_ONCE(nty_pernet(net)->synack_retries);
	struct nty_request *req, *tmp;
	unsigned long next = 0;

	list_for_each_entry_safe(req, tmp, &ts->syn_queue, node) {
		if (time_before(jiffies, req->expires)) {
			/* not due */
		} else if (req->retrans >= retries) {
			nty_request_free(ts, req);
			continue;
		} else {
			req->retrans++;
			req->expires = jiffies +
				usecs_to_jiffies(nty_rto_backoff(NTY_RTO_INIT_US,
								 req->retrans));
			nty_send_synack(sk, req);
			NTY_INC_STATS(net, RETRANS_SEGS);
		}
		if (!next || time_before(req->expires, next))
			next = req->expires;
	}
	if (next)
		sk_reset_timer(sk, &sk->sk_timer, next);
}

/**
 * nty_listen_stop - close a listener: forget the half-open entries and
 *	reset the connections nobody accepted (inet_csk_listen_stop())
 * @sk: the listener, owned by the caller
 */
void nty_listen_stop(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk), *cts, *tmp;
	struct nty_request *req, *rtmp;
	struct sock *child;
	LIST_HEAD(children);

	list_for_each_entry_safe(req, rtmp, &ts->syn_queue, node)
		nty_request_free(ts, req);
	list_splice_init(&ts->accept_queue, &children);
	WRITE_ONCE(sk->sk_ack_backlog, 0);
	nty_stream_set_state(sk, TCP_CLOSE);
	sk_stop_timer(sk, &sk->sk_timer);

	list_for_each_entry_safe(cts, tmp, &children, accept_node) {
		child = &cts->ns.sk;
		list_del_init(&cts->accept_node);
		lock_sock_nested(child, SINGLE_DEPTH_NESTING);
		if (child->sk_state != TCP_CLOSE) {
			nty_stream_send_flags(child, cts->snd_nxt,
					      NTY_F_RST | NTY_F_ACK);
			nty_stream_set_state(child, TCP_CLOSE);
		}
		sock_orphan(child);
		nty_stream_destroy(child);
		release_sock(child);
		sock_put(child);
	}
}

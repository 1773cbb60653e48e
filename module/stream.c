// SPDX-License-Identifier: GPL-2.0
/*
 * Stream sockets, stages 9 and 10 and the socket calls, as tcp.c and af_inet.c:
 * connect, listen, accept, send, receive, poll, shutdown and close.
 *
 * recvmsg() drains the receive queue first, then the prequeue (doing the
 * protocol work softirq left to it), then the socket backlog (at
 * release_sock()), and sleeps in the kernel's wait helpers when all three
 * are empty (claim C7).  The connection's state lives in sk->sk_state with
 * TCP's values, so /proc and ss-like tools read it the usual way.
 */
#include <linux/etherdevice.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <asm/ioctls.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "stream.h"
#include "observe.h"
#include "trace.h"

/* Orphaned connections of every namespace (tcp_orphan_count). */
atomic_t nty_orphan_count = ATOMIC_INIT(0);

/* TIME_WAIT lasts one second, not 2 MSL: enough to absorb a late FIN. */
#define NTY_TIMEWAIT_LEN	HZ

/* The queues only a stream has, then what every NTY socket frees. */
static void nty_stream_destruct(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct sk_buff *skb;

	skb_queue_purge(&ts->ofo_queue);
	skb_queue_purge(&ts->prequeue);
	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		nty_wmem_free_skb(sk, skb);
	kvfree(ts->syn_hash);
	nty_sock_destruct(sk);
}

/**
 * nty_stream_init_sock - the stream part of a new socket
 * @sk: the socket (user-created or a listener's child)
 */
void nty_stream_init_sock(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);

	skb_queue_head_init(&ts->ofo_queue);
	skb_queue_head_init(&ts->prequeue);
	INIT_LIST_HEAD(&ts->syn_queue);
	INIT_LIST_HEAD(&ts->accept_queue);
	INIT_LIST_HEAD(&ts->accept_node);
	timer_setup(&sk->sk_timer, nty_stream_timer, 0);
	timer_setup(&ts->delack_timer, nty_stream_delack_timer, 0);
	sk->sk_write_space = nty_stream_write_space;
	sk->sk_destruct = nty_stream_destruct;
	sk->sk_state = TCP_CLOSE;
	ts->rtt.rto_us = NTY_RTO_INIT_US;
	ts->rcv_ratio = 128;
	ts->mss = 536;
	nty_cong_init(&ts->cong, ts->mss);
}

/**
 * nty_stream_sock_queues - what /proc/net/nty/sockets shows of a stream
 * @sk: the socket, read locklessly
 * @rx: set to bytes not yet read, or a listener's accept queue length
 * @tx: set to bytes not yet acknowledged, or a listener's bound
 * @preq: set to segments on the prequeue
 *
 * As /proc/net/tcp shows rx_queue and tx_queue.
 */
void nty_stream_sock_queues(const struct sock *sk, int *rx, int *tx,
			    unsigned int *preq)
{
	const struct nty_stream_sock *ts = nty_ts(sk);
	int state = READ_ONCE(sk->sk_state);

	*preq = skb_queue_len_lockless(&ts->prequeue);
	if (state == TCP_LISTEN) {
		*rx = READ_ONCE(sk->sk_ack_backlog);
		*tx = READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}
	if (state == TCP_CLOSE || state == TCP_SYN_SENT) {
		*rx = 0;
		*tx = 0;
		return;
	}
	*rx = max_t(int, READ_ONCE(ts->rcv_nxt) - READ_ONCE(ts->copied_seq) -
			 sock_flag(sk, SOCK_DONE), 0);
	*tx = max_t(int, READ_ONCE(ts->write_seq) - READ_ONCE(ts->snd_una) -
			 READ_ONCE(ts->fin_sent), 0);
}

/**
 * nty_stream_sock_figures - what /proc/net/nty/sockets shows of a sender
 * @sk: the socket, read locklessly (a figure may be one ACK old)
 * @f: filled in
 */
void nty_stream_sock_figures(const struct sock *sk,
			     struct nty_stream_figures *f)
{
	const struct nty_stream_sock *ts = nty_ts(sk);
	u32 mss = max_t(u32, READ_ONCE(ts->mss), 1);
	u32 ssthresh = READ_ONCE(ts->cong.ssthresh);

	f->cwnd = DIV_ROUND_UP(READ_ONCE(ts->cong.cwnd), mss);
	f->ssthresh = ssthresh >= NTY_INFINITE_SSTHRESH ? -1 :
		      DIV_ROUND_UP(ssthresh, mss);
	f->srtt_us = READ_ONCE(ts->rtt.srtt_us);
	f->rttvar_us = READ_ONCE(ts->rtt.rttvar_us);
	f->rto_us = nty_rto_backoff(READ_ONCE(ts->rtt.rto_us),
				    READ_ONCE(ts->backoff));
	f->retrans = READ_ONCE(ts->total_retrans);
	f->ca_state = READ_ONCE(ts->cong.state);
}

/**
 * nty_stream_orphans - closed connections still finishing, all namespaces
 *
 * Return: the count tcp_max_orphans's counterpart limits.
 */
int nty_stream_orphans(void)
{
	return atomic_read(&nty_orphan_count);
}

static void nty_stream_purge_write(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		nty_wmem_free_skb(sk, skb);
	ts->send_head = NULL;
}

/**
 * nty_stream_set_state - move a connection to @state
 * @sk: the connection, exclusively ours
 * @state: a TCP_* state
 *
 * TCP_CLOSE takes the connection out of demux; EstabResets counts the
 * connections that reach it straight from ESTABLISHED or CLOSE_WAIT, as
 * tcp_set_state() does.  TIME_WAIT starts its timer.
 */
void nty_stream_set_state(struct sock *sk, int state)
{
	int old = sk->sk_state;

	if (state == TCP_CLOSE) {
		if (old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT)
			NTY_INC_STATS(sock_net(sk), ESTAB_RESETS);
		nty_unhash_connected(sk);
	}
	/* Lockless readers (poll, /proc) see the state after its effects. */
	smp_store_release(&sk->sk_state, state);
	if (state == TCP_TIME_WAIT)
		nty_stream_arm_timer(sk, NTY_TIMEWAIT_LEN);
}

/**
 * nty_stream_destroy - an orphaned, closed connection leaves every table
 * @sk: the connection; the caller holds a reference
 */
void nty_stream_destroy(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);

	if (ts->done)
		return;
	ts->done = true;
	if (ts->orphan)
		atomic_dec(&nty_orphan_count);
	nty_unhash(sk);
	sk_stop_timer(sk, &sk->sk_timer);
	sk_stop_timer(sk, &ts->delack_timer);
	nty_stream_purge_write(sk);
	skb_queue_purge(&ts->ofo_queue);
	nty_sklist_del(sk);
}

/**
 * nty_stream_done - the connection is over (tcp_done())
 * @sk: the connection, exclusively ours
 */
void nty_stream_done(struct sock *sk)
{
	nty_stream_set_state(sk, TCP_CLOSE);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sk_stop_timer(sk, &sk->sk_timer);
	sk_stop_timer(sk, &nty_ts(sk)->delack_timer);
	nty_stream_purge_write(sk);
	if (sock_flag(sk, SOCK_DEAD))
		nty_stream_destroy(sk);
	else
		sk->sk_state_change(sk);
}

static int nty_stream_connect(struct socket *sock, struct sockaddr *uaddr,
			      int addr_len, int flags)
{
	struct sockaddr_nty *addr = (struct sockaddr_nty *)uaddr;
	struct sock *sk = sock->sk;
	struct nty_stream_sock *ts = nty_ts(sk);
	struct nty_sock *ns = &ts->ns;
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long timeo;
	int err, mss;

	lock_sock(sk);
	switch (sock->state) {
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	default:
		err = nty_check_addr(uaddr, addr_len);
		if (err)
			goto out;
		err = -EISCONN;
		if (sk->sk_state != TCP_CLOSE)
			goto out;
		err = -EINVAL;
		if (!is_valid_ether_addr(addr->snty_addr))
			goto out;
		err = -ENXIO;
		mss = nty_stream_mss(sock_net(sk), addr->snty_ifindex);
		if (!mss)
			goto out;
		if (!ns->sport) {
			err = nty_bind_port(sk, 0, sk->sk_bound_dev_if);
			if (err)
				goto out;
		}
		ns->dport = addr->snty_port;
		ns->difindex = addr->snty_ifindex;
		ether_addr_copy(ns->daddr, addr->snty_addr);
		ts->mss = mss;
		ts->iss = get_random_u32();
		ts->snd_una = ts->iss;
		ts->snd_nxt = ts->iss + 1;
		ts->write_seq = ts->iss + 1;
		ts->fin_sent = false;
		ts->backoff = 0;
		ts->rtt.rto_us = NTY_RTO_INIT_US;
		nty_cong_init(&ts->cong, mss);
		ts->total_retrans = 0;
		WRITE_ONCE(sk->sk_err, 0);
		WRITE_ONCE(sk->sk_shutdown, 0);
		sock_reset_flag(sk, SOCK_DONE);
		err = nty_hash_connected(sk);
		if (err)
			goto out;
		nty_stream_set_state(sk, TCP_SYN_SENT);
		NTY_INC_STATS(sock_net(sk), ACTIVE_OPENS);
		ts->rtt_start_us = div_u64(ktime_get_ns(), NSEC_PER_USEC);
		nty_stream_send_flags(sk, ts->iss, NTY_F_SYN);
		nty_stream_arm_timer(sk, usecs_to_jiffies(NTY_RTO_INIT_US));
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	}

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if (sk->sk_state == TCP_SYN_SENT) {
		if (!timeo)
			goto out;
		add_wait_queue(sk_sleep(sk), &wait);
		while (sk->sk_state == TCP_SYN_SENT && timeo &&
		       !signal_pending(current))
			sk_wait_event(sk, &timeo,
				      READ_ONCE(sk->sk_state) != TCP_SYN_SENT,
				      &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
		if (sk->sk_state == TCP_SYN_SENT) {
			err = signal_pending(current) ? sock_intr_errno(timeo)
						      : -EINPROGRESS;
			goto out;
		}
	}
	if (sk->sk_state == TCP_CLOSE) {
		err = sock_error(sk) ?: -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;
}

static int nty_stream_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct nty_net *nn = nty_pernet(sock_net(sk));
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED ||
	    (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN))
		goto out;
	if (!nty_sk(sk)->sport) {
		err = nty_bind_port(sk, 0, sk->sk_bound_dev_if);
		if (err)
			goto out;
	}
	if (sk->sk_state != TCP_LISTEN) {
		err = nty_listen_hash_alloc(sk);
		if (err)
			goto out;
		nty_stream_set_state(sk, TCP_LISTEN);
		err = nty_listen_port(sk);
		if (err) {
			nty_stream_set_state(sk, TCP_CLOSE);
			goto out;
		}
		WRITE_ONCE(sk->sk_ack_backlog, 0);
	}
	WRITE_ONCE(sk->sk_max_ack_backlog,
		   nty_listen_backlog_clamp(backlog, READ_ONCE(nn->somaxconn)));
	err = 0;
out:
	release_sock(sk);
	return err;
}

/**
 * nty_stream_do_accept - take a connection off the accept queue
 * @sock: the listener
 * @newsock: the socket the connection is grafted on
 * @flags: O_NONBLOCK
 * @kern: from the kernel
 *
 * Return: 0, -EINVAL when not listening, -EAGAIN, or -ERESTARTSYS.
 */
static int nty_stream_do_accept(struct socket *sock, struct socket *newsock,
				int flags, bool kern)
{
	struct sock *sk = sock->sk, *child;
	struct nty_stream_sock *ts = nty_ts(sk), *cts;
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long timeo;
	int err = -EINVAL;

	lock_sock(sk);
	if (sk->sk_state != TCP_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	add_wait_queue(sk_sleep(sk), &wait);
	while (list_empty(&ts->accept_queue)) {
		err = -EAGAIN;
		if (!timeo)
			break;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			break;
		err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			break;
		sk_wait_event(sk, &timeo, !list_empty(&ts->accept_queue) ||
			      READ_ONCE(sk->sk_state) != TCP_LISTEN, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (list_empty(&ts->accept_queue))
		goto out;

	cts = list_first_entry(&ts->accept_queue, struct nty_stream_sock,
			       accept_node);
	list_del_init(&cts->accept_node);
	sk_acceptq_removed(sk);
	release_sock(sk);

	child = &cts->ns.sk;
	lock_sock(child);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
out:
	release_sock(sk);
	return err;
}

static int nty_stream_accept(NTY_ACCEPT_ARGS)
{
	return nty_stream_do_accept(sock, newsock, NTY_ACCEPT_FLAGS,
				    NTY_ACCEPT_KERN);
}

/* Enough room freed since the last advertisement: say so (tcp_cleanup_rbuf). */
static void nty_stream_cleanup_rbuf(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	u32 cur = nty_rcv_wnd_left(ts), win;

	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_FIN_WAIT1 &&
	    sk->sk_state != TCP_FIN_WAIT2)
		return;
	win = nty_window_now(sk, NULL);
	if (win >= 2 * cur && win - cur >= ts->mss)
		nty_stream_send_ack(sk);
}

/* Sleep until something may be readable; softirq may fill the prequeue. */
static void nty_stream_wait_data(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct nty_stream_sock *ts = nty_ts(sk);

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	if (READ_ONCE(nty_pernet(sock_net(sk))->prequeue))
		WRITE_ONCE(ts->ucopy_task, current);
	sk_wait_event(sk, timeo,
		      !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
		      !skb_queue_empty_lockless(&ts->prequeue) ||
		      READ_ONCE(sk->sk_err) ||
		      (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
		      READ_ONCE(sk->sk_state) == TCP_CLOSE, &wait);
	WRITE_ONCE(ts->ucopy_task, NULL);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!skb_queue_empty(&ts->prequeue))
		nty_stream_prequeue_process(sk);
}

static struct sk_buff *nty_stream_skb_at(struct sock *sk, u32 seq, u32 *off)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		*off = seq - NTY_SEG_CB(skb)->seq;
		if (*off < skb->len)
			return skb;
	}
	return NULL;
}

static int nty_stream_recvmsg(struct socket *sock, struct msghdr *msg,
			      size_t size, int flags)
{
	struct sock *sk = sock->sk;
	struct nty_stream_sock *ts = nty_ts(sk);
	int len = min_t(size_t, size, INT_MAX);
	int copied = 0, target, chunk, err;
	u32 peek_seq, *seq, off;
	struct sk_buff *skb;
	long timeo;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return -EOPNOTSUPP;

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		release_sock(sk);
		return -ENOTCONN;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	seq = &ts->copied_seq;
	if (flags & MSG_PEEK) {
		peek_seq = ts->copied_seq;
		seq = &peek_seq;
	}

	while (copied < len) {
		/* 1. The receive queue. */
		skb = nty_stream_skb_at(sk, *seq, &off);
		if (skb) {
			chunk = min_t(int, skb->len - off, len - copied);
			if (!(flags & MSG_TRUNC)) {
				err = skb_copy_datagram_msg(skb, off, msg,
							    chunk);
				if (err) {
					if (!copied)
						copied = -EFAULT;
					break;
				}
			}
			trace_nty_copy_to_user(sk, skb, chunk);
			*seq += chunk;
			copied += chunk;
			if (!(flags & MSG_PEEK) && off + chunk == skb->len) {
				skb_unlink(skb, &sk->sk_receive_queue);
				consume_skb(skb);
			}
			continue;
		}
		if (copied >= target && !READ_ONCE(sk->sk_backlog.tail))
			break;
		/* 2. The prequeue. */
		if (!skb_queue_empty(&ts->prequeue)) {
			nty_stream_prequeue_process(sk);
			continue;
		}
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}
		/* 3. The backlog: release_sock() runs it; or sleep. */
		if (copied >= target) {
			release_sock(sk);
			lock_sock(sk);
		} else {
			if (copied > 0)
				nty_stream_cleanup_rbuf(sk);
			nty_stream_wait_data(sk, &timeo);
		}
	}
	if (copied > 0 && !(flags & MSG_PEEK))
		nty_stream_cleanup_rbuf(sk);
	release_sock(sk);
	/* recvfrom() names the sender, for streams too: the peer. */
	if (copied >= 0 && msg->msg_name)
		msg->msg_namelen = nty_sock_getname(sock, msg->msg_name, 1) > 0 ?
				   sizeof(struct sockaddr_nty) : 0;
	return copied;
}

/*
 * Copy @len bytes of @msg into @skb's page fragments, as tcp_sendmsg()
 * does: no linear buffer of its own for each segment, but pieces of the
 * pages the socket's writes share (sk_page_frag()).  A segment that
 * crosses the end of a page takes two fragments.  On failure the bytes
 * taken from @msg are given back to it.
 */
/*
 * Copy up to @len bytes of @msg into page fragments of @skb.  Returns the
 * bytes taken (fewer than @len when a user page faulted part-way: those
 * stay in @skb and the iterator stays past them, as tcp_sendmsg_locked()
 * keeps what it copied before a fault), -EFAULT when the first byte
 * faulted, or -ENOBUFS when no fragment could be had (the iterator is
 * given back exactly what this call took, and the caller frees @skb).
 */
static int nty_stream_copy_to_frags(struct sock *sk, struct sk_buff *skb,
				    struct msghdr *msg, int len)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	int copy, done = 0, i;
	size_t n;

	while (done < len) {
		i = shinfo->nr_frags;
		if (!sk_page_frag_refill(sk, pfrag) || i >= MAX_SKB_FRAGS) {
			iov_iter_revert(&msg->msg_iter, done);
			return -ENOBUFS;
		}
		copy = min_t(int, len - done, pfrag->size - pfrag->offset);
		/*
		 * A fault copies fewer bytes than asked and moves the
		 * iterator by exactly those: nothing to give back.
		 */
		n = copy_from_iter(page_address(pfrag->page) + pfrag->offset,
				   copy, &msg->msg_iter);
		if (n) {
			if (skb_can_coalesce(skb, i, pfrag->page,
					     pfrag->offset)) {
				skb_frag_size_add(&shinfo->frags[i - 1], n);
			} else {
				skb_fill_page_desc(skb, i, pfrag->page,
						   pfrag->offset, n);
				get_page(pfrag->page);
			}
			pfrag->offset += n;
			skb->len += n;
			skb->data_len += n;
			skb->truesize += n;
			done += n;
		}
		if (n < copy)
			return done ? done : -EFAULT;
	}
	return done;
}

static int nty_stream_sendmsg(struct socket *sock, struct msghdr *msg,
			      size_t size)
{
	struct sock *sk = sock->sk;
	struct nty_stream_sock *ts = nty_ts(sk);
	int flags = msg->msg_flags, copied = 0, chunk, err;
	struct nty_seg *seg;
	bool fault;
	struct sk_buff *skb;
	long timeo;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if (sk->sk_state == TCP_SYN_SENT) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out_err;
	}
	while (msg_data_left(msg)) {
		err = -EPIPE;
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
			goto out_err;
		if (sk->sk_state != TCP_ESTABLISHED &&
		    sk->sk_state != TCP_CLOSE_WAIT) {
			err = -ENOTCONN;
			goto out_err;
		}
		if (!sk_stream_memory_free(sk)) {
			nty_stream_push(sk);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				goto out_err;
			continue;
		}
		chunk = min_t(size_t, msg_data_left(msg), ts->mss);
		/*
		 * Room for the headers only, with its clone beside it, as
		 * tcp_stream_alloc_skb() does: the first transmission's clone
		 * costs no allocation, and the payload goes to page fragments.
		 */
		skb = alloc_skb_fclone(LL_MAX_HEADER + NTY_HLEN,
				       sk->sk_allocation);
		err = -ENOBUFS;
		if (!skb)
			goto out_err;
		skb_reserve(skb, LL_MAX_HEADER + NTY_HLEN);
		/* Over net.nty.mem or the memory cgroup: wait, as TCP does. */
		err = sk_wmem_schedule(sk, skb->truesize + chunk) ?
		      nty_stream_copy_to_frags(sk, skb, msg, chunk) : -ENOBUFS;
		if (err == -ENOBUFS) {
			kfree_skb(skb);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			nty_stream_push(sk);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				goto out_err;
			continue;
		}
		if (err < 0) {
			kfree_skb(skb);
			goto out_err;
		}
		/* A short copy: what was taken is sent, then -EFAULT. */
		fault = err < chunk;
		chunk = err;
		seg = NTY_SEG_CB(skb);
		seg->seq = ts->write_seq;
		seg->end_seq = ts->write_seq + chunk;
		seg->flags = 0;
		WRITE_ONCE(ts->write_seq, ts->write_seq + chunk);
		__skb_queue_tail(&sk->sk_write_queue, skb);
		nty_wmem_charge(sk, skb);
		if (!ts->send_head)
			ts->send_head = skb;
		copied += chunk;
		if (fault) {
			err = -EFAULT;
			goto out_err;
		}
		/*
		 * As tcp_sendmsg()'s forced push: a long write does not wait
		 * for its end, but what a train carries goes out together.
		 */
		if (ts->write_seq - ts->snd_nxt >= NTY_PUSH_GOAL)
			nty_stream_push(sk);
	}
	nty_stream_push(sk);
	release_sock(sk);
	return copied;

out_err:
	if (copied)
		nty_stream_push(sk);
	else
		copied = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return copied;
}

static __poll_t nty_stream_poll(struct file *file, struct socket *sock,
				poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct nty_stream_sock *ts = nty_ts(sk);
	int state = READ_ONCE(sk->sk_state);
	u8 shutdown = READ_ONCE(sk->sk_shutdown);
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	if (state == TCP_LISTEN)
		return list_empty_careful(&ts->accept_queue) ? 0 :
		       EPOLLIN | EPOLLRDNORM;

	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != TCP_SYN_SENT && state != TCP_CLOSE) {
		if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (sk_stream_is_writeable(sk)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* Race with an ACK freeing space: look again. */
				smp_mb__after_atomic();
				if (sk_stream_is_writeable(sk))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	/* The error check comes last, after the states are read (tcp_poll). */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

static int nty_stream_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	lock_sock(sk);
	switch (sk->sk_state) {
	case TCP_CLOSE:
	case TCP_LISTEN:
		err = -ENOTCONN;
		break;
	case TCP_SYN_SENT:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		nty_stream_done(sk);
		break;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if (how & SEND_SHUTDOWN)
			nty_stream_send_fin(sk);
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/* close(): a FIN after the data, or a RST when data would be lost. */
static void nty_stream_close(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	bool unread = !skb_queue_empty(&sk->sk_receive_queue);
	bool abort = sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime;

	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	switch (sk->sk_state) {
	case TCP_CLOSE:
		return;
	case TCP_SYN_SENT:
		nty_stream_done(sk);
		return;
	case TCP_TIME_WAIT:
		return;
	}
	if (unread || abort) {
		/* As tcp_close(): unread data or SO_LINGER 0 aborts. */
		nty_stream_send_flags(sk, ts->snd_nxt, NTY_F_RST | NTY_F_ACK);
		nty_stream_done(sk);
		return;
	}
	nty_stream_send_fin(sk);
}

/*
 * A closed socket that still has a peer to finish with is an orphan.
 * As tcp_close() with tcp_too_many_orphans(): past max_orphans in all,
 * the new orphan is reset at once instead (OrphanAborts), so a user who
 * closes connections to a peer that never reads pins bounded memory.
 */
static void nty_stream_orphan(struct sock *sk)
{
	struct nty_stream_sock *ts = nty_ts(sk);
	int max = READ_ONCE(nty_pernet(sock_net(sk))->max_orphans);

	if (atomic_inc_return(&nty_orphan_count) > max) {
		atomic_dec(&nty_orphan_count);
		NTY_INC_STATS(sock_net(sk), ORPHAN_ABORTS);
		nty_stream_send_flags(sk, ts->snd_nxt, NTY_F_RST | NTY_F_ACK);
		nty_stream_done(sk);
		return;
	}
	ts->orphan = true;
}

static int nty_stream_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	lock_sock(sk);
	if (nty_sk(sk)->stage_times)
		nty_timing_put();
	if (sk->sk_state == TCP_LISTEN)
		nty_listen_stop(sk);
	else
		nty_stream_close(sk);
	sock_orphan(sk);
	if (sk->sk_state != TCP_CLOSE)
		nty_stream_orphan(sk);
	if (sk->sk_state == TCP_CLOSE)
		nty_stream_destroy(sk);
	else if (sk->sk_state == TCP_FIN_WAIT2)
		nty_stream_arm_timer(sk, nty_fin_timeout(sk));
	release_sock(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

static int nty_stream_ioctl(struct socket *sock, unsigned int cmd,
			    unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct nty_stream_sock *ts = nty_ts(sk);
	int amount;

	if (sk->sk_state == TCP_LISTEN)
		return -EINVAL;
	lock_sock(sk);
	switch (cmd) {
	case SIOCINQ:
		amount = ts->rcv_nxt - ts->copied_seq;
		if (amount && sock_flag(sk, SOCK_DONE))
			amount--;	/* the FIN is no byte */
		break;
	case SIOCOUTQ:
		amount = ts->write_seq - ts->snd_una - ts->fin_sent;
		break;
	case SIOCOUTQNSD:
		amount = ts->write_seq - ts->snd_nxt;
		break;
	default:
		release_sock(sk);
		return -ENOIOCTLCMD;
	}
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_CLOSE)
		amount = 0;
	release_sock(sk);
	return put_user(max(amount, 0), (int __user *)arg);
}

struct proto nty_stream_proto = {
	.name		= "NTY-STREAM",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct nty_stream_sock),
	.backlog_rcv	= nty_stream_do_rcv,
	NTY_PROTO_MEMORY,
};

const struct proto_ops nty_stream_ops = {
	.family		= PF_NTY,
	.owner		= THIS_MODULE,
	.release	= nty_stream_release,
	.bind		= nty_sock_bind,
	.connect	= nty_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= nty_stream_accept,
	.getname	= nty_sock_getname,
	.poll		= nty_stream_poll,
	.ioctl		= nty_stream_ioctl,
	.listen		= nty_stream_listen,
	.shutdown	= nty_stream_shutdown,
	.setsockopt	= nty_sock_setsockopt,
	.getsockopt	= nty_sock_getsockopt,
	.sendmsg	= nty_stream_sendmsg,
	.recvmsg	= nty_stream_recvmsg,
	.mmap		= sock_no_mmap,
};

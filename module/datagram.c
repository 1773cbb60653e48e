// SPDX-License-Identifier: GPL-2.0
/*
 * Stages 8 to 10 for datagram sockets, and their send side: the socket's
 * queues, the wake-up and the copy to user, as UDP does them.
 *
 * A frame that finds the socket lock owned by a user context goes to the
 * socket backlog (sk_add_backlog, bounded by rcvbuf + sndbuf as the kernel
 * bounds it) and is moved to the receive queue by release_sock().
 * Otherwise it goes straight to the receive queue, charged by truesize
 * against SO_RCVBUF, and sk_data_ready() wakes the readers.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <asm/ioctls.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "nty.h"
#include "observe.h"
#include "trace.h"

/*
 * The receive queue: the last stage before the copy to user.  Called in
 * softirq with the socket spinlock held, or from release_sock() in the
 * owner's context.
 */
static int nty_dgram_queue_rcv_skb(struct sock *sk, struct sk_buff *skb,
				   int via)
{
	struct net *net = sock_net(sk);
	enum nty_drop_kind_id kind = __NTY_DROP_MAX;

	/* Under the socket's spinlock (softirq) or owned by its user. */
	lockdep_assert(lockdep_sock_is_held(sk));

	/* As __sock_queue_rcv_skb(): the buffer first, then the budget. */
	if (atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf))
		kind = NTY_DROP_RCVBUF;
	else if (nty_fail_sock_enqueue())
		kind = NTY_DROP_SOCKET_FAULT;
	else if (!sk_rmem_schedule(sk, skb, skb->truesize))
		kind = NTY_DROP_PROTO_MEM;
	if (unlikely(kind != __NTY_DROP_MAX)) {
		atomic_inc(&sk->sk_drops);
		nty_sk_drop(sk, skb, kind);
		return -ENOMEM;
	}

	skb_set_owner_r(skb, sk);
	sock_skb_set_dropcount(sk, skb);
	if (nty_journeys_on())
		nty_journey_deliver(sk, skb, via);
	/*
	 * Before the enqueue: recvmsg() takes datagrams without the socket
	 * lock, and may free this one as soon as it is queued.
	 */
	trace_nty_sock_enqueue(sk, skb, NTY_Q_RECEIVE);
	skb_queue_tail(&sk->sk_receive_queue, skb);
	NTY_INC_STATS(net, IN_DELIVERS);
	if (!sock_flag(sk, SOCK_DEAD)) {
		trace_nty_wakeup(sk);
		sk->sk_data_ready(sk);
	}
	return 0;
}

/* The socket's spinlock is held and no user owns it. */
static int nty_dgram_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	return nty_dgram_queue_rcv_skb(sk, skb, NTY_Q_RECEIVE);
}

/**
 * nty_dgram_rcv - hand a frame to a datagram socket
 * @sk: the socket (RCU protected, SOCK_RCU_FREE)
 * @skb: the frame, data at the payload; consumed
 *
 * Return: 0 when queued (receive queue or socket backlog), else an errno.
 */
int nty_dgram_rcv(struct sock *sk, struct sk_buff *skb)
{
	/* As sk_receive_skb() bounds a datagram socket's backlog. */
	u64 limit = (u64)READ_ONCE(sk->sk_rcvbuf) + READ_ONCE(sk->sk_sndbuf);

	return nty_sock_receive(sk, skb, 0, min_t(u64, limit, UINT_MAX),
				nty_dgram_rcv_skb);
}

static int nty_dgram_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	nty_dgram_queue_rcv_skb(sk, skb, NTY_Q_BACKLOG);
	return 0;
}

static int nty_autobind(struct sock *sk)
{
	if (nty_sk(sk)->sport)
		return 0;
	return nty_bind_port(sk, 0, sk->sk_bound_dev_if);
}

static int nty_dgram_connect(struct socket *sock, struct sockaddr *uaddr,
			     int addr_len, int flags)
{
	struct sockaddr_nty *addr = (struct sockaddr_nty *)uaddr;
	struct sock *sk = sock->sk;
	struct nty_sock *ns = nty_sk(sk);
	struct net_device *dev;
	int err;

	if (addr_len >= sizeof(addr->snty_family) &&
	    addr->snty_family == AF_UNSPEC) {
		lock_sock(sk);
		nty_unhash_connected(sk);
		sk->sk_state = TCP_CLOSE;
		release_sock(sk);
		return 0;
	}
	err = nty_check_addr(uaddr, addr_len);
	if (err)
		return err;
	if (is_broadcast_ether_addr(addr->snty_addr) &&
	    !sock_flag(sk, SOCK_BROADCAST))
		return -EACCES;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(sock_net(sk), addr->snty_ifindex);
	rcu_read_unlock();
	if (!dev)
		return -ENXIO;

	lock_sock(sk);
	err = nty_autobind(sk);
	if (err)
		goto out;
	if (ns->connected) {
		nty_unhash_connected(sk);
		/*
		 * A lookup may stand on this socket in its old chain: let it
		 * finish before the node links into another one, or it would
		 * walk on in the wrong chain and miss the sockets after it.
		 */
		synchronize_net();
	}
	ns->dport = addr->snty_port;
	ns->difindex = addr->snty_ifindex;
	ether_addr_copy(ns->daddr, addr->snty_addr);
	err = nty_hash_connected(sk);
	sk->sk_state = TCP_ESTABLISHED;
out:
	release_sock(sk);
	return err;
}

static int nty_dgram_sendmsg(struct socket *sock, struct msghdr *msg,
			     size_t len)
{
	DECLARE_SOCKADDR(struct sockaddr_nty *, addr, msg->msg_name);
	struct sock *sk = sock->sk;
	struct nty_sock *ns = nty_sk(sk);
	struct net *net = sock_net(sk);
	u8 daddr[ETH_ALEN];
	struct net_device *dev;
	struct sk_buff *skb;
	struct ntyhdr *nh;
	int ifindex, err;
	__be16 dport;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;

	if (addr) {
		err = nty_check_addr((struct sockaddr *)addr, msg->msg_namelen);
		if (err)
			return err;
		dport = addr->snty_port;
		ifindex = addr->snty_ifindex;
		ether_addr_copy(daddr, addr->snty_addr);
	} else {
		if (!READ_ONCE(ns->connected))
			return -EDESTADDRREQ;
		dport = ns->dport;
		ifindex = ns->difindex;
		ether_addr_copy(daddr, ns->daddr);
	}
	if (!ifindex)
		ifindex = READ_ONCE(sk->sk_bound_dev_if) ?: ns->bound_ifindex;
	/* As udp_sendmsg(): a broadcast takes SO_BROADCAST. */
	if (is_broadcast_ether_addr(daddr) && !sock_flag(sk, SOCK_BROADCAST))
		return -EACCES;

	if (!ns->sport) {
		lock_sock(sk);
		err = nty_autobind(sk);
		release_sock(sk);
		if (err)
			return err;
	}

	dev = dev_get_by_index(net, ifindex);
	if (!dev)
		return -ENXIO;
	err = -ENETDOWN;
	if (!(dev->flags & IFF_UP))
		goto out_dev;
	err = -EINVAL;
	if (dev->type != ARPHRD_ETHER && dev->type != ARPHRD_LOOPBACK)
		goto out_dev;
	err = -EMSGSIZE;
	if (len > dev->mtu - NTY_HLEN || len > NTY_MAX_LEN - NTY_HLEN)
		goto out_dev;

	if (nty_fail_send_alloc()) {
		err = -ENOBUFS;
		nty_output_failed(net, 1, err);
		goto out_dev;
	}
	/*
	 * The skb is charged to sk_wmem_alloc until the device frees it: the
	 * only memory a datagram keeps after send (claim C4), bounded by
	 * SO_SNDBUF as for UDP.
	 */
	skb = sock_alloc_send_skb(sk, LL_RESERVED_SPACE(dev) + NTY_HLEN + len +
				  dev->needed_tailroom,
				  msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb)
		goto out_dev;
	skb_reserve(skb, LL_RESERVED_SPACE(dev));
	skb_reset_network_header(skb);
	nh = skb_put(skb, NTY_HLEN);
	err = memcpy_from_msg(skb_put(skb, len), msg, len);
	if (err)
		goto out_free;
	nty_build_header(nh, NTY_TYPE_DGRAM, 0, ns->sport, dport,
			 NTY_HLEN + len);
	nty_csum_partial(skb);

	skb->priority = READ_ONCE(sk->sk_priority);
	skb->mark = READ_ONCE(sk->sk_mark);
	err = nty_output_dev(net, skb, dev, daddr, 1);
	dev_put(dev);
	return err ?: len;

out_free:
	/* Never built whole: not handed to the device. */
	nty_output_failed(net, 1, err);
	kfree_skb(skb);
out_dev:
	dev_put(dev);
	return err;
}

/*
 * As __skb_free_datagram_locked() did: recvmsg() runs without the socket
 * lock, and the uncharge of the datagram's memory must not race with a
 * charge in softirq; the last reference is dropped under the spinlock.
 */
static void nty_dgram_free(struct sock *sk, struct sk_buff *skb)
{
	bool slow;

	if (!skb_unref(skb))
		return;
	slow = lock_sock_fast(sk);
	skb_orphan(skb);
	unlock_sock_fast(sk, slow);
	__kfree_skb(skb);
}

static int nty_dgram_recvmsg(struct socket *sock, struct msghdr *msg,
			     size_t len, int flags)
{
	DECLARE_SOCKADDR(struct sockaddr_nty *, saddr, msg->msg_name);
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	size_t copied;
	int err;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return -EOPNOTSUPP;

	skb = skb_recv_datagram(sk, flags, &err);
	if (!skb)
		return err;

	copied = skb->len;
	if (copied > len) {
		copied = len;
		msg->msg_flags |= MSG_TRUNC;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err)
		goto out;
	trace_nty_copy_to_user(sk, skb, copied);
	nty_timing_copied(sk, skb, msg);

	sock_recv_cmsgs(msg, sk, skb);
	if (saddr) {
		const struct nty_skb_cb *cb = NTY_SKB_CB(skb);

		memset(saddr, 0, sizeof(*saddr));
		saddr->snty_family = nty_family;
		saddr->snty_port = cb->sport;
		saddr->snty_ifindex = cb->ifindex;
		ether_addr_copy(saddr->snty_addr, cb->saddr);
		msg->msg_namelen = sizeof(*saddr);
	}
	/* As UDP: MSG_TRUNC asks for the datagram's real length. */
	if (flags & MSG_TRUNC)
		copied = skb->len;
out:
	nty_dgram_free(sk, skb);
	return err ? err : copied;
}

static int nty_dgram_ioctl(struct socket *sock, unsigned int cmd,
			   unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	int amount;

	switch (cmd) {
	case SIOCOUTQ:
		amount = sk_wmem_alloc_get(sk);
		break;
	case SIOCINQ:
		/* As UDP: the size of the next datagram. */
		spin_lock_bh(&sk->sk_receive_queue.lock);
		skb = skb_peek(&sk->sk_receive_queue);
		amount = skb ? skb->len : 0;
		spin_unlock_bh(&sk->sk_receive_queue.lock);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

static int nty_dgram_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	/* SHUT_RD, SHUT_WR, SHUT_RDWR are 0, 1, 2; the mask bits one more. */
	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	lock_sock(sk);
	if (!nty_sk(sk)->connected)
		err = -ENOTCONN;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

struct proto nty_dgram_proto = {
	.name		= "NTY",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct nty_sock),
	.backlog_rcv	= nty_dgram_backlog_rcv,
	NTY_PROTO_MEMORY,
};

const struct proto_ops nty_dgram_ops = {
	.family		= PF_NTY,
	.owner		= THIS_MODULE,
	.release	= nty_sock_release,
	.bind		= nty_sock_bind,
	.connect	= nty_dgram_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= nty_sock_getname,
	.poll		= datagram_poll,
	.ioctl		= nty_dgram_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= nty_dgram_shutdown,
	.setsockopt	= nty_sock_setsockopt,
	.getsockopt	= nty_sock_getsockopt,
	.sendmsg	= nty_dgram_sendmsg,
	.recvmsg	= nty_dgram_recvmsg,
	.mmap		= sock_no_mmap,
};

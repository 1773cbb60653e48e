// SPDX-License-Identifier: GPL-2.0
/*
 * The address family: socket creation and the calls that datagram and
 * stream sockets share (release, bind, getname, socket options), as
 * af_phonet.c and af_can.c hold their family's core.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/delay.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <net/sock.h>

#include "nty.h"
#include "observe.h"
#include "trace.h"

/**
 * nty_check_addr - validate a sockaddr_nty from user space
 * @uaddr: the address
 * @len: its length
 *
 * Return: 0, -EINVAL when too short or snty_zero is not zero, or
 * -EAFNOSUPPORT for another family, as inet does.
 */
int nty_check_addr(const struct sockaddr *uaddr, int len)
{
	const struct sockaddr_nty *addr = (const struct sockaddr_nty *)uaddr;

	if (len < (int)sizeof(*addr))
		return -EINVAL;
	if (addr->snty_family != nty_family)
		return -EAFNOSUPPORT;
	if (addr->snty_zero[0] || addr->snty_zero[1])
		return -EINVAL;
	return 0;
}

/**
 * nty_sock_destruct - sk_destruct of every NTY socket, once the last
 *	reference is gone
 * @sk: the socket; a type with queues of its own empties them first
 */
void nty_sock_destruct(struct sock *sk)
{
	/* Frames an RCU reader queued after close. */
	skb_queue_purge(&sk->sk_receive_queue);
	/* Every charge is back: return the socket's share of net.nty.mem. */
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc));
	WARN_ON_ONCE(sk->sk_forward_alloc);
}

/*
 * Socket memory, accounted as UDP's and TCP's: every queued skb is charged
 * to net.nty.mem (in pages, shared by both socket types: [0] nothing
 * happens below it, [2] no socket gets more above it) and to the memory
 * cgroup of the socket's creator.  Defaults as udp_mem's.
 */
atomic_long_t nty_memory_allocated;
DEFINE_PER_CPU(int, nty_memory_per_cpu_fw_alloc);
long nty_sysctl_mem[3];
/* What a socket may always have, under pressure too (udp_rmem_min). */
int nty_sysctl_rmem[3] = { PAGE_SIZE, 0, 0 };
int nty_sysctl_wmem[3] = { PAGE_SIZE, 0, 0 };

static void nty_mem_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 8, 128UL);

	nty_sysctl_mem[0] = limit / 4 * 3;
	nty_sysctl_mem[1] = limit;
	nty_sysctl_mem[2] = nty_sysctl_mem[0] * 2;
}

/**
 * nty_sklist_add - list @sk in /proc/net/nty/sockets (holds a reference)
 * @sk: the socket
 */
void nty_sklist_add(struct sock *sk)
{
	struct nty_net *nn = nty_pernet(sock_net(sk));

	spin_lock_bh(&nn->sklist_lock);
	sk_add_node_rcu(sk, &nn->sklist);
	spin_unlock_bh(&nn->sklist_lock);
}

/**
 * nty_sklist_del - take @sk off the list, dropping the list's reference
 * @sk: the socket; the caller holds another reference
 */
void nty_sklist_del(struct sock *sk)
{
	struct nty_net *nn = nty_pernet(sock_net(sk));

	spin_lock_bh(&nn->sklist_lock);
	sk_del_node_init_rcu(sk);
	spin_unlock_bh(&nn->sklist_lock);
}

/*
 * Stage 8 for a socket a user context owns: the frame waits on the
 * socket backlog until release_sock() (claim 8), bounded by @limit
 * (SockBacklogDrops).
 */
static int nty_sock_add_backlog(struct sock *sk, struct sk_buff *skb,
				u32 limit)
{
	if (likely(!sk_add_backlog(sk, skb, limit))) {
		trace_nty_sock_enqueue(sk, skb, NTY_Q_BACKLOG);
		NTY_INC_STATS(sock_net(sk), SOCK_BACKLOG_QUEUED);
		return 0;
	}
	atomic_inc(&sk->sk_drops);
	nty_sk_drop(sk, skb, NTY_DROP_SOCK_BACKLOG);
	return -ENOBUFS;
}

/*
 * As udp_queue_rcv_one_skb() and tcp_filter() call sk_filter_trim_cap():
 * the program (SO_ATTACH_FILTER) sees the frame from its NTY header on
 * (offset 0 is the version byte, "len" the header plus payload), may trim
 * it to no less than the header, or drop it (socket_filter, counted in
 * the socket's drops as UDP does).  Return: true when it was dropped.
 */
static bool nty_sock_filter(struct sock *sk, struct sk_buff *skb)
{
	int err;

	__skb_push(skb, NTY_HLEN);
	err = sk_filter_trim_cap(sk, skb, NTY_HLEN);
	if (unlikely(err)) {
		atomic_inc(&sk->sk_drops);
		nty_sk_drop(sk, skb, NTY_DROP_SOCKET_FILTER);
		return true;
	}
	__skb_pull(skb, NTY_HLEN);
	return false;
}

/**
 * nty_sock_receive - the door of stage 8: a frame enters a socket
 * @sk: the socket, RCU protected or referenced by the caller
 * @skb: the frame, data at the payload; consumed
 * @subclass: lockdep subclass of @sk's spinlock: 0 from demux,
 *	SINGLE_DEPTH_NESTING for a listener's child while the listener's
 *	own spinlock is held (the two are the same lock class)
 * @limit: bytes the socket backlog may hold (the type's policy)
 * @rcv: the type's receive function, run under the spinlock when no
 *	user owns the socket; it consumes the frame
 *
 * As __sk_receive_skb(): the socket filter, then the spinlock, then the
 * type's receive function or, while a user context owns the socket, the
 * socket backlog; the lock is taken and released here and nowhere else.
 *
 * Return: 0 when the frame was taken, -EPERM when the filter dropped it,
 * -ENOBUFS when the socket backlog was full, or what @rcv returned.
 */
int nty_sock_receive(struct sock *sk, struct sk_buff *skb, int subclass,
		     u32 limit, int (*rcv)(struct sock *sk, struct sk_buff *skb))
{
	int ret;

	if (nty_sock_filter(sk, skb))
		return -EPERM;
	nty_stamp(skb, NTY_STAMP_SOCK);
	spin_lock_nested(&sk->sk_lock.slock, subclass);
	if (sock_owned_by_user(sk))
		ret = nty_sock_add_backlog(sk, skb, limit);
	else
		ret = rcv(sk, skb);
	spin_unlock(&sk->sk_lock.slock);
	return ret;
}

/**
 * nty_sock_release - close() of a datagram socket: unhash, flush the
 *	backlog, drop the queues
 * @sock: the socket
 *
 * Return: 0.
 */
int nty_sock_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	nty_sklist_del(sk);

	lock_sock(sk);
	nty_unhash(sk);
	if (nty_sk(sk)->stage_times)
		nty_timing_put();
	sock_orphan(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	/* Owned: no charge in softirq races the uncharges. */
	skb_queue_purge(&sk->sk_receive_queue);
	release_sock(sk);

	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

/**
 * nty_sock_bind - bind(): a local port, and optionally an interface
 * @sock: the socket
 * @uaddr: a struct sockaddr_nty; the MAC is ignored
 * @len: its length
 *
 * Return: 0 or the errno UDP gives for the same mistake.
 */
int nty_sock_bind(struct socket *sock, struct sockaddr *uaddr, int len)
{
	struct sockaddr_nty *addr = (struct sockaddr_nty *)uaddr;
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	u16 port;
	int err;

	err = nty_check_addr(uaddr, len);
	if (err)
		return err;
	port = ntohs(addr->snty_port);
	if (port && port < PROT_SOCK &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;
	if (addr->snty_ifindex) {
		struct net_device *dev;

		rcu_read_lock();
		dev = dev_get_by_index_rcu(net, addr->snty_ifindex);
		rcu_read_unlock();
		if (!dev)
			return -ENODEV;
	}

	lock_sock(sk);
	if (nty_sk(sk)->sport)
		err = -EINVAL;
	else
		err = nty_bind_port(sk, addr->snty_port,
				    addr->snty_ifindex ?: sk->sk_bound_dev_if);
	release_sock(sk);
	return err;
}

/**
 * nty_sock_getname - getsockname() and getpeername()
 * @sock: the socket
 * @uaddr: filled with a struct sockaddr_nty
 * @peer: 0 for the local end, else the connected peer
 *
 * Return: the address length, or -ENOTCONN for an unconnected peer.
 */
int nty_sock_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_nty *addr = (struct sockaddr_nty *)uaddr;
	struct sock *sk = sock->sk;
	struct nty_sock *ns = nty_sk(sk);
	struct net_device *dev;

	memset(addr, 0, sizeof(*addr));
	addr->snty_family = nty_family;
	lock_sock(sk);
	if (peer) {
		if (!ns->connected) {
			release_sock(sk);
			return -ENOTCONN;
		}
		addr->snty_port = ns->dport;
		addr->snty_ifindex = ns->difindex;
		ether_addr_copy(addr->snty_addr, ns->daddr);
	} else {
		addr->snty_port = ns->sport;
		addr->snty_ifindex = ns->bound_ifindex;
		rcu_read_lock();
		dev = dev_get_by_index_rcu(sock_net(sk), ns->bound_ifindex);
		if (dev && dev->addr_len == ETH_ALEN)
			ether_addr_copy(addr->snty_addr, dev->dev_addr);
		rcu_read_unlock();
	}
	release_sock(sk);
	return sizeof(*addr);
}

/*
 * SO_RCVBUF and SO_SNDBUF are clamped by NTY's own rmem_max and wmem_max,
 * the way net.core.rmem_max clamps them for UDP; nty_create() asks for
 * SOL_SOCKET options to reach this function (see compat.h).
 */
static int nty_setsockopt_buf(struct sock *sk, int optname, sockptr_t optval,
			      unsigned int optlen)
{
	struct nty_net *nn = nty_pernet(sock_net(sk));
	int val;

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	val = clamp(val, 0, INT_MAX / 2);

	lock_sock(sk);
	if (optname == SO_RCVBUF) {
		val = min(val, READ_ONCE(nn->rmem_max));
		sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
		WRITE_ONCE(sk->sk_rcvbuf, max_t(int, val * 2, SOCK_MIN_RCVBUF));
	} else {
		val = min(val, READ_ONCE(nn->wmem_max));
		sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
		WRITE_ONCE(sk->sk_sndbuf, max_t(int, val * 2, SOCK_MIN_SNDBUF));
		sk->sk_write_space(sk);
	}
	release_sock(sk);
	return 0;
}

/* A slow system call on purpose: see NTY_HOLD_LOCK in nty.h. */
static int nty_hold_lock(struct sock *sk, sockptr_t optval,
			 unsigned int optlen)
{
	int ms, err = 0;

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&ms, optval, sizeof(ms)))
		return -EFAULT;
	if (ms < 0 || ms > NTY_HOLD_LOCK_MAX)
		return -EINVAL;
	lock_sock(sk);
	if (msleep_interruptible(ms))
		err = -EINTR;
	release_sock(sk);
	return err;
}

/* NTY_STAGE_TIMES: the socket holds a reference on the timing key. */
static int nty_set_stage_times(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	struct nty_sock *ns = nty_sk(sk);
	int val;

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	if (val && !ns->stage_times)
		nty_timing_get();
	else if (!val && ns->stage_times)
		nty_timing_put();
	WRITE_ONCE(ns->stage_times, !!val);
	release_sock(sk);
	return 0;
}

/**
 * nty_sock_setsockopt - SOL_SOCKET (with NTY's buffer limits) and SOL_NTY
 * @sock: the socket
 * @level: SOL_SOCKET or SOL_NTY
 * @optname: the option
 * @optval: its value
 * @optlen: its length
 *
 * Return: 0 or a negative errno (-ENOPROTOOPT for unknown options).
 */
int nty_sock_setsockopt(struct socket *sock, int level, int optname,
			sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;

	if (level == SOL_SOCKET) {
		if (optname == SO_RCVBUF || optname == SO_SNDBUF)
			return nty_setsockopt_buf(sk, optname, optval, optlen);
		return sock_setsockopt(sock, level, optname, optval, optlen);
	}
	if (level != SOL_NTY)
		return -ENOPROTOOPT;

	switch (optname) {
	case NTY_HOLD_LOCK:
		return nty_hold_lock(sk, optval, optlen);
	case NTY_STAGE_TIMES:
		return nty_set_stage_times(sk, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

/**
 * nty_sock_getsockopt - SOL_NTY options (SOL_SOCKET never comes here)
 * @sock: the socket
 * @level: the level
 * @optname: the option
 * @optval: user buffer
 * @optlen: user length
 *
 * Return: 0, -EINVAL or -EFAULT for a bad buffer, or -ENOPROTOOPT.
 */
int nty_sock_getsockopt(struct socket *sock, int level, int optname,
			char __user *optval, int __user *optlen)
{
	int len, val;

	if (level != SOL_NTY)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	switch (optname) {
	case NTY_STAGE_TIMES:
		val = READ_ONCE(nty_sk(sock->sk)->stage_times);
		break;
	default:
		return -ENOPROTOOPT;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/**
 * nty_sock_setup - what every NTY socket needs, user-made or a child
 * @sk: the socket, after sock_init_data()
 * @nn: its namespace's NTY state
 */
void nty_sock_setup(struct sock *sk, struct nty_net *nn)
{
	sk->sk_destruct = nty_sock_destruct;
	sk->sk_backlog_rcv = sk->sk_prot->backlog_rcv;
	sk->sk_rcvbuf = READ_ONCE(nn->rmem_default);
	sk->sk_sndbuf = READ_ONCE(nn->wmem_default);
	/* Demux finds sockets under RCU alone, as UDP does. */
	sock_set_flag(sk, SOCK_RCU_FREE);
	INIT_HLIST_NODE(&nty_sk(sk)->bind_node);
	/* Unhashed: hlist_nulls_unhashed() looks at pprev alone. */
	nty_sk(sk)->conn_node.pprev = NULL;
}

static int nty_create(struct net *net, struct socket *sock, int protocol,
		      int kern)
{
	struct nty_net *nn = nty_pernet(net);
	const struct proto_ops *ops;
	struct proto *prot;
	struct sock *sk;

	switch (sock->type) {
	case SOCK_DGRAM:
		ops = &nty_dgram_ops;
		prot = &nty_dgram_proto;
		break;
	case SOCK_STREAM:
		ops = &nty_stream_ops;
		prot = &nty_stream_proto;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	if (protocol)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, nty_family, GFP_KERNEL, prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->ops = ops;
	sock_init_data(sock, sk);
	nty_sock_custom_sockopt(sock);
	sk->sk_protocol = protocol;
	nty_sock_setup(sk, nn);
	if (sock->type == SOCK_STREAM)
		nty_stream_init_sock(sk);
	nty_sklist_add(sk);
	return 0;
}

static struct net_proto_family nty_family_ops = {
	.create	= nty_create,
	.owner	= THIS_MODULE,
};

/**
 * nty_af_init - register the protocols and the address family
 *
 * Return: 0, or -EEXIST when the family number is taken (a clear
 * message says which), or another negative errno.
 */
int nty_af_init(void)
{
	int ret;

	nty_mem_init();
	ret = proto_register(&nty_dgram_proto, 1);
	if (ret)
		return ret;
	ret = proto_register(&nty_stream_proto, 1);
	if (ret)
		goto err_stream;

	nty_family_ops.family = nty_family;
	ret = sock_register(&nty_family_ops);
	if (ret) {
		pr_err("cannot register address family %d: %s (choose another with family=N)\n",
		       nty_family, ret == -EEXIST ? "already taken" : "refused");
		goto err_sock;
	}
	return 0;

err_sock:
	proto_unregister(&nty_stream_proto);
err_stream:
	proto_unregister(&nty_dgram_proto);
	return ret;
}

/**
 * nty_af_exit - unregister the family; no socket can exist any more
 */
void nty_af_exit(void)
{
	sock_unregister(nty_family);
	proto_unregister(&nty_stream_proto);
	proto_unregister(&nty_dgram_proto);
}

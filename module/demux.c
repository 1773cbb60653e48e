// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 7, demux: which socket gets a frame.  As UDP does, a connected
 * socket matching the full tuple (peer MAC, peer port, local port,
 * ifindex) wins over a socket bound to the local port, and a bound socket
 * on the arrival interface wins over one bound to every interface.
 *
 * Two global hash tables, keyed with the namespace mixed in as UDP's
 * udp_table is, so that a lookup costs the same with 10 sockets as with
 * 100,000: the port table holds every socket that owns a port, the
 * connected table every connected socket.  Readers walk them under RCU
 * (sockets are SOCK_RCU_FREE); writers take nty_hash_lock.
 *
 * A socket leaves the connected table when its connection ends and may
 * join it again at once, in another chain, with the next connect(): a
 * reader standing on it would follow it into the wrong chain and miss
 * the connection it was looking for.  As TCP's established hash, the
 * connected table is an hlist_nulls whose chains each end in their own
 * number: a lookup that ends in another chain's starts again.
 */
#include <linux/jhash.h>
#include <linux/list_nulls.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/etherdevice.h>
#include <net/netns/hash.h>
#include <net/tcp_states.h>

#include "nty.h"

#define NTY_HASH_BITS	16
#define NTY_HASH_SIZE	BIT(NTY_HASH_BITS)

static struct hlist_head *nty_port_table;
static struct hlist_nulls_head *nty_conn_table;
static DEFINE_SPINLOCK(nty_hash_lock);
static u32 nty_hash_seed __read_mostly;

static struct hlist_head *nty_port_bucket(const struct net *net, __be16 port)
{
	u32 h = (u32)ntohs(port) + net_hash_mix(net);

	return &nty_port_table[hash_32(h, NTY_HASH_BITS)];
}

/* The connected table's chain for a four-tuple, by number. */
static u32 nty_conn_slot(const struct net *net, __be16 lport, __be16 rport,
			 const u8 *raddr, int ifindex)
{
	u32 a = get_unaligned((const u32 *)raddr);
	u32 b = get_unaligned((const u16 *)(raddr + 4)) ^ (u32)ifindex;
	u32 c = ((u32)ntohs(lport) << 16) | ntohs(rport);

	return jhash_3words(a, b, c, nty_hash_seed ^ net_hash_mix(net)) &
	       (NTY_HASH_SIZE - 1);
}

/*
 * May a frame that came in on @ifindex reach @ns?  Both the interface
 * bind() named and SO_BINDTODEVICE, which may come later, must allow it,
 * as UDP's lookup checks sk_bound_dev_if at every frame
 * (udp_sk_bound_dev_eq()).
 */
static bool nty_sk_dev_match(const struct nty_sock *ns, int ifindex)
{
	int dev_if = READ_ONCE(ns->sk.sk_bound_dev_if);

	return (!ns->bound_ifindex || ns->bound_ifindex == ifindex) &&
	       (!dev_if || dev_if == ifindex);
}

/*
 * Does @sk's bind overlap with @sk2's on (@ifindex, reuse)?  As
 * inet_bind_conflict(): SO_REUSEADDR on both shares a port, but only
 * between sockets of one user (another user must not be able to take
 * over a port by setting it too), and never with a listener (a second
 * listener would steal its connections).  Caller holds the lock.
 */
static bool nty_port_conflict(const struct sock *sk, const struct sock *sk2,
			      int ifindex)
{
	const struct nty_sock *ns2 = nty_sk(sk2);

	if (sk->sk_type != sk2->sk_type)
		return false;
	if (ifindex && ns2->bound_ifindex && ifindex != ns2->bound_ifindex)
		return false;
	return !(sk->sk_reuse && sk2->sk_reuse &&
		 uid_eq(sk->sk_uid, sk2->sk_uid) &&
		 READ_ONCE(sk2->sk_state) != TCP_LISTEN);
}

static bool nty_port_in_use(struct net *net, const struct sock *sk,
			    __be16 port, int ifindex)
{
	struct nty_sock *ns;

	lockdep_assert_held(&nty_hash_lock);
	hlist_for_each_entry(ns, nty_port_bucket(net, port), bind_node) {
		if (ns->sport == port && net_eq(sock_net(&ns->sk), net) &&
		    &ns->sk != sk && nty_port_conflict(sk, &ns->sk, ifindex))
			return true;
	}
	return false;
}

/**
 * nty_bind_port - give @sk a local port and hash it
 * @sk: an unbound socket, locked by the caller
 * @port: network order; 0 picks a free port from the namespace's range
 * @ifindex: interface to bind to, 0 = any
 *
 * Return: 0, -EADDRINUSE when the port is taken, or -EAGAIN when the
 * ephemeral range has no free port (as UDP's autobind does).
 */
int nty_bind_port(struct sock *sk, __be16 port, int ifindex)
{
	struct net *net = sock_net(sk);
	struct nty_net *nn = nty_pernet(net);
	struct nty_sock *ns = nty_sk(sk);
	int lo, hi, n, i;
	u32 off;

	spin_lock_bh(&nty_hash_lock);
	if (port) {
		if (nty_port_in_use(net, sk, port, ifindex))
			goto busy;
		goto found;
	}

	lo = READ_ONCE(nn->port_range[0]);
	hi = READ_ONCE(nn->port_range[1]);
	n = hi - lo + 1;
	off = get_random_u32_below(n);
	for (i = 0; i < n; i++) {
		port = htons(lo + (off + i) % n);
		if (!nty_port_in_use(net, sk, port, ifindex))
			goto found;
	}
	spin_unlock_bh(&nty_hash_lock);
	return -EAGAIN;

found:
	ns->sport = port;
	ns->bound_ifindex = ifindex;
	hlist_add_head_rcu(&ns->bind_node, nty_port_bucket(net, port));
	sock_prot_inuse_add(net, sk->sk_prot, 1);
	spin_unlock_bh(&nty_hash_lock);
	return 0;
busy:
	spin_unlock_bh(&nty_hash_lock);
	return -EADDRINUSE;
}

/**
 * nty_listen_port - may @sk listen on the port it is bound to
 * @sk: a bound stream socket whose state was just set to TCP_LISTEN,
 *	locked by the caller
 *
 * As inet_csk_listen_start() runs get_port() again: a port some other
 * socket shares through SO_REUSEADDR (an old connection, a second
 * bind) can take one listener, never two.  The state is set before the
 * check, under the table lock, so that two racing listen() calls see
 * each other.
 *
 * Return: 0 or -EADDRINUSE.
 */
int nty_listen_port(struct sock *sk)
{
	struct nty_sock *ns = nty_sk(sk);
	int err;

	spin_lock_bh(&nty_hash_lock);
	err = nty_port_in_use(sock_net(sk), sk, ns->sport, ns->bound_ifindex) ?
	      -EADDRINUSE : 0;
	spin_unlock_bh(&nty_hash_lock);
	return err;
}

/**
 * nty_hash_child - a listener's new connection takes its port too
 * @sk: the child, not yet visible to anyone
 *
 * As __inet_inherit_port(): while the connection lives, its port is
 * owned (another user cannot bind it); the listener already checked.
 */
void nty_hash_child(struct sock *sk)
{
	struct nty_sock *ns = nty_sk(sk);

	spin_lock_bh(&nty_hash_lock);
	hlist_add_head_rcu(&ns->bind_node,
			   nty_port_bucket(sock_net(sk), ns->sport));
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	spin_unlock_bh(&nty_hash_lock);
}

/* A stream connection with @ns's four-tuple, other than @ns itself. */
static bool nty_tuple_in_use(struct net *net, const struct nty_sock *ns,
			     struct hlist_nulls_head *head)
{
	struct hlist_nulls_node *node;
	struct nty_sock *ns2;

	hlist_nulls_for_each_entry(ns2, node, head, conn_node)
		if (ns2 != ns && ns2->sport == ns->sport &&
		    ns2->dport == ns->dport && ns2->difindex == ns->difindex &&
		    ns2->sk.sk_type == ns->sk.sk_type &&
		    ether_addr_equal(ns2->daddr, ns->daddr) &&
		    net_eq(sock_net(&ns2->sk), net))
			return true;
	return false;
}

/**
 * nty_hash_connected - publish @sk's peer in the connected table
 * @sk: a bound socket whose peer fields are set, locked by the caller
 *
 * A stream connection's four-tuple must be unique, as
 * __inet_check_established() insists: two sockets sharing a port by
 * SO_REUSEADDR cannot both connect to the same peer port.  Datagram
 * sockets may, as UDP's do.
 *
 * Return: 0 or -EADDRNOTAVAIL.
 */
int nty_hash_connected(struct sock *sk)
{
	struct nty_sock *ns = nty_sk(sk);
	struct hlist_nulls_head *head;

	head = &nty_conn_table[nty_conn_slot(sock_net(sk), ns->sport, ns->dport,
					     ns->daddr, ns->difindex)];
	spin_lock_bh(&nty_hash_lock);
	if (sk->sk_type == SOCK_STREAM &&
	    nty_tuple_in_use(sock_net(sk), ns, head)) {
		spin_unlock_bh(&nty_hash_lock);
		return -EADDRNOTAVAIL;
	}
	hlist_nulls_add_head_rcu(&ns->conn_node, head);
	WRITE_ONCE(ns->connected, true);
	spin_unlock_bh(&nty_hash_lock);
	return 0;
}

/**
 * nty_unhash_connected - withdraw @sk from the connected table
 * @sk: the socket, locked by the caller
 */
void nty_unhash_connected(struct sock *sk)
{
	struct nty_sock *ns = nty_sk(sk);

	spin_lock_bh(&nty_hash_lock);
	if (ns->connected) {
		hlist_nulls_del_init_rcu(&ns->conn_node);
		WRITE_ONCE(ns->connected, false);
	}
	spin_unlock_bh(&nty_hash_lock);
}

/**
 * nty_unhash - withdraw @sk from every table (close)
 * @sk: the socket
 */
void nty_unhash(struct sock *sk)
{
	struct nty_sock *ns = nty_sk(sk);

	nty_unhash_connected(sk);
	spin_lock_bh(&nty_hash_lock);
	if (!hlist_unhashed(&ns->bind_node)) {
		hlist_del_init_rcu(&ns->bind_node);
		sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	}
	spin_unlock_bh(&nty_hash_lock);
}

/**
 * nty_lookup_connected - find the connected socket for a frame's tuple
 * @net: the namespace the frame arrived in
 * @cb: the frame's addresses
 *
 * Caller holds rcu_read_lock().
 *
 * Return: the socket or NULL.
 */
struct sock *nty_lookup_connected(struct net *net, const struct nty_skb_cb *cb)
{
	u32 slot = nty_conn_slot(net, cb->dport, cb->sport, cb->saddr,
				 cb->ifindex);
	struct hlist_nulls_node *node;
	struct nty_sock *ns;

begin:
	hlist_nulls_for_each_entry_rcu(ns, node, &nty_conn_table[slot],
				       conn_node) {
		if (ns->sport == cb->dport && ns->dport == cb->sport &&
		    ns->difindex == cb->ifindex &&
		    ns->sk.sk_type == cb->sk_type &&
		    ether_addr_equal(ns->daddr, cb->saddr) &&
		    net_eq(sock_net(&ns->sk), net))
			return &ns->sk;
	}
	/*
	 * A socket we stood on moved to another chain meanwhile (it was
	 * closed and connected again): this walk may have missed a match.
	 */
	if (get_nulls_value(node) != slot)
		goto begin;
	return NULL;
}

/**
 * nty_lookup - find the socket for a unicast frame
 * @net: the namespace the frame arrived in
 * @cb: the frame's addresses
 *
 * Caller holds rcu_read_lock(); the socket stays valid until it drops it.
 *
 * Return: the socket or NULL.
 */
struct sock *nty_lookup(struct net *net, const struct nty_skb_cb *cb)
{
	struct nty_sock *ns, *best = NULL;
	struct sock *sk;

	sk = nty_lookup_connected(net, cb);
	if (sk)
		return sk;

	hlist_for_each_entry_rcu(ns, nty_port_bucket(net, cb->dport),
				 bind_node) {
		if (ns->sport != cb->dport || READ_ONCE(ns->connected) ||
		    ns->sk.sk_type != cb->sk_type ||
		    !net_eq(sock_net(&ns->sk), net))
			continue;
		/*
		 * Of the stream sockets on a port only a listener takes new
		 * segments (TCP looks up its listening hash): not one that is
		 * only bound, nor a closed connection still holding the port.
		 */
		if (cb->sk_type == SOCK_STREAM &&
		    READ_ONCE(ns->sk.sk_state) != TCP_LISTEN)
			continue;
		if (!nty_sk_dev_match(ns, cb->ifindex))
			continue;
		if (ns->bound_ifindex || READ_ONCE(ns->sk.sk_bound_dev_if))
			return &ns->sk;
		if (!best)
			best = ns;
	}
	return best ? &best->sk : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(nty_lookup);

static bool nty_bcast_match(const struct nty_sock *ns, struct net *net,
			    const struct nty_skb_cb *cb)
{
	if (ns->sport != cb->dport || ns->sk.sk_type != cb->sk_type ||
	    !net_eq(sock_net(&ns->sk), net))
		return false;
	if (!nty_sk_dev_match(ns, cb->ifindex))
		return false;
	if (READ_ONCE(ns->connected))
		return ns->dport == cb->sport &&
		       ether_addr_equal(ns->daddr, cb->saddr);
	return true;
}

/**
 * nty_deliver_bcast - hand a broadcast frame to every socket on its port
 * @net: the namespace
 * @skb: the frame; consumed
 * @deliver: called with each socket and a frame of its own
 *
 * As UDP's multicast delivery, every matching socket gets a copy; the
 * copies beyond the first are counted in InBcastCopies so that the
 * conservation sum of /proc/net/nty/snmp still holds.  Caller holds
 * rcu_read_lock().
 *
 * Return: the number of sockets the frame was handed to.
 */
int nty_deliver_bcast(struct net *net, struct sk_buff *skb,
		      int (*deliver)(struct sock *sk, struct sk_buff *skb))
{
	const struct nty_skb_cb *cb = NTY_SKB_CB(skb);
	struct nty_sock *ns, *prev = NULL;
	struct sk_buff *copy;
	int n = 0;

	hlist_for_each_entry_rcu(ns, nty_port_bucket(net, cb->dport),
				 bind_node) {
		if (!nty_bcast_match(ns, net, cb))
			continue;
		if (prev) {
			copy = skb_clone(skb, GFP_ATOMIC);
			if (copy) {
				NTY_INC_STATS(net, IN_BCAST_COPIES);
				deliver(&prev->sk, copy);
				n++;
			}
		}
		prev = ns;
	}
	if (!prev)
		return 0;
	deliver(&prev->sk, skb);
	return n + 1;
}

/**
 * nty_demux_init - allocate the tables
 *
 * Return: 0 or -ENOMEM.
 */
int nty_demux_init(void)
{
	unsigned int i;

	nty_port_table = kvcalloc(NTY_HASH_SIZE, sizeof(*nty_port_table),
				  GFP_KERNEL);
	nty_conn_table = kvcalloc(NTY_HASH_SIZE, sizeof(*nty_conn_table),
				  GFP_KERNEL);
	if (!nty_port_table || !nty_conn_table) {
		nty_demux_exit();
		return -ENOMEM;
	}
	for (i = 0; i < NTY_HASH_SIZE; i++)
		INIT_HLIST_NULLS_HEAD(&nty_conn_table[i], i);
	nty_hash_seed = get_random_u32();
	return 0;
}

/**
 * nty_demux_exit - free the tables; every socket is gone by now
 */
void nty_demux_exit(void)
{
	kvfree(nty_port_table);
	kvfree(nty_conn_table);
	nty_port_table = NULL;
	nty_conn_table = NULL;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the kernels NTY builds against (the 6.12 test
 * kernel and Debian's stock 6.1), kept here and nowhere else.  Kernel
 * interfaces only: nothing here names an NTY type or function.  ntynic's
 * files include it for the page pool only.
 */
#ifndef _NTY_COMPAT_H
#define _NTY_COMPAT_H

#include <linux/version.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/sock.h>

/* 6.6 split the page pool's header in two; helpers.h has what drivers use. */
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif

/*
 * 6.5 let a page pool name the NAPI instance that consumes its pages: an
 * skb freed in that NAPI's softirq recycles its page straight into the
 * pool's lockless cache, not through the shared ring.  Before, the ring.
 */
static inline void nty_page_pool_set_napi(struct page_pool_params *pp,
					  struct napi_struct *napi)
{
#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
	pp->napi = napi;
#endif
}

/* 6.12 moved the unaligned accessors out of asm/. */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * 6.2 added EXPORT_SYMBOL_IF_KUNIT(): what only the KUnit suites
 * (nty_kunit.ko) may link against.  6.1 has no such namespace: a plain
 * export, as before.
 */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#include <kunit/visibility.h>
#else
#define EXPORT_SYMBOL_IF_KUNIT(symbol)	EXPORT_SYMBOL_GPL(symbol)
#endif

/* 6.11 made the ctl_table passed to proc handlers const. */
#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
#define NTY_CTL_TABLE const struct ctl_table
#else
#define NTY_CTL_TABLE struct ctl_table
#endif

/*
 * 6.6 sized sysctl tables instead of ending them with a sentinel; NTY's
 * tables keep the sentinel, which older kernels need, and pass the size.
 */
static inline struct ctl_table_header *
nty_register_net_sysctl(struct net *net, const char *path,
			struct ctl_table *table, size_t n)
{
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/*
 * The largest GSO frame @dev takes whole: 6.3 gave IPv4 and other
 * protocols their own limit (gso_features_check() reads it for ours).
 */
static inline unsigned int nty_gso_max_size(const struct net_device *dev)
{
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
	return min(READ_ONCE(dev->gso_ipv4_max_size), (unsigned int)U16_MAX);
#else
	return min(READ_ONCE(dev->gso_max_size), (unsigned int)U16_MAX);
#endif
}

/*
 * 6.11's sk_skb_reason_drop() frees a socket's drop so that
 * skb:kfree_skb's rx_sk names the socket; before it, the reason only.
 */
static inline void nty_sk_skb_reason_drop(struct sock *sk, struct sk_buff *skb,
					  enum skb_drop_reason reason)
{
#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
	sk_skb_reason_drop(sk, skb, reason);
#else
	kfree_skb_reason(skb, reason);
#endif
}

/* 6.10 replaced embedded dummy devices with alloc_netdev_dummy(). */
static inline struct net_device *nty_alloc_dummy_netdev(void)
{
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
	return alloc_netdev_dummy(0);
#else
	struct net_device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (dev)
		init_dummy_netdev(dev);
	return dev;
#endif
}

static inline void nty_free_dummy_netdev(struct net_device *dev)
{
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
	free_netdev(dev);
#else
	kfree(dev);
#endif
}

/*
 * Since 6.6 a family may see SOL_SOCKET options first (SO_RCVBUF clamped
 * by NTY's rmem_max); before, they go straight to sock_setsockopt() and
 * net.core's limits apply.
 */
static inline void nty_sock_custom_sockopt(struct socket *sock)
{
#ifdef SOCK_CUSTOM_SOCKOPT
	set_bit(SOCK_CUSTOM_SOCKOPT, &sock->flags);
#endif
}

/*
 * 6.10 passed accept()'s flags in a struct proto_accept_arg: a family's
 * accept is declared with NTY_ACCEPT_ARGS and reads them with
 * NTY_ACCEPT_FLAGS and NTY_ACCEPT_KERN.
 */
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
#define NTY_ACCEPT_ARGS		struct socket *sock, struct socket *newsock, \
				struct proto_accept_arg *arg
#define NTY_ACCEPT_FLAGS	(arg->flags)
#define NTY_ACCEPT_KERN		(arg->kern)
#else
#define NTY_ACCEPT_ARGS		struct socket *sock, struct socket *newsock, \
				int flags, bool kern
#define NTY_ACCEPT_FLAGS	(flags)
#define NTY_ACCEPT_KERN		(kern)
#endif

#endif /* _NTY_COMPAT_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Failure points for the kernel's fault-injection framework, so that a
 * stage can be made to fail on demand and its counters and drop reasons
 * watched: /sys/kernel/debug/nty/fail_{backlog,sock_enqueue,send_alloc}/
 * (ntynic has its own, fail_nic_refill, in nic.c)
 * take probability, interval, times, space and verbose as every fault_attr
 * does (Documentation/fault-injection/fault-injection.rst).  Built only
 * when the kernel has CONFIG_FAULT_INJECTION.
 */
#include "nty.h"
#include "observe.h"

#ifdef CONFIG_FAULT_INJECTION
#include <linux/fault-inject.h>

static DECLARE_FAULT_ATTR(nty_fail_backlog_attr);
static DECLARE_FAULT_ATTR(nty_fail_sock_enqueue_attr);
static DECLARE_FAULT_ATTR(nty_fail_send_alloc_attr);

/* A disarmed point costs one load, not should_fail()'s random draw. */
static bool nty_should_fail(struct fault_attr *attr)
{
	return unlikely(READ_ONCE(attr->probability)) && should_fail(attr, 1);
}

/**
 * nty_fail_backlog - should this per-CPU backlog enqueue fail?
 *
 * Return: true to drop the frame as if the backlog were full.
 */
bool nty_fail_backlog(void)
{
	return nty_should_fail(&nty_fail_backlog_attr);
}

/**
 * nty_fail_sock_enqueue - should this socket receive-queue enqueue fail?
 *
 * Return: true to drop the frame as if the receive buffer were full.
 */
bool nty_fail_sock_enqueue(void)
{
	return nty_should_fail(&nty_fail_sock_enqueue_attr);
}

/**
 * nty_fail_send_alloc - should this send's skb allocation fail?
 *
 * Return: true to fail sendmsg with -ENOBUFS.
 */
bool nty_fail_send_alloc(void)
{
	return nty_should_fail(&nty_fail_send_alloc_attr);
}

/**
 * nty_fault_init - expose the failure points under @dir
 * @dir: /sys/kernel/debug/nty
 */
void nty_fault_init(struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_backlog", dir, &nty_fail_backlog_attr);
	fault_create_debugfs_attr("fail_sock_enqueue", dir,
				  &nty_fail_sock_enqueue_attr);
	fault_create_debugfs_attr("fail_send_alloc", dir,
				  &nty_fail_send_alloc_attr);
#endif
}

#endif /* CONFIG_FAULT_INJECTION */

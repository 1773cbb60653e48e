/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Observability: what lets a user watch the stages without changing what
 * they do.  Per-stage times and their histograms (timing.c), the last
 * frames' journeys (journey.c), failure points (fault.c) and the debugfs
 * tables (debugfs.c).  The stages call in; nothing here calls a stage.
 */
#ifndef _NTY_OBSERVE_H
#define _NTY_OBSERVE_H

#include <linux/jump_label.h>
#include <linux/jump_label_ratelimit.h>

#include "nty.h"

/* fault.c: failure points for the kernel's fault-injection framework. */
struct dentry;
#ifdef CONFIG_FAULT_INJECTION
bool nty_fail_backlog(void);
bool nty_fail_sock_enqueue(void);
bool nty_fail_send_alloc(void);
bool nty_fail_nic_refill(void);
void nty_fault_init(struct dentry *dir);
#else
static inline bool nty_fail_backlog(void) { return false; }
static inline bool nty_fail_sock_enqueue(void) { return false; }
static inline bool nty_fail_send_alloc(void) { return false; }
static inline bool nty_fail_nic_refill(void) { return false; }
static inline void nty_fault_init(struct dentry *dir) { }
#endif

/*
 * timing.c: per-stage times.  Frames are stamped only while the static
 * key is on: while the histograms are enabled or a socket asked for
 * NTY_STAGE_TIMES.  Off, each stage costs one patched-out branch.
 */
extern struct static_key_false_deferred nty_timing_key;
extern bool nty_hist_on;

enum nty_stamp {
	NTY_STAMP_BACKLOG,
	NTY_STAMP_POLL,
	NTY_STAMP_SOCK,
};

void nty_stamp_rcv(struct sk_buff *skb);
void nty_stamp_forget(struct sk_buff *skb);
void __nty_stamp(struct sk_buff *skb, enum nty_stamp stage);
void nty_timing_copied(struct sock *sk, struct sk_buff *skb,
		       struct msghdr *msg);
void nty_hist_backlog_len(unsigned int qlen);
void nty_hist_poll(int work);
void nty_hist_nic_ring(u64 ns);
void nty_hist_nic_irq(u64 ns);
int nty_timing_get(void);
void nty_timing_put(void);
void nty_timing_debugfs(struct dentry *dir);
int nty_timing_init(void);
void nty_timing_exit(void);

static inline bool nty_timing_on(void)
{
	return static_branch_unlikely(&nty_timing_key.key);
}

/*
 * Journeys are recorded only while root has timing switched on in
 * debugfs: a socket's NTY_STAGE_TIMES stamps frames, and must not fill
 * the global ring (and take its lock) for every frame of every namespace.
 */
static inline bool nty_journeys_on(void)
{
	return nty_timing_on() && READ_ONCE(nty_hist_on);
}

static inline void nty_stamp(struct sk_buff *skb, enum nty_stamp stage)
{
	if (nty_timing_on())
		__nty_stamp(skb, stage);
}

/* journey.c: the last frames' paths. */
void nty_journey_deliver(const struct sock *sk, struct sk_buff *skb,
			 int queue);
void nty_journey_drop(struct sk_buff *skb, int stage, int kind);
void nty_journey_copied(struct sk_buff *skb, u64 now);
int nty_journey_init(void);
void nty_journey_debugfs(struct dentry *dir);
void nty_journey_exit(void);

/**
 * struct nty_debugfs_table - a debugfs file that shows a table and is
 *	reset by any write to it
 * @show: prints the table
 * @reset: zeroes it
 */
struct nty_debugfs_table {
	int (*show)(struct seq_file *seq, void *v);
	void (*reset)(void);
};

void nty_debugfs_create_table(const char *name, struct dentry *dir,
			      const struct nty_debugfs_table *table);

#endif /* _NTY_OBSERVE_H */

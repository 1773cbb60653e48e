// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/nty: the tables users read, one seq_file each, per network
 * namespace.  snmp is in /proc/net/snmp's format (a line of names, then a
 * line of values, each starting with the tag), sockstat in
 * /proc/net/sockstat's, softnet one row per CPU, sockets one row per
 * socket.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/tcp_states.h>

#include "nty.h"

/* Counter names, as users see them; the README's table lists them. */
static const char * const nty_mib_names[__NTY_MIB_MAX] = {
	[NTY_MIB_IN_FRAMES]		= "InFrames",
	[NTY_MIB_IN_BACKLOG_DROPS]	= "InBacklogDrops",
	[NTY_MIB_IN_HDR_ERRORS]		= "InHdrErrors",
	[NTY_MIB_IN_CSUM_ERRORS]	= "InCsumErrors",
	[NTY_MIB_IN_NO_PORT]		= "InNoPort",
	[NTY_MIB_IN_DISCARDS]		= "InDiscards",
	[NTY_MIB_IN_BCAST_COPIES]	= "InBcastCopies",
	[NTY_MIB_IN_DELIVERS]		= "InDelivers",
	[NTY_MIB_RCVBUF_ERRORS]		= "RcvbufErrors",
	[NTY_MIB_SOCK_BACKLOG_QUEUED]	= "SockBacklogQueued",
	[NTY_MIB_SOCK_BACKLOG_DROPS]	= "SockBacklogDrops",
	[NTY_MIB_PREQUEUE_QUEUED]	= "PrequeueQueued",
	[NTY_MIB_PREQUEUE_PROCESSED]	= "PrequeueProcessed",
	[NTY_MIB_PREQUEUE_OVERFLOW]	= "PrequeueOverflow",
	[NTY_MIB_OUT_FRAMES]		= "OutFrames",
	[NTY_MIB_OUT_DROPS]		= "OutDrops",
	[NTY_MIB_ACTIVE_OPENS]		= "ActiveOpens",
	[NTY_MIB_PASSIVE_OPENS]		= "PassiveOpens",
	[NTY_MIB_ATTEMPT_FAILS]		= "AttemptFails",
	[NTY_MIB_ESTAB_RESETS]		= "EstabResets",
	[NTY_MIB_OUT_RSTS]		= "OutRsts",
	[NTY_MIB_LISTEN_OVERFLOWS]	= "ListenOverflows",
	[NTY_MIB_LISTEN_DROPS]		= "ListenDrops",
	[NTY_MIB_SYN_QUEUE_DROPS]	= "SynQueueDrops",
	[NTY_MIB_RETRANS_SEGS]		= "RetransSegs",
	[NTY_MIB_FAST_RETRANS]		= "FastRetrans",
	[NTY_MIB_DUP_SEGS]		= "DupSegs",
	[NTY_MIB_PARTIAL_DUP_SEGS]	= "PartialDupSegs",
	[NTY_MIB_OUT_OF_WINDOW_SEGS]	= "OutOfWindowSegs",
	[NTY_MIB_OFO_QUEUED]		= "OfoQueued",
	[NTY_MIB_ZERO_WINDOW_ADV]	= "ZeroWindowAdv",
	[NTY_MIB_WINDOW_PROBES]		= "WindowProbes",
	[NTY_MIB_DELAYED_ACKS]		= "DelayedACKs",
	[NTY_MIB_OUT_GSO_TRAINS]	= "OutGsoTrains",
	[NTY_MIB_OUT_GSO_SEGMENTED]	= "OutGsoSegmented",
	[NTY_MIB_IN_GSO_TRAINS]		= "InGsoTrains",
	[NTY_MIB_CHALLENGE_ACKS]	= "ChallengeACKs",
	[NTY_MIB_ACKS_RATELIMITED]	= "ACKsRateLimited",
	[NTY_MIB_ORPHAN_ABORTS]		= "OrphanAborts",
	[NTY_MIB_OFO_PRUNED]		= "OfoPruned",
	[NTY_MIB_RCV_COALESCE]		= "RcvCoalesce",
	[NTY_MIB_IN_GRO_MERGED]		= "InGroMerged",
	[NTY_MIB_IN_GRO_SEGS]		= "InGroSegs",
	[NTY_MIB_RENO_RECOVERY]		= "RenoRecovery",
	[NTY_MIB_RENO_RECOVERY_FAIL]	= "RenoRecoveryFail",
	[NTY_MIB_TIMEOUTS]		= "Timeouts",
};

static void nty_snmp_line(struct seq_file *seq, const char *tag,
			  int first, int last)
{
	struct nty_net *nn = nty_pernet(seq_file_single_net(seq));
	unsigned long sum;
	int i, cpu;

	seq_puts(seq, tag);
	for (i = first; i < last; i++)
		seq_printf(seq, " %s", nty_mib_names[i]);
	seq_putc(seq, '\n');
	seq_puts(seq, tag);
	for (i = first; i < last; i++) {
		sum = 0;
		for_each_possible_cpu(cpu)
			sum += per_cpu(nn->mib[i], cpu);
		seq_printf(seq, " %lu", sum);
	}
	seq_putc(seq, '\n');
}

static int nty_snmp_show(struct seq_file *seq, void *v)
{
	nty_snmp_line(seq, "Nty:", 0, NTY_MIB_STREAM_FIRST);
	nty_snmp_line(seq, "NtyStream:", NTY_MIB_STREAM_FIRST, __NTY_MIB_MAX);
	return 0;
}

static int nty_softnet_show(struct seq_file *seq, void *v)
{
	struct nty_softnet_stat st;
	int cpu;

	seq_puts(seq, "cpu processed dropped time_squeeze received_rps backlog_len direct\n");
	for_each_online_cpu(cpu) {
		nty_softnet_stat(cpu, &st);
		seq_printf(seq, "%d %lu %lu %lu %lu %u %lu\n", cpu, st.processed,
			   st.dropped, st.time_squeeze, st.received_rps,
			   st.qlen, st.direct);
	}
	return 0;
}

static void *nty_sockets_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	struct nty_net *nn = nty_pernet(seq_file_net(seq));

	rcu_read_lock();
	return seq_hlist_start_head_rcu(&nn->sklist, *pos);
}

static void *nty_sockets_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct nty_net *nn = nty_pernet(seq_file_net(seq));

	return seq_hlist_next_rcu(v, &nn->sklist, pos);
}

static void nty_sockets_stop(struct seq_file *seq, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

static const char * const nty_tcp_state_names[] = {
	[TCP_ESTABLISHED]	= "ESTAB",
	[TCP_SYN_SENT]		= "SYN_SENT",
	[TCP_SYN_RECV]		= "SYN_RECV",
	[TCP_FIN_WAIT1]		= "FIN_WAIT1",
	[TCP_FIN_WAIT2]		= "FIN_WAIT2",
	[TCP_TIME_WAIT]		= "TIME_WAIT",
	[TCP_CLOSE]		= "CLOSE",
	[TCP_CLOSE_WAIT]	= "CLOSE_WAIT",
	[TCP_LAST_ACK]		= "LAST_ACK",
	[TCP_LISTEN]		= "LISTEN",
	[TCP_CLOSING]		= "CLOSING",
};

static const char *nty_sock_state(const struct sock *sk)
{
	int state = READ_ONCE(sk->sk_state);

	if (sk->sk_type == SOCK_DGRAM)
		return nty_sk(sk)->connected ? "ESTAB" : "UNCONN";
	if (state < ARRAY_SIZE(nty_tcp_state_names) &&
	    nty_tcp_state_names[state])
		return nty_tcp_state_names[state];
	return "?";
}

/* Datagram sockets show memory charged; a stream, what stream.c says. */
static void nty_sock_queues(const struct sock *sk, int *rx, int *tx,
			    unsigned int *preq)
{
	*preq = 0;
	if (sk->sk_type == SOCK_STREAM) {
		nty_stream_sock_queues(sk, rx, tx, preq);
		return;
	}
	*rx = sk_rmem_alloc_get(sk);
	*tx = sk_wmem_alloc_get(sk);
}

static int nty_sockets_show(struct seq_file *seq, void *v)
{
	static const u8 zero_mac[ETH_ALEN];
	struct nty_stream_figures f = {};
	const struct nty_sock *ns;
	struct sk_buff *skb;
	struct sock *sk;
	unsigned int backlog = 0, preq;
	int rx, tx;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "type   state      lport remote_mac        rport ifindex rx_queue backlog prequeue tx_queue drops uid inode cwnd ssthresh srtt_us rttvar_us rto_us retrans ca_state\n");
		return 0;
	}
	sk = sk_entry(v);
	ns = nty_sk(sk);

	/* The socket backlog is guarded by the socket spinlock. */
	spin_lock_bh(&sk->sk_lock.slock);
	for (skb = sk->sk_backlog.head; skb; skb = skb->next)
		backlog++;
	spin_unlock_bh(&sk->sk_lock.slock);
	nty_sock_queues(sk, &rx, &tx, &preq);
	/* The sender's figures, as ss -i gives TCP's; none for datagrams. */
	if (sk->sk_type == SOCK_STREAM)
		nty_stream_sock_figures(sk, &f);

	seq_printf(seq, "%-6s %-10s %5u %pM %5u %7d %8d %7u %8u %8d %5u %3u %lu %u %d %u %u %u %u %u\n",
		   sk->sk_type == SOCK_DGRAM ? "dgram" : "stream",
		   nty_sock_state(sk), ntohs(ns->sport),
		   ns->connected ? ns->daddr : zero_mac,
		   ns->connected ? ntohs(ns->dport) : 0,
		   ns->connected ? ns->difindex : ns->bound_ifindex,
		   rx, backlog, preq, tx, atomic_read(&sk->sk_drops),
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
		   sock_i_ino(sk), f.cwnd, f.ssthresh, f.srtt_us, f.rttvar_us,
		   f.rto_us, f.retrans, f.ca_state);
	return 0;
}

/*
 * The pages NTY sockets hold.  The shared counter runs up to
 * sysctl_mem_pcpu_rsv pages per CPU behind or ahead of the truth (the
 * per-CPU reserves of sk_memory_allocated_add() and _sub()); the sum with
 * every reserve is exact, and 0 once every socket is gone, which a user
 * checking for a leak needs.  /proc/net/sockstat's TCP line shows only the
 * shared counter.
 */
static long nty_memory_pages(void)
{
	long pages = atomic_long_read(&nty_memory_allocated);
	int cpu;

	for_each_possible_cpu(cpu)
		pages += per_cpu(nty_memory_per_cpu_fw_alloc, cpu);
	return max(0L, pages);
}

/*
 * /proc/net/sockstat's shape: sockets bound in this namespace per type
 * (sock_prot_inuse_get(), as TCP and UDP count hashed sockets), and the
 * two figures that are global as tcp_orphan_count and udp_memory_allocated
 * are: orphans, and the pages every NTY socket's queues hold, the figure
 * net.nty.mem limits.
 */
static int nty_sockstat_show(struct seq_file *seq, void *v)
{
	struct net *net = seq->private;
	int stream = sock_prot_inuse_get(net, &nty_stream_proto);
	int dgram = sock_prot_inuse_get(net, &nty_dgram_proto);

	seq_printf(seq, "NTY: inuse %d orphan %d mem %ld\n", stream + dgram,
		   nty_stream_orphans(), nty_memory_pages());
	seq_printf(seq, "NTYSTREAM: inuse %d\n", stream);
	seq_printf(seq, "NTYDGRAM: inuse %d\n", dgram);
	return 0;
}

static const struct seq_operations nty_sockets_seq_ops = {
	.start	= nty_sockets_start,
	.next	= nty_sockets_next,
	.stop	= nty_sockets_stop,
	.show	= nty_sockets_show,
};

/**
 * nty_proc_init_net - create /proc/net/nty and its tables in @net
 * @net: the namespace
 *
 * Return: 0 or -ENOMEM.
 */
int nty_proc_init_net(struct net *net)
{
	struct nty_net *nn = nty_pernet(net);

	nn->proc_dir = proc_net_mkdir(net, "nty", net->proc_net);
	if (!nn->proc_dir)
		return -ENOMEM;
	if (!proc_create_net_single("snmp", 0444, nn->proc_dir,
				    nty_snmp_show, NULL) ||
	    !proc_create_net_single("softnet", 0444, nn->proc_dir,
				    nty_softnet_show, NULL) ||
	    !proc_create_net_single("sockstat", 0444, nn->proc_dir,
				    nty_sockstat_show, NULL) ||
	    !proc_create_net("sockets", 0444, nn->proc_dir,
			     &nty_sockets_seq_ops,
			     sizeof(struct seq_net_private))) {
		remove_proc_subtree("nty", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

/**
 * nty_proc_exit_net - remove /proc/net/nty from @net
 * @net: the namespace
 */
void nty_proc_exit_net(struct net *net)
{
	remove_proc_subtree("nty", net->proc_net);
}

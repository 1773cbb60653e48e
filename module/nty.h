/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NTY's core: the frame (its control block), the counters, and the doors
 * of each stage, which the stage behind it calls.  The stages, numbered
 * once, in the order a frame meets them (the README, Kbuild, the files'
 * headers and the tracepoints use these numbers):
 *
 *   1  NIC RX ring             nic_ring.c    (ntynic, a driver: nic.h)
 *   2  hard IRQ                nic_irq.c
 *   3  NIC NAPI poll           nic_napi.c
 *   4  packet_type handler     input.c       the cb is filled here
 *   5  per-CPU backlog, poll   backlog.c
 *   6  protocol                protocol.c    header and checksum: wire.c
 *   7  demux                   demux.c
 *   8  socket queues           af_nty.c      the door, nty_sock_receive()
 *                              datagram.c, stream_input.c, listen.c
 *   9  wake-up                 datagram.c, stream.c
 *  10  copy to user            datagram.c, stream.c (recvmsg)
 *
 * The way out is output.c; trains (segmentation offload) are gso.c.  The
 * stream type's internals are in stream.h, observability in observe.h.
 */
#ifndef _NTY_H
#define _NTY_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <net/sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/jump_label.h>
#include <linux/jump_label_ratelimit.h>
#include <uapi/linux/nty.h>

#include "compat.h"

/* Module parameters (main.c). */
extern int nty_family;
extern __be16 nty_ethertype_be;

/*
 * The per-namespace counters of /proc/net/nty/snmp.  Their names are in
 * proc.c, one line each beside its index, as snmp4_ipstats_list does.
 */
enum nty_mib {
	NTY_MIB_IN_FRAMES,
	NTY_MIB_IN_BACKLOG_DROPS,
	NTY_MIB_IN_HDR_ERRORS,
	NTY_MIB_IN_CSUM_ERRORS,
	NTY_MIB_IN_NO_PORT,
	NTY_MIB_IN_DISCARDS,
	NTY_MIB_IN_BCAST_COPIES,
	NTY_MIB_IN_DELIVERS,
	NTY_MIB_RCVBUF_ERRORS,
	NTY_MIB_SOCK_BACKLOG_QUEUED,
	NTY_MIB_SOCK_BACKLOG_DROPS,
	NTY_MIB_PREQUEUE_QUEUED,
	NTY_MIB_PREQUEUE_PROCESSED,
	NTY_MIB_PREQUEUE_OVERFLOW,
	NTY_MIB_OUT_FRAMES,
	NTY_MIB_OUT_DROPS,
	/* The NtyStream: line from here on. */
	NTY_MIB_ACTIVE_OPENS,
	NTY_MIB_PASSIVE_OPENS,
	NTY_MIB_ATTEMPT_FAILS,
	NTY_MIB_ESTAB_RESETS,
	NTY_MIB_OUT_RSTS,
	NTY_MIB_LISTEN_OVERFLOWS,
	NTY_MIB_LISTEN_DROPS,
	NTY_MIB_SYN_QUEUE_DROPS,
	NTY_MIB_RETRANS_SEGS,
	NTY_MIB_FAST_RETRANS,
	NTY_MIB_DUP_SEGS,
	NTY_MIB_PARTIAL_DUP_SEGS,
	NTY_MIB_OUT_OF_WINDOW_SEGS,
	NTY_MIB_OFO_QUEUED,
	NTY_MIB_ZERO_WINDOW_ADV,
	NTY_MIB_WINDOW_PROBES,
	NTY_MIB_DELAYED_ACKS,
	NTY_MIB_OUT_GSO_TRAINS,
	NTY_MIB_OUT_GSO_SEGMENTED,
	NTY_MIB_IN_GSO_TRAINS,
	NTY_MIB_CHALLENGE_ACKS,
	NTY_MIB_ACKS_RATELIMITED,
	NTY_MIB_ORPHAN_ABORTS,
	NTY_MIB_OFO_PRUNED,
	NTY_MIB_RCV_COALESCE,
	NTY_MIB_IN_GRO_MERGED,
	NTY_MIB_IN_GRO_SEGS,
	NTY_MIB_RENO_RECOVERY,
	NTY_MIB_RENO_RECOVERY_FAIL,
	NTY_MIB_TIMEOUTS,
	__NTY_MIB_MAX
};

#define NTY_MIB_STREAM_FIRST	NTY_MIB_ACTIVE_OPENS

/**
 * struct nty_net - NTY's state in one network namespace
 * @mib: per-CPU counters, indexed by enum nty_mib
 * @proc_dir: /proc/net/nty
 * @sysctl_hdr: /proc/sys/net/nty
 * @somaxconn: listen backlog clamp (net.core.somaxconn)
 * @rmem_default: initial SO_RCVBUF (net.core.rmem_default)
 * @rmem_max: largest SO_RCVBUF a user may set (net.core.rmem_max)
 * @wmem_default: initial SO_SNDBUF (net.core.wmem_default)
 * @wmem_max: largest SO_SNDBUF a user may set (net.core.wmem_max)
 * @prequeue: 1 to let a blocked reader do stream protocol work
 * @delayed_ack: 1 to acknowledge every second full segment, or after
 *	NTY_DELACK_MIN, as TCP does; 0 to acknowledge every segment at once
 * @max_syn_backlog: half-open entries a listener keeps (tcp_max_syn_backlog)
 * @syn_retries: SYN retransmissions before connect fails (tcp_syn_retries)
 * @synack_retries: SYN-ACK retransmissions before a half-open entry
 *	expires (tcp_synack_retries)
 * @fin_timeout: seconds an orphaned connection waits in FIN_WAIT2
 *	(tcp_fin_timeout)
 * @invalid_ratelimit: ms between two ACKs a socket sends in answer to
 *	unacceptable ACK-only segments (tcp_invalid_ratelimit)
 * @orphan_retries: retransmissions or probes of a closed socket before it
 *	gives up, 0 meaning 8 (tcp_orphan_retries)
 * @max_orphans: closed connections still finishing, over all namespaces,
 *	past which a close resets at once (tcp_max_orphans)
 * @port_range: ephemeral ports, [0] to [1] (net.ipv4.ip_local_port_range)
 * @sklist: every NTY socket of the namespace, for /proc/net/nty/sockets
 * @sklist_lock: serialises writers of @sklist
 */
struct nty_net {
	unsigned long __percpu	*mib;
	struct proc_dir_entry	*proc_dir;
	struct ctl_table_header	*sysctl_hdr;
	int			somaxconn;
	int			rmem_default;
	int			rmem_max;
	int			wmem_default;
	int			wmem_max;
	int			prequeue;
	int			delayed_ack;
	int			max_syn_backlog;
	int			syn_retries;
	int			synack_retries;
	int			fin_timeout;
	int			invalid_ratelimit;
	int			orphan_retries;
	int			max_orphans;
	int			port_range[2];
	struct hlist_head	sklist;
	spinlock_t		sklist_lock;	/* writers of @sklist */
};

extern unsigned int nty_net_id;

static inline struct nty_net *nty_pernet(const struct net *net)
{
	return net_generic(net, nty_net_id);
}

/* Callable from any context: this_cpu_inc is IRQ safe. */
#define NTY_INC_STATS(net, field) \
	this_cpu_inc(nty_pernet(net)->mib[NTY_MIB_##field])
#define NTY_ADD_STATS(net, field, n) \
	this_cpu_add(nty_pernet(net)->mib[NTY_MIB_##field], n)

/**
 * struct nty_skb_cb - what the receive path learns about a frame
 * @proto: the socket type's, once the frame is on a socket queue, in place
 *	of the addresses (a stream segment's sequence numbers, stream.h)
 * @ifindex: interface the frame arrived on
 * @sport: sender's port (network order)
 * @dport: destination port (network order)
 * @saddr: sender's MAC
 * @bcast: sent to a broadcast or multicast MAC
 * @gso_more: came in a train (gso.c) and more of it follows
 * @direct: went from the packet_type handler straight to the protocol,
 *	without the backlog (backlog sysctl "rps", backlog.c)
 * @sk_type: socket type the frame is for (SOCK_DGRAM or SOCK_STREAM)
 * @t_rcv: CLOCK_MONOTONIC ns at the packet_type handler; 0 = not timed
 * @d_backlog: ns from @t_rcv to the backlog enqueue; 0 for a @direct frame
 * @d_poll: ns from @t_rcv to the NAPI poll
 * @d_sock: ns from @t_rcv to a socket queue
 * @journey: sequence number of its packet journey entry, 0 = none
 * @d_irq: ns from the ntynic hard IRQ that got the frame polled to
 *	@t_rcv; 0 = not from an ntynic (the ring time is the skb's
 *	hardware timestamp)
 *
 * The addresses are filled in one place, nty_fill_cb() at the packet_type
 * handler (input.c), as tcp_v4_fill_cb() fills TCP's; the times and the
 * journey are observability's (timing.c, journey.c).  Kept clear of the
 * tail of skb->cb, where struct sock_skb_cb (the drop count for
 * SO_RXQ_OVFL) lives once the frame is on a socket.
 */
struct nty_skb_cb {
	union {
		struct {
			int		ifindex;
			__be16		sport;
			__be16		dport;
			u8		saddr[ETH_ALEN];
			u8		bcast:1;
			u8		gso_more:1;
			u8		direct:1;
			u8		sk_type;
		};
		u8		proto[16];
	};
	u64		t_rcv;
	u32		d_backlog;
	u32		d_poll;
	u32		d_sock;
	u32		journey;
	u32		d_irq;
};

#define NTY_SKB_CB(skb) ((struct nty_skb_cb *)((skb)->cb))

/**
 * struct nty_sock - an AF_NTY socket
 * @sk: the socket; must stay first
 * @bind_node: link in the port table (demux.c)
 * @conn_node: link in the connected table (demux.c)
 * @sport: local port, network order; 0 while unbound
 * @bound_ifindex: bound interface, 0 = any
 * @dport: connected peer's port
 * @daddr: connected peer's MAC
 * @difindex: interface toward the connected peer
 * @connected: the peer fields are valid and @conn_node is hashed
 * @stage_times: NTY_STAGE_TIMES is set
 */
struct nty_sock {
	struct sock		sk;
	struct hlist_node	bind_node;
	struct hlist_nulls_node	conn_node;
	__be16			sport;
	int			bound_ifindex;
	__be16			dport;
	u8			daddr[ETH_ALEN];
	int			difindex;
	bool			connected;
	bool			stage_times;
};

static inline struct nty_sock *nty_sk(const struct sock *sk)
{
	return (struct nty_sock *)sk;
}

static inline const struct ntyhdr *nty_hdr(const struct sk_buff *skb)
{
	return (const struct ntyhdr *)skb_transport_header(skb);
}

/* Global tunables (sysctl.c); per-CPU and so not per namespace. */
extern int nty_max_backlog;

/* The backlog sysctl: which frames meet the per-CPU backlog (backlog.c). */
enum nty_backlog_mode {
	NTY_BACKLOG_ALWAYS,	/* every frame: the seeds' model, the default */
	NTY_BACKLOG_RPS,	/* only frames RPS steers: today's Linux */
};

extern int nty_backlog_mode;
extern int nty_napi_weight;

#include "drop_kinds.h"

struct seq_file;
void nty_drop(struct net *net, struct sk_buff *skb, enum nty_drop_kind_id kind);
void nty_sk_drop(struct sock *sk, struct sk_buff *skb,
		 enum nty_drop_kind_id kind);
void nty_drop_flow(const struct sk_buff *skb, int *ifindex, u8 *saddr,
		   u16 *sport, u16 *dport, u8 *type);
int nty_drops_show(struct seq_file *seq, void *v);
const char *nty_stage_name(int stage);
const char *nty_drop_kind_name(int kind);
void nty_drops_reset(void);

/* wire.c: the header, built and validated in one place. */
enum nty_hdr_verdict {
	NTY_HDR_OK,
	NTY_HDR_SHORT,		/* shorter than the header */
	NTY_HDR_VERSION,	/* unknown version */
	NTY_HDR_TYPE,		/* unknown type */
	NTY_HDR_LEN,		/* len field disagrees with the frame */
	NTY_HDR_CSUM,		/* checksum wrong */
};

void nty_build_header(struct ntyhdr *nh, u8 type, u8 flags, __be16 sport,
		      __be16 dport, unsigned int len);
__sum16 nty_csum(const void *buf, unsigned int len);
void nty_csum_partial(struct sk_buff *skb);
int nty_csum_for_dev(struct sk_buff *skb, const struct net_device *dev);
bool nty_csum_needs_help(const struct net_device *dev,
			 netdev_features_t features);
enum nty_hdr_verdict nty_check_header(const struct ntyhdr *nh,
				      unsigned int frame_len);
enum nty_hdr_verdict nty_validate_skb(struct sk_buff *skb);

/* gso.c: trains of stream segments (segmentation offload). */
#define NTY_GSO_MAX_SEGS	64
void nty_gso_init(void);
void nty_gso_exit(void);

/* A train nty_gso_train() built: its segments in frag_list, nothing else. */
static inline bool nty_gso_is_train(const struct sk_buff *skb)
{
	return skb_is_gso(skb) &&
	       (skb_shinfo(skb)->gso_type & SKB_GSO_FRAGLIST) &&
	       skb_has_frag_list(skb) && !skb_headlen(skb) &&
	       !skb_shinfo(skb)->nr_frags;
}

struct sk_buff *nty_gso_split(struct sk_buff *carrier);
void nty_gso_train(struct sk_buff *carrier, struct sk_buff *segs,
		   unsigned int n, unsigned int mss);

/* gro.c: stream segments merged on the way in (receive offload). */
void nty_gro_init(struct packet_offload *po);
void nty_gro_drain(void);
struct sk_buff *nty_gro_train(struct sk_buff *segs);
struct sk_buff *nty_gro_segment(struct sk_buff *skb);

/*
 * The segments a frame carries: more than one for an skb gro.c merged
 * (the first segment, the others' payload after it), which every counter
 * of the receive path counts as that many frames, as TCP's InSegs counts
 * gso_segs.  Past nty_rcv() only gro.c marks a received frame
 * SKB_GSO_FRAGLIST (trains are taken apart there, and a packet socket
 * cannot ask for FRAGLIST).
 */
static inline unsigned int nty_skb_segs(const struct sk_buff *skb)
{
	const struct skb_shared_info *si = skb_shinfo(skb);

	if (unlikely((si->gso_type & SKB_GSO_FRAGLIST) && si->gso_size &&
		     si->gso_segs > 1))
		return si->gso_segs;
	return 1;
}

/* input.c: the packet_type handler. */
int nty_input_init(void);
void nty_input_exit(void);

/* backlog.c: per-CPU backlog and its NAPI poll. */
struct nty_softnet_stat {
	unsigned long processed;
	unsigned long direct;
	unsigned long dropped;
	unsigned long time_squeeze;
	unsigned long received_rps;
	unsigned int qlen;
	bool napi_scheduled;
};

int nty_backlog_init(void);
void nty_backlog_exit(void);
int nty_enqueue_to_backlog(struct sk_buff *skb);
int nty_backlog_rcv(struct sk_buff *skb);
void nty_softnet_stat(int cpu, struct nty_softnet_stat *st);
void nty_backlog_set_weight(int weight);
int nty_rps_set_cpus(const struct cpumask *mask);
void nty_rps_get_cpus(struct cpumask *mask);

/* demux.c: socket tables. */
int nty_demux_init(void);
void nty_demux_exit(void);
int nty_bind_port(struct sock *sk, __be16 port, int ifindex);
void nty_unhash(struct sock *sk);
int nty_hash_connected(struct sock *sk);
int nty_listen_port(struct sock *sk);
void nty_hash_child(struct sock *sk);
void nty_unhash_connected(struct sock *sk);
struct sock *nty_lookup(struct net *net, const struct nty_skb_cb *cb);
struct sock *nty_lookup_connected(struct net *net, const struct nty_skb_cb *cb);
int nty_deliver_bcast(struct net *net, struct sk_buff *skb,
		      int (*deliver)(struct sock *sk, struct sk_buff *skb));

/* af_nty.c: socket memory (net.nty.mem), shared by both socket types. */
extern atomic_long_t nty_memory_allocated;
DECLARE_PER_CPU(int, nty_memory_per_cpu_fw_alloc);
extern long nty_sysctl_mem[3];
extern int nty_sysctl_rmem[3];
extern int nty_sysctl_wmem[3];

#define NTY_PROTO_MEMORY						\
	.memory_allocated	= &nty_memory_allocated,		\
	.per_cpu_fw_alloc	= &nty_memory_per_cpu_fw_alloc,		\
	.sysctl_mem		= nty_sysctl_mem,			\
	.sysctl_rmem		= nty_sysctl_rmem,			\
	.sysctl_wmem		= nty_sysctl_wmem

/*
 * Room for @skb on a receive queue: under SO_RCVBUF, then within the
 * memory budget.  Return: __NTY_DROP_MAX, or the drop kind.
 */
static inline enum nty_drop_kind_id nty_rmem_check(struct sock *sk,
						   struct sk_buff *skb)
{
	if (atomic_read(&sk->sk_rmem_alloc) + skb->truesize >
	    READ_ONCE(sk->sk_rcvbuf))
		return NTY_DROP_RCVBUF;
	if (!sk_rmem_schedule(sk, skb, skb->truesize))
		return NTY_DROP_PROTO_MEM;
	return __NTY_DROP_MAX;
}

/* A send-queue segment's memory: sk_wmem_queued and the budget. */
static inline void nty_wmem_charge(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
}

static inline void nty_wmem_free_skb(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	consume_skb(skb);
}

/* datagram.c: the datagram socket type. */
extern const struct proto_ops nty_dgram_ops;
extern struct proto nty_dgram_proto;
void nty_dgram_init_sock(struct sock *sk);
int nty_dgram_rcv(struct sock *sk, struct sk_buff *skb);

/*
 * The stream socket type's doors (stream.c, stream_input.c,
 * stream_output.c, listen.c); what is behind them is in stream.h, which
 * only the stream files include.
 */
extern const struct proto_ops nty_stream_ops;
extern struct proto nty_stream_proto;
void nty_stream_init_sock(struct sock *sk);
int nty_stream_rcv(struct sock *sk, struct sk_buff *skb);
void nty_stream_reply_rst(struct net *net, struct sk_buff *skb);
void nty_stream_sock_queues(const struct sock *sk, int *rx, int *tx,
			    unsigned int *preq);

/**
 * struct nty_stream_figures - a connection's sender, as ss -i shows TCP's
 * @cwnd: congestion window, in segments (rounded up)
 * @ssthresh: slow start threshold, in segments; -1 before the first loss
 *	(as /proc/net/tcp prints it)
 * @srtt_us: smoothed round-trip time, microseconds
 * @rttvar_us: its variation
 * @rto_us: retransmission timeout, backoff included
 * @retrans: segments retransmitted over the connection's life
 * @ca_state: 0 open, 1 fast recovery, 2 loss (enum nty_ca_state)
 */
struct nty_stream_figures {
	u32	cwnd;
	s32	ssthresh;
	u32	srtt_us;
	u32	rttvar_us;
	u32	rto_us;
	u32	retrans;
	u8	ca_state;
};

void nty_stream_sock_figures(const struct sock *sk,
			     struct nty_stream_figures *f);
int nty_stream_orphans(void);

/* af_nty.c: the family and the socket calls every type shares. */
int nty_af_init(void);
void nty_af_exit(void);
int nty_sock_release(struct socket *sock);
int nty_sock_bind(struct socket *sock, struct sockaddr *uaddr, int len);
int nty_sock_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
int nty_sock_setsockopt(struct socket *sock, int level, int optname,
			sockptr_t optval, unsigned int optlen);
int nty_sock_getsockopt(struct socket *sock, int level, int optname,
			char __user *optval, int __user *optlen);
int nty_check_addr(const struct sockaddr *uaddr, int len);
void nty_sock_setup(struct sock *sk, struct nty_net *nn);
int nty_sock_receive(struct sock *sk, struct sk_buff *skb, int subclass,
		     u32 limit, int (*rcv)(struct sock *sk, struct sk_buff *skb));
void nty_sock_destruct(struct sock *sk);
void nty_sklist_add(struct sock *sk);
void nty_sklist_del(struct sock *sk);

/* output.c: the one way out, and the counters of a send. */
int nty_output_dev(struct net *net, struct sk_buff *skb,
		   struct net_device *dev, const u8 *daddr, unsigned int n);
int nty_output(struct net *net, struct sk_buff *skb, int ifindex,
	       const u8 *daddr, unsigned int n);
void nty_output_failed(struct net *net, unsigned int n, int err);

/* protocol.c: from the backlog poll to the socket. */
void nty_protocol_rcv(struct sk_buff *skb);

/* netns.c, proc.c, sysctl.c, debugfs.c */
int nty_netns_init(void);
void nty_netns_exit(void);
int nty_proc_init_net(struct net *net);
void nty_proc_exit_net(struct net *net);
int nty_sysctl_init_net(struct net *net);
void nty_sysctl_exit_net(struct net *net);
int nty_debugfs_init(void);
void nty_debugfs_exit(void);

#endif /* _NTY_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile local users: what one user, or root in a container (its own
 * user and network namespaces, unshare -Urn), must not be able to do to
 * another user or to the host.  Ports: SO_REUSEADDR shares a port only
 * within one user and never between two listeners, an accepted
 * connection owns its port, a stream four-tuple is unique.  Namespaces:
 * container root cannot put an ntynic end into the host's namespace, nor
 * raise the limits the host set (rmem_max and friends are read-only
 * there).  Memory: an ntynic's rings are charged to the memory cgroup of
 * whoever asked for them, so a container cannot pin more than its limit.
 *
 * The stream tests run over the selftests' veth pair (topo.sh).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "nty_test.h"

#define UID_A 1000
#define UID_B 1001
#define CG "/sys/fs/cgroup"
/* The ntynic peer's options, and an awk test of the current RX ring. */
#define NI0 "numrxqueues 8 numtxqueues 8"
#define NI1 "peer name ni1 " NI0
#define RX_256 "/^Current/ { c = 1 } c && /^RX:/ { exit $2 != 256 }"

static struct nty_topo topo;

static void sh(const char *cmd)
{
	if (system(cmd))
		fprintf(stderr, "'%s' failed\n", cmd);
}

static int sock_as(int type, int reuse)
{
	int fd = socket(topo.fam, type, 0), one = 1;

	if (fd >= 0 && reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return fd;
}

static int bind_port(int fd, int port)
{
	struct sockaddr_nty a = { .snty_family = topo.fam,
				  .snty_port = htons(port) };

	return bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
}

/*
 * In a child running as @uid (its effective ids only, so it can come
 * back for nothing): bind a fresh socket of @type to @port with
 * SO_REUSEADDR @reuse, then listen if @listen.  Return: 0 or the errno.
 */
static int bind_as(uid_t uid, int type, int port, int reuse, int listen_too)
{
	pid_t pid = fork();
	int fd, err;

	if (pid == 0) {
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(100);
		fd = sock_as(type, reuse);
		if (fd < 0)
			_exit(101);
		err = -bind_port(fd, port);
		if (!err && listen_too && listen(fd, 4))
			err = errno;
		_exit(err);
	}
	return reap(pid);
}

FIXTURE(iso) {
	int dummy;
};

FIXTURE_SETUP(iso)
{
	ASSERT_EQ(0, nty_topo_learn(&topo));
}

FIXTURE_TEARDOWN(iso)
{
}

/*
 * Review defect 8: with SO_REUSEADDR another user's socket could take a
 * listening port over.  As inet_bind_conflict(): reuse only between
 * sockets of one user, and never a second listener.
 */
TEST_F(iso, reuseaddr_only_within_one_user_and_one_listener)
{
	int l, d;

	enter_ns("nty-b");
	ASSERT_EQ(0, setresuid(UID_A, UID_A, 0));
	l = sock_as(SOCK_STREAM, 1);
	ASSERT_EQ(0, bind_port(l, 7300));
	ASSERT_EQ(0, listen(l, 4));
	d = sock_as(SOCK_DGRAM, 1);
	ASSERT_EQ(0, bind_port(d, 7301));
	ASSERT_EQ(0, setresuid(0, 0, 0));

	/* Another user: the port is taken, for streams and for datagrams. */
	EXPECT_EQ(EADDRINUSE, bind_as(UID_B, SOCK_STREAM, 7300, 1, 0));
	EXPECT_EQ(EADDRINUSE, bind_as(UID_B, SOCK_DGRAM, 7301, 1, 0));
	/* The same user shares a datagram port, not a listener's. */
	EXPECT_EQ(0, bind_as(UID_A, SOCK_DGRAM, 7301, 1, 0));
	EXPECT_EQ(EADDRINUSE, bind_as(UID_A, SOCK_STREAM, 7300, 1, 0));
	close(l);
	close(d);

	/* Two of one user's sockets share a port: only one may listen. */
	ASSERT_EQ(0, setresuid(UID_A, UID_A, 0));
	l = sock_as(SOCK_STREAM, 1);
	d = sock_as(SOCK_STREAM, 1);
	ASSERT_EQ(0, bind_port(l, 7305));
	ASSERT_EQ(0, bind_port(d, 7305));
	EXPECT_EQ(0, listen(l, 4));
	EXPECT_EQ(-1, listen(d, 4));
	EXPECT_EQ(EADDRINUSE, errno);
	ASSERT_EQ(0, setresuid(0, 0, 0));
	close(l);
	close(d);
}

static int accept_within(int lfd, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return accept(lfd, NULL, NULL);
}

static int connect_b(int fd, int port)
{
	struct sockaddr_nty a = {
		.snty_family = topo.fam,
		.snty_port = htons(port),
		.snty_ifindex = topo.va_ifindex,
	};

	memcpy(a.snty_addr, topo.vb_mac, 6);
	return connect(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
}

/*
 * Review defect 8: an accepted connection was not in the port table, so
 * once its listener closed anyone could bind the port and receive what
 * was meant for it.  As __inet_inherit_port(), a child owns its port.
 * And as __inet_check_established(), two sockets that share a port by
 * SO_REUSEADDR cannot both connect to the same peer port.
 */
TEST_F(iso, connections_own_their_port_and_tuple)
{
	int l, c, s, c1, c2;

	enter_ns("nty-b");
	l = sock_as(SOCK_STREAM, 0);
	ASSERT_EQ(0, bind_port(l, 7302));
	ASSERT_EQ(0, listen(l, 4));
	enter_ns("nty-a");
	c = sock_as(SOCK_STREAM, 0);
	ASSERT_EQ(0, connect_b(c, 7302));
	s = accept_within(l, 3000);
	ASSERT_GE(s, 0);
	close(l);
	enter_ns("nty-b");
	EXPECT_EQ(EADDRINUSE, bind_as(UID_B, SOCK_STREAM, 7302, 0, 0));
	EXPECT_EQ(EADDRINUSE, bind_as(UID_B, SOCK_STREAM, 7302, 1, 0));
	close(s);
	close(c);

	/* Two clients on one port (same user, both reuse), one peer port. */
	enter_ns("nty-b");
	l = sock_as(SOCK_STREAM, 0);
	ASSERT_EQ(0, bind_port(l, 7303));
	ASSERT_EQ(0, listen(l, 4));
	enter_ns("nty-a");
	c1 = sock_as(SOCK_STREAM, 1);
	c2 = sock_as(SOCK_STREAM, 1);
	ASSERT_EQ(0, bind_port(c1, 7304));
	ASSERT_EQ(0, bind_port(c2, 7304));
	EXPECT_EQ(0, connect_b(c1, 7303));
	EXPECT_EQ(-EADDRNOTAVAIL, connect_b(c2, 7303));
	s = accept_within(l, 3000);
	EXPECT_GE(s, 0);
	close(c1);
	close(c2);
	close(s);
	close(l);
}

/* Run @fn as root of a new user and network namespace, as nobody. */
static int in_container(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	char map[64];
	int fd;

	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		/* A changed uid leaves /proc/self root's; take it back. */
		prctl(PR_SET_DUMPABLE, 1);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
			_exit(101);
		fd = open("/proc/self/setgroups", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "deny", 4) < 0)
				_exit(102);
			close(fd);
		}
		snprintf(map, sizeof(map), "0 65534 1");
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			_exit(103);
		close(fd);
		fd = open("/proc/self/gid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			_exit(104);
		close(fd);
		_exit(fn(arg));
	}
	return reap(pid);
}

/* 0 if every limit sysctl refuses a write, else the index of the first. */
static int try_raise_limits(void *arg)
{
	static const char * const limits[] = {
		"rmem_max", "rmem_default", "wmem_max", "wmem_default",
		"max_syn_backlog", "somaxconn", "max_orphans", "orphan_retries",
	};
	char path[128];
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/nty/%s", limits[i]);
		fd = open(path, O_WRONLY);
		if (fd >= 0 || errno != EACCES) {
			fprintf(stderr, "%s: writable (or %s)\n", limits[i],
				strerror(errno));
			return 10 + i;
		}
	}
	/* The rest stay the container's own to set. */
	fd = open("/proc/sys/net/nty/delayed_ack", O_WRONLY);
	if (fd < 0)
		return 2;
	close(fd);
	return 0;
}

/*
 * Review defect 5: rmem_max, wmem_max, max_syn_backlog... were writable
 * in every namespace, so container root could raise what the host
 * bounded.  As netns_core_table hides somaxconn from unprivileged users,
 * a namespace owned by another user namespace sees them read-only.
 */
TEST_F(iso, container_root_cannot_raise_limits)
{
	EXPECT_EQ(0, in_container(try_raise_limits, NULL));
	/* ip netns namespaces (the host's own user namespace) still can. */
	enter_ns("nty-b");
	EXPECT_NE(-1, open("/proc/sys/net/nty/rmem_max", O_WRONLY));
}

static int ntynic_into_host(void *arg)
{
	/* ip's netns 1: PID 1's namespace, the host's. */
	if (!system("ip link add nty-iso0 type ntynic peer name nty-iso1 netns 1 2>/dev/null"))
		return 1;
	/* Its own namespace is its own to fill. */
	if (system("ip link add nty-iso2 type ntynic peer name nty-iso3"))
		return 2;
	return 0;
}

/*
 * Review defect 3: ntynic took the peer's namespace from IFLA_NET_NS_PID
 * or _FD with no CAP_NET_ADMIN check there, so container root could make
 * a device in the host's namespace.  As rtnl_link_get_net_capable().
 */
TEST_F(iso, container_root_cannot_plant_ntynic_in_host)
{
	enter_init_ns();
	EXPECT_EQ(0, in_container(ntynic_into_host, NULL));
	EXPECT_EQ(0, if_nametoindex("nty-iso1"));
	EXPECT_EQ(0, if_nametoindex("nty-iso0"));
}

static int irq_cpus_in_container(void *arg)
{
	int fd, err;

	/* Its own sysfs, which shows its own namespace's devices. */
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL))
		return 2;
	if (system("ip link add nty-irq0 type ntynic peer name nty-irq1"))
		return 3;
	/* The file is the container's (0644, its root owns it)... */
	fd = open("/sys/class/net/nty-irq0/ntynic/irq_cpus", O_WRONLY);
	if (fd < 0)
		return 4;
	/* ...but what it moves is the machine's. */
	err = write(fd, "1", 1) < 0 ? errno : 0;
	close(fd);
	if (err != EPERM) {
		fprintf(stderr, "irq_cpus write: %s\n", err ? strerror(err) : "taken");
		return 1;
	}
	return 0;
}

/*
 * Hardening defect 5: root in a container could write an ntynic's
 * irq_cpus and put its interrupts on any CPU, outside its cpuset.  As
 * store_rps_map(): CAP_NET_ADMIN in the initial namespace.  The host's
 * root still can.
 */
TEST_F(iso, container_root_cannot_move_ntynic_interrupts)
{
	enter_init_ns();
	EXPECT_EQ(0, in_container(irq_cpus_in_container, NULL));
#define IRQ_CPUS "/sys/class/net/nty-irq0/ntynic/irq_cpus"
	sh("ip netns add nty-iso-irq");
	sh("ip -n nty-iso-irq link add nty-irq0 type ntynic peer name nty-irq1");
	EXPECT_EQ(0, system("ip netns exec nty-iso-irq sh -c 'echo 1 >" IRQ_CPUS "'"));
	EXPECT_EQ(0, system("ip netns exec nty-iso-irq grep -qx 1 " IRQ_CPUS));
	sh("ip netns del nty-iso-irq");
}

/*
 * Review defect 4: an ntynic end pinned up to 8 x 4096 pages from the
 * emergency reserves, charged to no one.  Its rings are charged to the
 * memory cgroup of whoever sizes them: in a cgroup limited to 48 MB,
 * 8 channels of 4,096 buffers (128 MB) are refused with ENOMEM, the old
 * rings stay and the cgroup stays within its limit.
 */
TEST_F(iso, ntynic_rings_charged_to_the_memory_cgroup)
{
	char cmd[512];
	long max, peak;
	pid_t pid;

	enter_init_ns();
	if (access(CG "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, mount("none", CG, "cgroup2", 0, NULL));
	sh("echo +memory > " CG "/cgroup.subtree_control");
	mkdir(CG "/nty-iso", 0755);
	write_file(CG "/nty-iso/memory.max", "48M");
	sh("ip netns del nty-iso 2>/dev/null; ip netns add nty-iso");
	pid = fork();
	if (pid == 0) {
		snprintf(cmd, sizeof(cmd), "%d", getpid());
		write_file(CG "/nty-iso/cgroup.procs", cmd);
		if (system("ip -n nty-iso link add ni0 " NI0 " type ntynic " NI1) ||
		    system("ip -n nty-iso link set ni0 up") ||
		    system("ip netns exec nty-iso ethtool -L ni0 combined 8"))
			_exit(1);
		if (!system("ip netns exec nty-iso ethtool -G ni0 rx 4096 2>/dev/null"))
			_exit(2);
		/* Still the old rings, still working. */
		if (system("ip netns exec nty-iso ethtool -g ni0 | awk '" RX_256 "'"))
			_exit(3);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid));
	max = read_long(CG "/nty-iso/memory.max");
	peak = read_long(CG "/nty-iso/memory.peak");
	EXPECT_EQ(48L << 20, max);
	EXPECT_LE(peak, max);
	/* The 8 x 256 buffers it has are charged to it. */
	EXPECT_GE(read_long(CG "/nty-iso/memory.current"), 8L * 256 * 4096);
	sh("ip netns del nty-iso");
	rmdir(CG "/nty-iso");
}

/* Send @n datagrams of @len bytes from nty-a to nty-b's @port. */
static void flood(int port, int n, int len)
{
	static char buf[1400];
	struct sockaddr_nty a = {
		.snty_family = topo.fam,
		.snty_port = htons(port),
		.snty_ifindex = topo.va_ifindex,
	};
	int fd, i;

	memcpy(a.snty_addr, topo.vb_mac, 6);
	enter_ns("nty-a");
	fd = socket(topo.fam, SOCK_DGRAM, 0);
	for (i = 0; i < n; i++)
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
			usleep(1000);
	close(fd);
}

/* NTY's pages in /proc/net/protocols (both types share the budget). */
static long nty_proto_pages(void)
{
	char line[512], name[32];
	long pages = -2;
	FILE *f = fopen("/proc/net/protocols", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %*d %*d %ld", name, &pages) == 2 &&
		    !strcmp(name, "NTY"))
			break;
	if (f)
		fclose(f);
	return pages;
}

/*
 * Review defect 5: NTY sockets had no memory accounting, so only each
 * socket's SO_RCVBUF bounded what a flood pins, times the number of
 * sockets.  As UDP's: every queued datagram is charged to net.nty.mem
 * (hard limit mem[2] pages, give or take the per-CPU reserve the core
 * batches charges in) and to the memory cgroup of the socket's creator.
 */
TEST_F_TIMEOUT(iso, socket_memory_charged_to_budget_and_memcg, 120)
{
	enum { NSOCK = 24, PORT = 7320 };
	/* The core's per-CPU charge batch (sysctl_mem_pcpu_rsv): 1 MB. */
	const long slack = 2 * 256 + NSOCK;
	int fd[NSOCK], i, sync[2], go[2];
	long long rcv0;
	long pm0, pages, cur0, cur1, cur2, rmem0;
	char cmd[64], c;
	pid_t pid;

	enter_init_ns();
	write_file("/proc/sys/net/nty/mem", "128 192 256");
	pm0 = drops_of("proto_mem");
	enter_ns("nty-b");
	rcv0 = nty_snmp("RcvbufErrors");
	for (i = 0; i < NSOCK; i++) {
		fd[i] = sock_as(SOCK_DGRAM, 0);
		ASSERT_EQ(0, bind_port(fd[i], PORT + i));
	}
	/* 24 x 80 datagrams (4.4 MB) within SO_RCVBUF, over a 1 MB budget. */
	for (i = 0; i < NSOCK; i++)
		flood(PORT + i, 80, 1400);
	enter_init_ns();
	pages = nty_proto_pages();
	EXPECT_LE(pages, 256 + slack);
	EXPECT_GT(drops_of("proto_mem") - pm0, 0);
	enter_ns("nty-b");
	EXPECT_EQ(drops_of("proto_mem") - pm0, nty_snmp("RcvbufErrors") - rcv0);
	for (i = 0; i < NSOCK; i++)
		close(fd[i]);
	enter_init_ns();
	write_file("/proc/sys/net/nty/mem", "1000000 1500000 2000000");

	/* A receiver in a memory cgroup: its queue is charged there. */
	if (access(CG "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, mount("none", CG, "cgroup2", 0, NULL));
	sh("echo +memory > " CG "/cgroup.subtree_control");
	mkdir(CG "/nty-sock", 0755);
	ASSERT_EQ(0, pipe(sync));
	ASSERT_EQ(0, pipe(go));
	rmem0 = raise_core_rmem_max(4194304);
	pid = fork();
	if (pid == 0) {
		int one = 1 << 21, r;
		static char buf[2048];

		snprintf(cmd, sizeof(cmd), "%d", getpid());
		write_file(CG "/nty-sock/cgroup.procs", cmd);
		enter_ns("nty-b");
		write_file("/proc/sys/net/nty/rmem_max", "4194304");
		r = sock_as(SOCK_DGRAM, 0);
		if (bind_port(r, PORT) ||
		    setsockopt(r, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)))
			_exit(1);
		if (write(sync[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		while (recv(r, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		if (write(sync[1], "d", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));
	cur0 = read_long(CG "/nty-sock/memory.current");
	flood(PORT, 500, 1400);
	sleep_ms(500);
	cur1 = read_long(CG "/nty-sock/memory.current");
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(sync[0], &c, 1));
	cur2 = read_long(CG "/nty-sock/memory.current");
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, reap(pid));
	/* 500 datagrams of ~2.3 KB truesize queued: over 1 MB, then freed. */
	EXPECT_GE(cur1 - cur0, 1L << 20);
	EXPECT_LE(cur2 - cur0, 256L << 10);
	enter_ns("nty-b");
	write_file("/proc/sys/net/nty/rmem_max", "212992");
	enter_init_ns();
	restore_core_rmem_max(rmem0);
	rmdir(CG "/nty-sock");
}

TEST_HARNESS_MAIN

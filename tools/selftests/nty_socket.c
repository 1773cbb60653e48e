// SPDX-License-Identifier: GPL-2.0
/*
 * Socket creation: the types and protocols AF_NTY accepts and the errno
 * it gives for the others, and the SOL_SOCKET options every socket has.
 */
#include "../../tools/lib/nty_user.h"
#include "kselftest_harness.h"

static int sockopt_int(int fd, int opt)
{
	int val = -1;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, SOL_SOCKET, opt, &val, &len) < 0)
		return -errno;
	return val;
}

TEST(dgram_and_stream_create)
{
	int fam = nty_user_family();
	int types[] = { SOCK_DGRAM, SOCK_STREAM };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		int fd = socket(fam, types[i], 0);

		ASSERT_GE(fd, 0) TH_LOG("type %d: %s", types[i], strerror(errno));
		EXPECT_EQ(types[i], sockopt_int(fd, SO_TYPE));
		EXPECT_EQ(fam, sockopt_int(fd, SO_DOMAIN));
		EXPECT_EQ(0, sockopt_int(fd, SO_PROTOCOL));
		EXPECT_EQ(0, sockopt_int(fd, SO_ERROR));
		EXPECT_EQ(0, close(fd));
	}
}

TEST(other_types_esocktnosupport)
{
	int fam = nty_user_family();
	int types[] = { SOCK_RAW, SOCK_SEQPACKET, SOCK_RDM };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-1, socket(fam, types[i], 0));
		EXPECT_EQ(ESOCKTNOSUPPORT, errno) TH_LOG("type %d", types[i]);
	}
}

TEST(protocol_eprotonosupport)
{
	int fam = nty_user_family();

	EXPECT_EQ(-1, socket(fam, SOCK_DGRAM, 1));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
	EXPECT_EQ(-1, socket(fam, SOCK_STREAM, 17));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
}

TEST(nonblock_cloexec_flags)
{
	int fd = socket(nty_user_family(), SOCK_DGRAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	char c;

	ASSERT_GE(fd, 0);
	/* Unbound and non-blocking: nothing to read, at once. */
	EXPECT_EQ(-1, recv(fd, &c, 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

TEST(many_sockets_appear_in_proc)
{
	int fds[64], i, lines = 0;
	char line[512];
	FILE *f;

	for (i = 0; i < 64; i++)
		ASSERT_GE(fds[i] = socket(nty_user_family(), SOCK_DGRAM, 0), 0);
	f = fopen("/proc/net/nty/sockets", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	/* A header, and at least our 64 sockets. */
	EXPECT_GE(lines, 65);
	for (i = 0; i < 64; i++)
		close(fds[i]);
}

TEST_HARNESS_MAIN

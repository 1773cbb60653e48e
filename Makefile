# SPDX-License-Identifier: GPL-2.0
#
# NTY: the Linux receive path as an address family.
#
#   make            build module/nty.ko against KDIR
#   make demo       the main job: set up, build, boot the VM, show NTY at work
#   make lesson N=5 [ARGS="max_backlog=5000"]  one claim's lesson in the VM
#                   (tools/ntylab; without N, the list of lessons)
#   make check      set up, build, run every test in the VM; ends "N passed, N failed"
#   make check T=x  only the tests whose name contains x
#   make check KERNEL=stock  the VM tests on Debian's own 6.1 kernel
#   make shell KERNEL=release|stock  a shell on another kernel
#   make shell      a root shell in the VM with nty.ko loaded
#   make compat     build against the test kernel and Debian's stock 6.1, W=1
#   make style      checkpatch.pl --strict on every C file, shellcheck on every script
#   make sparse     sparse (C=2) on the module
#   make tools      ntycat, ntystat, the fuzzers and the selftests
#   make fuzz       fuzzing and fault campaigns on the debug kernel, then
#                   frames at volume on the release kernel (FUZZ_CALLS,
#                   FUZZ_FRAMES, FUZZ_CYCLES, FUZZ_ROUNDS, FUZZ_CONNS)

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
STOCK_KDIR ?= $(firstword $(wildcard /usr/src/linux-headers-6.1.*-amd64))
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(shell $(TOP)/scripts/build-kernel debug))

CFLAGS_TOOLS := -O2 -g -Wall -Wextra -Werror -I$(TOP)/include/uapi -I$(TOP)/tools
# The harness is built as the kernel's selftests build it: -Wall.
CFLAGS_SELFTESTS := -O2 -g -Wall -Werror -I$(TOP)/include/uapi -I$(TOP)/tools
SELFTESTS := tools/selftests/nty_socket tools/selftests/nty_dgram \
	tools/selftests/nty_stream tools/selftests/nty_hostile \
	tools/selftests/nty_isolation

.PHONY: all modules clean demo lesson check shell compat style sparse tools setup bench fuzz

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 modules

setup:
	@$(TOP)/scripts/setup

FUZZERS := tools/ntyfuzz_sys tools/ntyfuzz_frames tools/ntyfuzz_failnth \
	tools/ntyfuzz_netns

tools: tools/ntycat tools/ntyperf tools/ip/link_ntynic.so $(FUZZERS) $(SELFTESTS)

tools/ntyfuzz_sys: tools/ntyfuzz_sys.c tools/lib/nty_user.h include/uapi/linux/nty.h
	$(CC) $(CFLAGS_TOOLS) -o $@ $< -lpthread

tools/ntyfuzz_failnth: tools/ntyfuzz_failnth.c tools/lib/nty_user.h include/uapi/linux/nty.h
	$(CC) $(CFLAGS_TOOLS) -o $@ $<

tools/ntyfuzz_netns: tools/ntyfuzz_netns.c tools/lib/nty_user.h include/uapi/linux/nty.h
	$(CC) $(CFLAGS_TOOLS) -o $@ $<

tools/ntyfuzz_frames: tools/ntyfuzz_frames.c tools/selftests/nty_raw.h \
		tools/selftests/nty_test.h tools/lib/nty_user.h include/uapi/linux/nty.h
	$(CC) $(CFLAGS_TOOLS) -o $@ $<

# ip's plugin for "type ntynic peer name X": IP_LIB_DIR=$(TOP)/tools/ip
tools/ip/link_ntynic.so: tools/ip/link_ntynic.c
	$(CC) -O2 -g -Wall -Werror -fPIC -shared -o $@ $< -ldl

tools/ntycat: tools/ntycat.c tools/lib/nty_user.h include/uapi/linux/nty.h
	$(CC) $(CFLAGS_TOOLS) -o $@ $<

tools/ntyperf: tools/ntyperf.c tools/lib/nty_user.h include/uapi/linux/nty.h
	$(CC) $(CFLAGS_TOOLS) -o $@ $<

tools/selftests/%: tools/selftests/%.c tools/selftests/nty_test.h tools/selftests/nty_raw.h \
		tools/lib/nty_user.h \
		include/uapi/linux/nty.h
	$(CC) $(CFLAGS_SELFTESTS) \
		-I$(shell $(TOP)/scripts/ksrc)/tools/testing/selftests \
		-o $@ $< -lpthread

check:
	@NTY_KERNEL=$(KERNEL) $(TOP)/scripts/check $(T)

demo:
	@$(TOP)/scripts/setup
	@$(MAKE) -s tools
	@$(TOP)/scripts/nty-vm --kernel release --wire -- $(TOP)/scripts/demo

lesson:
	@$(TOP)/scripts/setup
	@$(MAKE) -s tools
	@$(TOP)/scripts/nty-vm $(if $(KERNEL),--kernel $(KERNEL)) -- \
		$(TOP)/tools/ntylab $(if $(N),run $(N) $(ARGS),list)

fuzz:
	@$(TOP)/scripts/fuzz

# Benchmarks: the release kernel, NTY beside UDP, TCP and AF_PACKET.
bench:
	@$(TOP)/scripts/setup
	@$(MAKE) -s tools
	@$(TOP)/scripts/nty-vm --kernel release --mem 2G -- $(TOP)/scripts/bench-run
	@$(TOP)/scripts/nty-pair --kernel release $(TOP)/scripts/bench-pair $(TOP)/scripts/bench-pair
	@$(TOP)/scripts/bench-report

shell:
	@$(TOP)/scripts/setup
	@$(MAKE) -s tools
	@$(TOP)/scripts/nty-vm $(if $(KERNEL),--kernel $(KERNEL))

compat:
	@$(TOP)/scripts/setup
	@echo "compat: test kernel (6.12, release)"
	@$(TOP)/scripts/build-module release >/dev/null
	@echo "compat: Debian stock headers ($(STOCK_KDIR))"
	@rm -rf $(TOP)/build/stock && \
		bash -c '. $(TOP)/scripts/lib.sh && nty_link_sources $(TOP)/build/stock' && \
		$(MAKE) -s -C $(STOCK_KDIR) M=$(TOP)/build/stock W=1 modules 2>&1 | \
		tee $(TOP)/build/stock/build.log | grep -v 'Skipping BTF' ; \
		! grep -qE 'warning:|error:' $(TOP)/build/stock/build.log && \
		test -f $(TOP)/build/stock/module/nty.ko && echo "compat: both clean"

style:
	@$(TOP)/scripts/style

sparse:
	@$(TOP)/scripts/setup
	@$(TOP)/scripts/build-module release C=2 >/dev/null && \
		! grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error)' $(TOP)/build/release/build.log && \
		echo "sparse: clean"

clean:
	rm -rf build tools/ntycat $(FUZZERS) $(SELFTESTS)
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null

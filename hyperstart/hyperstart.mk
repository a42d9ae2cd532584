# SPDX-License-Identifier: Apache-2.0
# hyperstart: the guest's PID 1, a static musl binary that becomes /init in
# the initrd (initrd/initrd.mk packs it).

HYPERSTART_SRCS := $(wildcard hyperstart/*.c)
HYPERSTART := $(GOBJ)/hyperstart/hyperstart
# Unit tests and fuzzers link the parts that do not need a VM.
HYPERSTART_TEST_SRCS := hyperstart/user.c hyperstart/inroot.c hyperstart/cmdline.c $(PROTO_SRCS) $(LIB_SRCS)
HYPERSTART_TEST_LIBS := -Ihyperstart

$(HYPERSTART): $(HYPERSTART_SRCS:%.c=$(GOBJ)/guest/%.o) $(PROTO_GUEST_OBJS) $(LIB_GUEST_OBJS)
	@mkdir -p $(@D)
	$(call quiet,LD,$@)$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $^

hyperstart: $(HYPERSTART)
.PHONY: hyperstart

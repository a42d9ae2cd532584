# SPDX-License-Identifier: Apache-2.0
# lib: the general helpers every part uses (errors, I/O, JSON, the clock). Compiled
# twice: with the host CC for the runner and packer, and with GUEST_CC for
# hyperstart. Nothing here knows the channel protocol (that is proto/).

LIB_SRCS := $(wildcard lib/*.c)
LIB_HOST_OBJS := $(LIB_SRCS:%.c=$(OBJ)/host/%.o)
# when.c (docker's times and durations) is the host's alone: in the guest it
# would only bring musl's float, scanf and time-zone code into the initrd.
LIB_GUEST_OBJS := $(filter-out $(GOBJ)/guest/lib/when.o,$(LIB_SRCS:%.c=$(GOBJ)/guest/%.o))
LIB_TEST_SRCS := $(LIB_SRCS)

$(OBJ)/host/%.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(GOBJ)/guest/%.o: %.c $(GSTAMP)/toolchain
	@mkdir -p $(@D)
	$(call quiet,CC-MUSL,$<)$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

# SPDX-License-Identifier: Apache-2.0
# proto: the channel protocol (frames and messages) that the runner and
# hyperstart speak. Built on lib/ (JSON, I/O, errors); compiled for both sides
# by lib/lib.mk's rules.

PROTO_SRCS := $(wildcard proto/*.c)
PROTO_HOST_OBJS := $(PROTO_SRCS:%.c=$(OBJ)/host/%.o)
PROTO_GUEST_OBJS := $(PROTO_SRCS:%.c=$(GOBJ)/guest/%.o)
PROTO_TEST_SRCS := $(PROTO_SRCS) $(LIB_SRCS)

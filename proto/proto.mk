# proto: the channel protocol and the helpers both sides share (frames,
# messages, JSON, I/O, errors). Compiled twice: with the host CC for the
# runner and packer, and with GUEST_CC for hyperstart.

PROTO_SRCS := $(wildcard proto/*.c)
PROTO_HOST_OBJS := $(PROTO_SRCS:%.c=$(OBJ)/host/%.o)
PROTO_GUEST_OBJS := $(PROTO_SRCS:%.c=$(OBJ)/guest/%.o)
PROTO_TEST_SRCS := $(PROTO_SRCS)

$(OBJ)/host/%.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(OBJ)/guest/%.o: %.c $(STAMP)/toolchain
	@mkdir -p $(@D)
	$(call quiet,CC-MUSL,$<)$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

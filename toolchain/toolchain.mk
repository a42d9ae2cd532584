# toolchain: the musl cross toolchain for the guest and `make deps`.
#
# The guest side (hyperstart) is built with Debian's musl-gcc wrapper: static,
# size-optimised, stripped. GUEST_CC can be overridden in config.mak.

GUEST_CC      ?= musl-gcc
# musl's headers have no <linux/*.h>: hyperstart's netlink code takes the
# kernel's UAPI headers (linux-libc-dev) from a directory of three links.
GUEST_KHDR    := $(OBJ)/toolchain/include
GUEST_CFLAGS  := -Os -static -std=gnu11 -D_GNU_SOURCE $(WARN) -Ilib -Iproto -isystem $(GUEST_KHDR) \
                 -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
                 -fno-stack-protector -MMD -MP
GUEST_LDFLAGS := -static -s -Wl,--gc-sections -Wl,--build-id=none

deps:
	@toolchain/deps.sh toolchain/packages
	@toolchain/host.sh

deps-test:
	@toolchain/deps.sh toolchain/packages toolchain/packages-test
.PHONY: deps-test

# A static musl binary must link before anything else is built with it.
$(STAMP)/toolchain: toolchain/toolchain.mk | deps
	@mkdir -p $(@D) $(OBJ)/toolchain $(GUEST_KHDR)
	@ln -sfn /usr/include/linux $(GUEST_KHDR)/linux
	@ln -sfn /usr/include/asm-generic $(GUEST_KHDR)/asm-generic
	@ln -sfn /usr/include/$(shell gcc -print-multiarch)/asm $(GUEST_KHDR)/asm
	@printf 'int main(void){return 0;}\n' > $(OBJ)/toolchain/check.c
	@$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $(OBJ)/toolchain/check $(OBJ)/toolchain/check.c || \
		{ echo "qpod: $(GUEST_CC) cannot link a static binary (is musl-tools installed?)" >&2; exit 1; }
	@touch $@

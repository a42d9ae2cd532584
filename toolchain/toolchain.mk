# SPDX-License-Identifier: Apache-2.0
# toolchain: the musl toolchain for the guest and `make deps`.
#
# The guest side (hyperstart) is built with musl-dev's gcc wrapper for ARCH
# (ARCH_MUSL_CC: x86_64-linux-musl-gcc, or aarch64-linux-musl-gcc over
# Debian's cross gcc; its specs file puts musl's headers, start files and
# libc in place of glibc's): static, size-optimised, stripped. GUEST_CC can
# be overridden in config.mak.

GUEST_CC      ?= $(ARCH_MUSL_CC)
# musl's headers have no <linux/*.h>: hyperstart's netlink code takes the
# kernel's UAPI headers (linux-libc-dev; another arch's asm/ from its
# linux-libc-dev-ARCH-cross) from a directory of three links.
GUEST_KHDR    := $(GOBJ)/toolchain/include
GUEST_KASM    := $(if $(ARCH_NATIVE),/usr/include/$(ARCH_TRIPLET)/asm,/usr/$(ARCH_TRIPLET)/include/asm)
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
$(GSTAMP)/toolchain: toolchain/toolchain.mk configs/arch/$(ARCH)/arch.mk | deps
	@mkdir -p $(@D) $(GOBJ)/toolchain $(GUEST_KHDR)
	@ln -sfn /usr/include/linux $(GUEST_KHDR)/linux
	@ln -sfn /usr/include/asm-generic $(GUEST_KHDR)/asm-generic
	@ln -sfn $(GUEST_KASM) $(GUEST_KHDR)/asm
	@printf 'int main(void){return 0;}\n' > $(GOBJ)/toolchain/check.c
	@$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $(GOBJ)/toolchain/check $(GOBJ)/toolchain/check.c || \
		{ echo "qpod: $(GUEST_CC) cannot link a static $(ARCH) binary (is musl-dev:$(ARCH_DEB) installed?)" >&2; exit 1; }
	@touch $@

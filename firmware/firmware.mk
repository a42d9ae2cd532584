# SPDX-License-Identifier: Apache-2.0
# firmware: the boot firmware images (see firmware/README.md).
#
#   $(IMG)/qboot.rom       Debian's qboot as shipped: -bios for the default
#                          fw_cfg boot (-kernel/-initrd/-append).
#   $(IMG)/bios-qboot.bin  qboot from Debian's qemu source + firmware/0001-*.patch
#                          (CBFS boot): pflash unit 0.
#   $(IMG)/cbfs.rom        CBFS image holding vmlinuz, initrd and cmdline:
#                          pflash unit 1, booted with no -kernel at all.
#
# bios-qboot.bin is built the Buildroot way, one stamp per step: fetched
# (tarball cached in $(QPOD_BUILD_CACHE)/dl, sha256 pinned in
# firmware/qboot.hash), extracted (roms/qboot only), patched, built.

QBOOT_DEBIAN_ROM := /usr/share/qemu/qboot.rom
QBOOT_HASH       := firmware/qboot.hash
QBOOT_TARBALL    := $(QPOD_BUILD_CACHE)/dl/$(word 3,$(shell grep '^sha256' $(QBOOT_HASH)))
QBOOT_PATCHES    := $(sort $(wildcard firmware/[0-9][0-9][0-9][0-9]-*.patch))
QBOOT_SRC        := $(OBJ)/firmware/qboot-src
QBOOT_DIR        := $(OBJ)/firmware/qboot
QBOOT_BUILD      := $(OBJ)/firmware/qboot-build

# meson.build's files, in its order (the patch appends cbfs.c), and its flags
# at Debian's -O2: with these the unpatched tree builds byte-identical to
# Debian's qboot.rom (test/firmware.bats builds it with QBOOT_PATCHES= and
# compares). A plain rule needs no meson on the build host.
QBOOT_CC      ?= gcc
QBOOT_FILES   := code16.c code32seg.c cstart.S entry.S fw_cfg.c hwsetup.c \
                 linuxboot.c main.c malloc.c mptable.c pci.c printf.c string.c \
                 smbios.c tables.c $(if $(QBOOT_PATCHES),cbfs.c)
QBOOT_CFLAGS  := -O2 -Wall -m32 -march=i386 -mregparm=3 -fno-stack-protector \
                 -fno-delete-null-pointer-checks -ffreestanding \
                 -mstringop-strategy=rep_byte -minline-all-stringops -fno-pic
# main.c writes the real-mode IVT through a null pointer on purpose.
QBOOT_CFLAGS  += -Wno-array-bounds
# Our own file is held to the project's standard.
QBOOT_CFLAGS_cbfs.c := -Wextra -Werror
QBOOT_LDFLAGS := -nostdlib -m32 -no-pie -Wl,--build-id=none \
                 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

# qemu's pc machine maps all pflash units together in the last 8 MiB below
# 4 GiB, each a non-zero multiple of 4 KiB. qboot (flat.lds: the last 64 KiB
# below 1 MiB) is unit 0; the CBFS image gets the rest.
QBOOT_FLASH_SIZE := 65536
PFLASH_LIMIT     := 8388608

# Only an arch that boots through qboot (ARCH_FIRMWARE, configs/arch/) has them.
ifeq ($(ARCH_FIRMWARE),qboot)
IMAGES += $(IMG)/qboot.rom $(IMG)/bios-qboot.bin $(IMG)/cbfs.rom
endif

firmware: $(IMG)/qboot.rom $(IMG)/bios-qboot.bin $(IMG)/cbfs.rom
.PHONY: firmware firmware-refetch

$(IMG)/qboot.rom: $(wildcard $(QBOOT_DEBIAN_ROM)) | deps
	@test -f $(QBOOT_DEBIAN_ROM) || \
		{ echo "qpod: firmware: $(QBOOT_DEBIAN_ROM) missing (install qemu-system-data)" >&2; exit 1; }
	@mkdir -p $(@D)
	@install -m 0644 $(QBOOT_DEBIAN_ROM) $@

# A stamp outlives a cache wiped behind its back: fetch again then.
$(STAMP)/qboot-fetched: $(QBOOT_HASH) firmware/fetch-source.sh toolchain/debsrc.sh \
		$(if $(wildcard $(QBOOT_TARBALL)),,firmware-refetch) | deps
	@mkdir -p $(@D)
	@echo "  FETCH   $(notdir $(QBOOT_TARBALL))"
	@firmware/fetch-source.sh $(QPOD_BUILD_CACHE) $(QBOOT_HASH)
	@touch $@

# Only roms/qboot: the rest of qemu is not needed.
$(STAMP)/qboot-extracted: $(STAMP)/qboot-fetched
	@echo "  EXTRACT qboot"
	@rm -rf $(QBOOT_SRC) && mkdir -p $(QBOOT_SRC)
	@tar -xJf $(QBOOT_TARBALL) -C $(QBOOT_SRC) --strip-components=3 \
		--wildcards '*/roms/qboot/*' && test -f $(QBOOT_SRC)/main.c || \
		{ echo "qpod: firmware: no roms/qboot in $(QBOOT_TARBALL)" >&2; exit 1; }
	@touch $@

# Always onto a fresh copy, so an edited patch never meets its old self.
$(STAMP)/qboot-patched: $(STAMP)/qboot-extracted $(QBOOT_PATCHES)
	@echo "  PATCH   qboot"
	@rm -rf $(QBOOT_DIR) && cp -a $(QBOOT_SRC) $(QBOOT_DIR)
	@for p in $(QBOOT_PATCHES); do \
		patch -d $(QBOOT_DIR) -p1 -s -N -r - --no-backup-if-mismatch < $$p || \
		{ echo "qpod: firmware: $$p does not apply to qboot" >&2; exit 1; }; \
	done
	@touch $@

$(STAMP)/qboot-built: $(STAMP)/qboot-patched firmware/firmware.mk
	@echo "  CC      qboot"
	@rm -rf $(QBOOT_BUILD) && mkdir -p $(QBOOT_BUILD)
	@$(foreach f,$(QBOOT_FILES),$(QBOOT_CC) $(QBOOT_CFLAGS) $(QBOOT_CFLAGS_$(f)) \
		-I$(QBOOT_DIR)/include -c $(QBOOT_DIR)/$(f) -o $(QBOOT_BUILD)/$(basename $(f)).o &&) true
	@$(QBOOT_CC) $(QBOOT_LDFLAGS) -Wl,-T,$(QBOOT_DIR)/flat.lds -o $(QBOOT_BUILD)/bios.elf \
		$(patsubst %,$(QBOOT_BUILD)/%.o,$(basename $(QBOOT_FILES)))
	@objcopy -O binary $(QBOOT_BUILD)/bios.elf $(QBOOT_BUILD)/bios.bin
	@test "$$(stat -c %s $(QBOOT_BUILD)/bios.bin)" = $(QBOOT_FLASH_SIZE) || \
		{ echo "qpod: firmware: qboot image is not $(QBOOT_FLASH_SIZE) bytes" >&2; exit 1; }
	@touch $@

$(IMG)/bios-qboot.bin: $(STAMP)/qboot-built
	@mkdir -p $(@D)
	@install -m 0644 $(QBOOT_BUILD)/bios.bin $@

# Only the images: a new hyperstart rebuilds initrd.img and this, nothing else.
$(IMG)/cbfs.rom: $(IMG)/vmlinuz $(IMG)/initrd.img $(IMG)/cmdline firmware/mkcbfs.sh | deps
	@echo "  CBFS    $@"
	@firmware/mkcbfs.sh $@ $$(( $(PFLASH_LIMIT) - $(QBOOT_FLASH_SIZE) )) \
		vmlinuz=$(IMG)/vmlinuz initrd=$(IMG)/initrd.img cmdline=$(IMG)/cmdline

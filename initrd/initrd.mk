# SPDX-License-Identifier: Apache-2.0
# initrd: the initramfs, hyperstart as /init (initrd/initrd.spec lists it all,
# and an external tree's initrd/initrd.spec what it adds).
#
#   make initrd    $(IMG)/initrd.img: a gzip'd newc cpio (the kernel has only
#                  RD_GZIP built in), reproducible, owned 0:0, mtimes =
#                  SOURCE_DATE_EPOCH; written by our own initrd/mkcpio.c.

MKCPIO := $(OBJ)/initrd/mkcpio

IMAGES += $(IMG)/initrd.img

initrd: $(IMG)/initrd.img
.PHONY: initrd

$(MKCPIO): initrd/mkcpio.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(HOST_CFLAGS) -o $@ $<

# The specs: ours, then each external tree's initrd/initrd.spec, whose
# relative sources are files next to it (toolchain/external.sh).
INITRD_SPECS := initrd/initrd.spec $(wildcard $(addsuffix /initrd/initrd.spec,$(EXTERNAL_DIRS)))
INITRD_FILES := $(filter $(addsuffix /initrd/%,$(EXTERNAL_DIRS)),$(EXTERNAL_FILES))

# gzip -n: no name or time in the gzip header. The size check keeps the
# initrd small on purpose: its unpack is on every boot's critical path. The
# budget is the arch's (arm64's code is a fifth larger than x86_64's);
# config.mak may raise it for an external tree's files.
INITRD_MAX_BYTES ?= $(ARCH_INITRD_MAX)
# Every mtime in the archive is SOURCE_DATE_EPOCH: another epoch (a new
# commit) is another initrd. Rewritten only on change (kernel.mk's idiom).
$(GOBJ)/initrd/epoch: FORCE
	@mkdir -p $(@D)
	@echo '$(SOURCE_DATE_EPOCH)' | cmp -s - $@ || echo '$(SOURCE_DATE_EPOCH)' > $@

$(IMG)/initrd.img: $(INITRD_SPECS) $(INITRD_FILES) $(EXTERNAL_STATE)/trees.list $(GOBJ)/initrd/epoch $(MKCPIO) $(HYPERSTART)
	@$(if $(HYPERSTART),,echo "initrd: HYPERSTART is not defined (hyperstart/hyperstart.mk)" >&2; exit 1)
	@mkdir -p $(@D) $(GOBJ)/initrd
	@HYPERSTART=$(HYPERSTART) $(MKCPIO) -t $(SOURCE_DATE_EPOCH) $(INITRD_SPECS) > $(GOBJ)/initrd/initrd.cpio
	@gzip -n -9 < $(GOBJ)/initrd/initrd.cpio > $@.tmp
	@size=$$(wc -c < $@.tmp); [ $$size -le $(INITRD_MAX_BYTES) ] || \
		{ echo "initrd: $@ is $$size bytes, over the $(INITRD_MAX_BYTES) byte budget" >&2; rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

# test/unit/initrd_mkcpio.c includes initrd/mkcpio.c itself (built with
# MKCPIO_NO_MAIN) to reach its static functions, so there is nothing to link.
INITRD_TEST_SRCS :=

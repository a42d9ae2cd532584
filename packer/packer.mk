# SPDX-License-Identifier: Apache-2.0
# packer: Docker/OCI image archives -> cached rootfs directories (libpacker.a),
# the qpod-pack test CLI, and the default image out/images/busybox.tar.
# See packer/README.md.

# The stages in pipeline order, one folder each (packer/README.md "Files"),
# and pack.c, which runs them; then rootfs, a cache entry's root out again
# (tar, squashfs) for the bundle and the runner.
PACKER_STAGES := common source archive layer cache rootfs
PACKER_SRCS   := packer/pack.c $(foreach s,$(PACKER_STAGES),$(wildcard packer/$(s)/*.c))
PACKER_OBJS   := $(PACKER_SRCS:%.c=$(OBJ)/host/%.o)
PACKER_LIB    := $(OBJ)/packer/libpacker.a
# libarchive and its codecs, and nettle's sha256, linked statically: Debian's
# libarchive.so loads libxml2, ICU and libstdc++ as well (17 libraries), and
# that was 4-5 ms of every qpod process, a run's included. Only the objects
# the packer names are linked (tar, raw; gzip, bzip2, xz, zstd): libarchive's
# format table (archive_write_set_format.c) names every writer, and
# --gc-sections drops it with them, xar's libxml2 and zip's nettle calls too.
PACKER_LDLIBS := -Wl,--gc-sections -Wl,-Bstatic -larchive -lzstd -llzma -lbz2 -lz -lnettle -Wl,-Bdynamic -pthread
PACKER_CLI    := $(OBJ)/packer/qpod-pack

# Unit tests and fuzz targets (test/test.mk) compile these with the test.
PACKER_TEST_SRCS := $(PACKER_SRCS) $(LIB_SRCS)
PACKER_TEST_LIBS := -Ipacker $(PACKER_LDLIBS)

$(PACKER_OBJS): HOST_CFLAGS += -Ipacker

$(PACKER_LIB): $(PACKER_OBJS)
	@mkdir -p $(@D)
	$(call quiet,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(PACKER_CLI): packer/qpod-pack.c $(PACKER_LIB) $(LIB_HOST_OBJS)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(HOST_CFLAGS) -Ipacker -o $@ $< $(PACKER_LIB) $(LIB_HOST_OBJS) $(PACKER_LDLIBS)

# The default image: Debian's busybox-static as a docker-archive, reproducible.
# The host's arch: the installed /bin/busybox. Another: the same package
# built for it (toolchain/debunpack.sh), whose applets qemu-user lists.
ifneq ($(ARCH_NATIVE),)
BUSYBOX     := $(wildcard /bin/busybox)
BUSYBOX_RUN :=
else
BUSYBOX     := $(GOBJ)/busybox/bin/busybox
BUSYBOX_RUN := qemu-$(ARCH_UNAME)
$(BUSYBOX): toolchain/debunpack.sh | deps
	$(call quiet,DEB,busybox-static:$(ARCH_DEB))toolchain/debunpack.sh busybox-static $(ARCH_DEB) \
		$(QPOD_BUILD_CACHE)/dl $(GOBJ)/busybox
	@test -x $@ && touch $@
endif
$(IMG)/busybox.tar: packer/mkbusybox.sh $(BUSYBOX) | deps
	@mkdir -p $(@D)
	$(call quiet,IMAGE,$@)BUSYBOX_RUN="$(BUSYBOX_RUN)" packer/mkbusybox.sh $(BUSYBOX) $@ \
		$(ARCH_OCI) $(ARCH_OCI_VARIANT)

IMAGES += $(IMG)/busybox.tar
BINS   += $(PACKER_CLI)

packer: $(PACKER_LIB) $(PACKER_CLI) $(IMG)/busybox.tar
.PHONY: packer

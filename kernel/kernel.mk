# kernel: the guest kernel, its resolved config and its command line.
#
#   make kernel          $(IMG)/vmlinuz, $(IMG)/kernel.config, $(IMG)/cmdline
#   make kernel-config   only resolve and check the config (seconds, no build)
#
# The config is allnoconfig + the fragments $(KERNEL_FRAGMENTS_DIR)/*.config in
# sorted order; kernel/kernel.sh checks that every option they set survived.
# Source, kconfig tools, the incremental build dir and finished kernels live in
# $(QPOD_BUILD_CACHE)/kernel, keyed by source version + resolved config, so a
# fresh O= only re-resolves the config and copies (see kernel/README.md).

KERNEL_FRAGMENTS_DIR ?= configs/kernel
KERNEL_FRAGMENTS     := $(sort $(wildcard $(KERNEL_FRAGMENTS_DIR)/*.config))
KERNEL_TARBALL       := $(wildcard /usr/src/linux-source-6.1.tar.xz)
KERNEL_CONFIG        := $(OBJ)/kernel/kernel.config
KERNEL_SH            := QPOD_BUILD_CACHE=$(QPOD_BUILD_CACHE) kernel/kernel.sh

IMAGES += $(IMG)/vmlinuz $(IMG)/kernel.config $(IMG)/cmdline

kernel: $(IMG)/vmlinuz $(IMG)/kernel.config $(IMG)/cmdline $(OBJ)/kernel/System.map
kernel-config: $(KERNEL_CONFIG)
.PHONY: kernel kernel-config FORCE

# The fragment list itself is a dependency: removing a fragment, or pointing
# KERNEL_FRAGMENTS_DIR elsewhere, must re-resolve. Rewritten only on change,
# so its mtime moves only then (the kbuild filechk idiom).
$(OBJ)/kernel/fragments.list: FORCE
	@mkdir -p $(@D)
	@echo '$(KERNEL_FRAGMENTS)' | cmp -s - $@ || echo '$(KERNEL_FRAGMENTS)' > $@

# Step 1: the resolved config. kernel.sh rewrites it only when its content
# changes; the touch records that it was checked against these fragments.
$(KERNEL_CONFIG): $(KERNEL_FRAGMENTS) $(OBJ)/kernel/fragments.list kernel/kernel.sh $(KERNEL_TARBALL) | deps
	@$(if $(KERNEL_FRAGMENTS),,echo "kernel: no fragments in $(KERNEL_FRAGMENTS_DIR)/*.config" >&2; exit 1)
	@$(KERNEL_SH) config $@ $(KERNEL_FRAGMENTS)
	@touch $@

# Step 2: the kernel, from the cache or built there. System.map stays in
# $(OBJ): the image has no KALLSYMS, the map decodes oops addresses.
$(IMG)/vmlinuz $(IMG)/kernel.config $(OBJ)/kernel/System.map &: $(KERNEL_CONFIG) kernel/kernel.sh
	@mkdir -p $(IMG)
	@$(KERNEL_SH) build $(KERNEL_CONFIG) $(IMG)/vmlinuz $(IMG)/kernel.config $(OBJ)/kernel/System.map

# The runner passes this file verbatim to -append: one line, no comments
# (the arguments are explained in kernel/README.md).
$(IMG)/cmdline: configs/cmdline
	@mkdir -p $(@D)
	@[ "$$(wc -l < $<)" = 1 ] && ! grep -q '#' $< || \
		{ echo "kernel: $< must be exactly one line with no comments" >&2; exit 1; }
	@cp $< $@

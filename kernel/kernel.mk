# kernel: the guest kernel, its resolved config and its command line.
#
#   make kernel          $(IMG)/vmlinuz (bzImage), $(IMG)/vmlinux (the same
#                        kernel as a PVH ELF, which the runner boots for more
#                        than one vCPU), $(IMG)/vmlinux-up (the uniprocessor
#                        build, which it boots for one), $(IMG)/kernel.config,
#                        $(IMG)/kernel-up.config, $(IMG)/cmdline
#   make kernel-config   only resolve and check the configs (seconds, no build)
#   make kernel-menuconfig   the kernel's menuconfig on the resolved config
#   make kernel-savefragment FRAGMENT=FILE   what menuconfig changed, as a
#                        fragment (FILE: a new file, in configs/kernel or an
#                        external tree's kernel/)
#
# The config is allnoconfig + the fragments $(KERNEL_FRAGMENTS_DIR)/*.config in
# sorted order, then each external tree's kernel/*.config; kernel/kernel.sh
# checks that every option they set survived. $(OBJ)/kernel/key and key-up
# are the kernels' cache keys (manifest.json shows them).
# The uniprocessor config is the same without smp.config. The source gets
# kernel/patches/*.patch, in sorted order (kernel/README.md).
# Source, kconfig tools, the incremental build dir and finished kernels live in
# $(QPOD_BUILD_CACHE)/kernel, keyed by source version + resolved config, so a
# fresh O= only re-resolves the config and copies (see kernel/README.md).

KERNEL_FRAGMENTS_DIR ?= configs/kernel
KERNEL_DEFAULTS      := $(sort $(wildcard $(KERNEL_FRAGMENTS_DIR)/*.config))
# An external tree's fragments come after the defaults, each tree's sorted,
# behind a "+": they may override a default (toolchain/external.mk).
KERNEL_EXTERNALS     := $(foreach e,$(EXTERNAL_DIRS),$(sort $(wildcard $(e)/kernel/*.config)))
KERNEL_FRAGMENTS     := $(strip $(KERNEL_DEFAULTS) $(KERNEL_EXTERNALS))
KERNEL_TARBALL       := $(wildcard /usr/src/linux-source-6.1.tar.xz)
KERNEL_DEFAULTS_UP   := $(filter-out $(KERNEL_FRAGMENTS_DIR)/smp.config,$(KERNEL_DEFAULTS))
KERNEL_FRAGMENTS_UP  := $(strip $(KERNEL_DEFAULTS_UP) $(KERNEL_EXTERNALS))
KERNEL_PATCHES       := $(strip $(sort $(wildcard kernel/patches/*.patch)) \
                        $(foreach e,$(EXTERNAL_DIRS),$(sort $(wildcard $(e)/kernel/*.patch))))
KERNEL_CONFIG        := $(OBJ)/kernel/kernel.config
KERNEL_CONFIG_UP     := $(OBJ)/kernel/kernel-up.config
KERNEL_SH            := QPOD_BUILD_CACHE=$(QPOD_BUILD_CACHE) KERNEL_PATCHES="$(KERNEL_PATCHES)" kernel/kernel.sh

IMAGES += $(IMG)/vmlinuz $(IMG)/vmlinux $(IMG)/vmlinux-up $(IMG)/kernel.config $(IMG)/kernel-up.config \
	$(IMG)/cmdline

kernel: $(IMG)/vmlinuz $(IMG)/vmlinux $(IMG)/vmlinux-up $(IMG)/kernel.config $(IMG)/kernel-up.config \
	$(IMG)/cmdline $(OBJ)/kernel/System.map $(OBJ)/kernel/System-up.map
kernel-config: $(KERNEL_CONFIG) $(KERNEL_CONFIG_UP)
.PHONY: kernel kernel-config kernel-menuconfig kernel-savefragment FORCE

# The kernel's menuconfig on the resolved config (the SMP one: a fragment
# applies to both), kept in $(KERNEL_EDIT) between runs until the fragments
# change; then kernel-savefragment writes what changed as a new fragment.
KERNEL_EDIT := $(OBJ)/kernel/menuconfig.config
KERNEL_ARGS := $(KERNEL_DEFAULTS) $(if $(KERNEL_EXTERNALS),+ $(KERNEL_EXTERNALS))
kernel-menuconfig: $(KERNEL_CONFIG)
	@[ -f $(KERNEL_EDIT) ] && [ $(KERNEL_EDIT) -nt $(KERNEL_CONFIG) ] || cp $(KERNEL_CONFIG) $(KERNEL_EDIT)
	@$(KERNEL_SH) menuconfig $(KERNEL_EDIT)

kernel-savefragment: $(KERNEL_CONFIG)
	@$(if $(FRAGMENT),,echo "kernel: FRAGMENT=FILE names the fragment to write" >&2; exit 1)
	@$(KERNEL_SH) savefragment $(FRAGMENT) $(KERNEL_EDIT) $(KERNEL_ARGS)

# The fragment list itself is a dependency: removing a fragment, or pointing
# KERNEL_FRAGMENTS_DIR or EXTERNAL elsewhere, must re-resolve. Rewritten only on change,
# so its mtime moves only then (the kbuild filechk idiom). Same for patches.
$(OBJ)/kernel/fragments.list: FORCE
	@mkdir -p $(@D)
	@echo '$(KERNEL_FRAGMENTS)' | cmp -s - $@ || echo '$(KERNEL_FRAGMENTS)' > $@

$(OBJ)/kernel/patches.list: FORCE
	@mkdir -p $(@D)
	@echo '$(KERNEL_PATCHES)' | cmp -s - $@ || echo '$(KERNEL_PATCHES)' > $@

# Step 1: the resolved config. kernel.sh rewrites it only when its content
# changes; the touch records that it was checked against these fragments.
$(KERNEL_CONFIG): $(KERNEL_FRAGMENTS) $(OBJ)/kernel/fragments.list kernel/kernel.sh $(KERNEL_TARBALL) | deps
	@$(if $(KERNEL_DEFAULTS),,echo "kernel: no fragments in $(KERNEL_FRAGMENTS_DIR)/*.config" >&2; exit 1)
	@$(KERNEL_SH) config $@ $(KERNEL_ARGS)
	@touch $@

$(KERNEL_CONFIG_UP): $(KERNEL_FRAGMENTS_UP) $(OBJ)/kernel/fragments.list kernel/kernel.sh $(KERNEL_TARBALL) | deps
	@$(if $(KERNEL_DEFAULTS_UP),,echo "kernel: no fragments in $(KERNEL_FRAGMENTS_DIR)/*.config" >&2; exit 1)
	@$(KERNEL_SH) config $@ $(KERNEL_DEFAULTS_UP) $(if $(KERNEL_EXTERNALS),+ $(KERNEL_EXTERNALS))
	@touch $@

# Step 2: the kernel, from the cache or built there. System.map stays in
# $(OBJ): the image has no KALLSYMS, the map decodes oops addresses.
$(IMG)/vmlinuz $(IMG)/vmlinux $(IMG)/kernel.config $(OBJ)/kernel/System.map $(OBJ)/kernel/key &: \
		$(KERNEL_CONFIG) $(KERNEL_PATCHES) $(OBJ)/kernel/patches.list kernel/kernel.sh
	@mkdir -p $(IMG)
	@$(KERNEL_SH) build $(KERNEL_CONFIG) $(IMG)/vmlinuz $(IMG)/kernel.config $(OBJ)/kernel/System.map \
		$(IMG)/vmlinux $(OBJ)/kernel/key

# The uniprocessor kernel: only its ELF is booted; its own build dir keeps
# both builds incremental. Ordered after the SMP kernel: one build at a time.
$(IMG)/vmlinux-up $(IMG)/kernel-up.config $(OBJ)/kernel/System-up.map $(OBJ)/kernel/key-up &: \
		$(KERNEL_CONFIG_UP) $(KERNEL_PATCHES) $(OBJ)/kernel/patches.list kernel/kernel.sh | $(IMG)/vmlinux
	@mkdir -p $(IMG)
	@KERNEL_VARIANT=up $(KERNEL_SH) build $(KERNEL_CONFIG_UP) - $(IMG)/kernel-up.config \
		$(OBJ)/kernel/System-up.map $(IMG)/vmlinux-up $(OBJ)/kernel/key-up

# The runner passes this file verbatim to -append: one line, no comments
# (the arguments are explained in kernel/README.md).
$(IMG)/cmdline: configs/cmdline
	@mkdir -p $(@D)
	@[ "$$(wc -l < $<)" = 1 ] && ! grep -q '#' $< || \
		{ echo "kernel: $< must be exactly one line with no comments" >&2; exit 1; }
	@cp $< $@

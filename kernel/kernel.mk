# SPDX-License-Identifier: Apache-2.0
# kernel: the guest kernel, its resolved config and its command line.
#
#   make kernel          $(IMG)/vmlinuz (bzImage; arm64: $(IMG)/Image, the
#                        file ARCH_KFILE names), $(IMG)/kernel.config,
#                        $(IMG)/cmdline; where ARCH_PVH says so also
#                        $(IMG)/vmlinux (the same kernel as a PVH ELF, which
#                        the runner boots for more than one vCPU) and
#                        $(IMG)/vmlinux-up (the uniprocessor build, which it
#                        boots for one) with $(IMG)/kernel-up.config
#   make kernel-config   only resolve and check the configs (seconds, no build)
#   make kernel-menuconfig   the kernel's menuconfig on the resolved config
#   make kernel-savefragment FRAGMENT=FILE   what menuconfig changed, as a
#                        fragment (FILE: a new file, in configs/kernel or an
#                        external tree's kernel/)
#
# The config is allnoconfig + the fragments $(KERNEL_FRAGMENTS_DIR)/*.config in
# sorted order, then the architecture's configs/arch/$(ARCH)/kernel/*.config,
# then each external tree's kernel/*.config; kernel/kernel.sh checks that
# every option they set survived. $(GOBJ)/kernel/key and key-up are the
# kernels' cache keys (manifest.json shows them). The uniprocessor config is
# the same without smp.config. The source gets kernel/patches/*.patch, in
# sorted order (kernel/README.md); another architecture than the host's is
# cross-built with $(ARCH_TRIPLET)-gcc, in build and config dirs of its own.
# Source, kconfig tools, the incremental build dir and finished kernels live in
# $(QPOD_BUILD_CACHE)/kernel, keyed by source version + resolved config, so a
# fresh O= only re-resolves the config and copies (see kernel/README.md).

KERNEL_FRAGMENTS_DIR ?= configs/kernel
KERNEL_DEFAULTS      := $(sort $(wildcard $(KERNEL_FRAGMENTS_DIR)/*.config)) \
                        $(sort $(wildcard configs/arch/$(ARCH)/kernel/*.config))
# An external tree's fragments come after the defaults, each tree's sorted,
# behind a "+": they may override a default (toolchain/external.mk).
KERNEL_EXTERNALS     := $(foreach e,$(EXTERNAL_DIRS),$(sort $(wildcard $(e)/kernel/*.config)))
KERNEL_FRAGMENTS     := $(strip $(KERNEL_DEFAULTS) $(KERNEL_EXTERNALS))
KERNEL_TARBALL       := $(wildcard /usr/src/linux-source-6.1.tar.xz)
KERNEL_DEFAULTS_UP   := $(filter-out %/smp.config,$(KERNEL_DEFAULTS))
KERNEL_FRAGMENTS_UP  := $(strip $(KERNEL_DEFAULTS_UP) $(KERNEL_EXTERNALS))
KERNEL_PATCHES       := $(strip $(sort $(wildcard kernel/patches/*.patch)) \
                        $(foreach e,$(EXTERNAL_DIRS),$(sort $(wildcard $(e)/kernel/*.patch))))
KERNEL_CONFIG        := $(GOBJ)/kernel/kernel.config
KERNEL_CONFIG_UP     := $(GOBJ)/kernel/kernel-up.config
KERNEL_SH            := QPOD_BUILD_CACHE=$(QPOD_BUILD_CACHE) KERNEL_PATCHES="$(KERNEL_PATCHES)" \
                        KERNEL_ARCH=$(ARCH_KERNEL) KERNEL_CROSS=$(ARCH_CROSS) KERNEL_IMAGE=$(ARCH_KIMAGE) kernel/kernel.sh
KERNEL_OUT           := $(IMG)/$(ARCH_KFILE)
# The PVH twins (x86_64): the kernel as an ELF, and the uniprocessor one.
KERNEL_PVH           := $(if $(ARCH_PVH),$(IMG)/vmlinux $(IMG)/vmlinux-up $(IMG)/kernel-up.config)
# The kernels' cache keys (toolchain/provenance.mk puts them in the manifest).
KERNEL_KEYS          := $(GOBJ)/kernel/key $(if $(ARCH_PVH),$(GOBJ)/kernel/key-up)

IMAGES += $(KERNEL_OUT) $(KERNEL_PVH) $(IMG)/kernel.config $(IMG)/cmdline

kernel: $(KERNEL_OUT) $(KERNEL_PVH) $(IMG)/kernel.config $(IMG)/cmdline $(GOBJ)/kernel/System.map \
	$(if $(ARCH_PVH),$(GOBJ)/kernel/System-up.map)
kernel-config: $(KERNEL_CONFIG) $(if $(ARCH_PVH),$(KERNEL_CONFIG_UP))
.PHONY: kernel kernel-config kernel-menuconfig kernel-savefragment FORCE

# The kernel's menuconfig on the resolved config (the SMP one: a fragment
# applies to both), kept in $(KERNEL_EDIT) between runs until the fragments
# change; then kernel-savefragment writes what changed as a new fragment.
KERNEL_EDIT := $(GOBJ)/kernel/menuconfig.config
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
$(GOBJ)/kernel/fragments.list: FORCE
	@mkdir -p $(@D)
	@echo '$(KERNEL_FRAGMENTS)' | cmp -s - $@ || echo '$(KERNEL_FRAGMENTS)' > $@

$(GOBJ)/kernel/patches.list: FORCE
	@mkdir -p $(@D)
	@echo '$(KERNEL_PATCHES)' | cmp -s - $@ || echo '$(KERNEL_PATCHES)' > $@

# Step 1: the resolved config. kernel.sh rewrites it only when its content
# changes; the touch records that it was checked against these fragments.
$(KERNEL_CONFIG): $(KERNEL_FRAGMENTS) $(GOBJ)/kernel/fragments.list kernel/kernel.sh $(KERNEL_TARBALL) | deps
	@$(if $(KERNEL_DEFAULTS),,echo "kernel: no fragments in $(KERNEL_FRAGMENTS_DIR)/*.config" >&2; exit 1)
	@$(KERNEL_SH) config $@ $(KERNEL_ARGS)
	@touch $@

$(KERNEL_CONFIG_UP): $(KERNEL_FRAGMENTS_UP) $(GOBJ)/kernel/fragments.list kernel/kernel.sh $(KERNEL_TARBALL) | deps
	@$(if $(KERNEL_DEFAULTS_UP),,echo "kernel: no fragments in $(KERNEL_FRAGMENTS_DIR)/*.config" >&2; exit 1)
	@$(KERNEL_SH) config $@ $(KERNEL_DEFAULTS_UP) $(if $(KERNEL_EXTERNALS),+ $(KERNEL_EXTERNALS))
	@touch $@

# Step 2: the kernel, from the cache or built there. System.map stays in
# $(OBJ): the image has no KALLSYMS, the map decodes oops addresses.
$(KERNEL_OUT) $(if $(ARCH_PVH),$(IMG)/vmlinux) $(IMG)/kernel.config $(GOBJ)/kernel/System.map $(GOBJ)/kernel/key &: \
		$(KERNEL_CONFIG) $(KERNEL_PATCHES) $(GOBJ)/kernel/patches.list kernel/kernel.sh
	@mkdir -p $(IMG)
	@$(KERNEL_SH) build $(KERNEL_CONFIG) $(KERNEL_OUT) $(IMG)/kernel.config $(GOBJ)/kernel/System.map \
		$(if $(ARCH_PVH),$(IMG)/vmlinux,-) $(GOBJ)/kernel/key

# The uniprocessor kernel: only its ELF is booted; its own build dir keeps
# both builds incremental. Ordered after the SMP kernel: one build at a time.
$(IMG)/vmlinux-up $(IMG)/kernel-up.config $(GOBJ)/kernel/System-up.map $(GOBJ)/kernel/key-up &: \
		$(KERNEL_CONFIG_UP) $(KERNEL_PATCHES) $(GOBJ)/kernel/patches.list kernel/kernel.sh | $(IMG)/vmlinux
	@mkdir -p $(IMG)
	@KERNEL_VARIANT=up $(KERNEL_SH) build $(KERNEL_CONFIG_UP) - $(IMG)/kernel-up.config \
		$(GOBJ)/kernel/System-up.map $(IMG)/vmlinux-up $(GOBJ)/kernel/key-up

# The runner passes this file verbatim to -append: one line, no comments
# (the arguments are explained in kernel/README.md). Each arch has its own
# (the console's name, x86's timer arguments).
$(IMG)/cmdline: configs/arch/$(ARCH)/cmdline
	@mkdir -p $(@D)
	@[ "$$(wc -l < $<)" = 1 ] && ! grep -q '#' $< || \
		{ echo "kernel: $< must be exactly one line with no comments" >&2; exit 1; }
	@cp $< $@

# SPDX-License-Identifier: Apache-2.0
# external: external trees, Buildroot's BR2_EXTERNAL for qpod.
#
#   make image EXTERNAL="DIR..."   (or EXTERNAL = ... in config.mak)
#
# Each DIR adds, on top of the defaults: kernel fragments and patches
# (kernel/kernel.mk), initrd entries (initrd/initrd.mk), and post-build and
# post-image hooks (toolchain/provenance.mk). toolchain/external.sh draws a
# tree; examples/external/ is one. What a tree adds is named in
# manifest.json ("externals") and the SBOM; the kernel's cache key covers its
# fragments (through the resolved config) and its patches.

EXTERNAL       ?=
EXTERNAL_DIRS  := $(abspath $(EXTERNAL))
EXTERNAL_STATE := $(GOBJ)/external
ifneq ($(strip $(EXTERNAL_DIRS)),)
EXTERNAL_BAD   := $(shell toolchain/external.sh check $(EXTERNAL_DIRS) 2>&1)
$(if $(EXTERNAL_BAD),$(error $(EXTERNAL_BAD)))
EXTERNAL_FILES := $(shell find $(EXTERNAL_DIRS) -type f ! -path '*/.git/*' | LC_ALL=C sort)
endif

# The trees and their files: a tree or a file that comes or goes re-runs
# what depends on them. Rewritten only on change (kernel.mk's filechk idiom).
$(EXTERNAL_STATE)/trees.list: FORCE
	@mkdir -p $(@D)
	@echo '$(EXTERNAL_DIRS) $(EXTERNAL_FILES)' | cmp -s - $@ || echo '$(EXTERNAL_DIRS) $(EXTERNAL_FILES)' > $@

# SPDX-License-Identifier: Apache-2.0
# provenance: what `make image` does after the parts, in this order:
#
#   $(GSTAMP)/post-build    each external tree's post-build.sh (external.sh)
#   $(IMG)/buildinfo.json  the versions of what built them (buildinfo.py)
#   $(IMG)/sbom.spdx.json  SPDX 2.3: every file with its sha256, sources,
#                          versions and licence (sbom.py, toolchain/provenance)
#   $(IMG)/manifest.json   every file's size and sha256, the kernel version,
#                          the command line, the kernels' cache keys, the
#                          external trees and what they add (manifest.sh)
#   $(GSTAMP)/post-image    each external tree's post-image.sh
#
#   make legal-info        $(O)/legal-info: licence texts, source packages and
#                          .dsc files, the sources of what qpod changes
#
# Included after every part's fragment, so that IMAGES is whole here.

IMAGE_PARTS   := $(filter-out $(IMG)/manifest.json,$(IMAGES))
PROVENANCE_PY := toolchain/provenance toolchain/provenance.py toolchain/buildinfo.py
# The guest's architecture: its rows of toolchain/provenance, its packages.
PROVENANCE_ENV := QPOD_ARCH=$(ARCH) QPOD_ARCH_CC=$(ARCH_CROSS)gcc

$(GSTAMP)/post-build: $(IMAGE_PARTS) $(EXTERNAL_FILES) $(EXTERNAL_STATE)/trees.list toolchain/external.sh
	@mkdir -p $(@D)
	@toolchain/external.sh post-build $(abspath $(IMG)) $(abspath $(EXTERNAL_STATE)) $(EXTERNAL_DIRS)
	@touch $@

# What built the images: rewritten only when it changed (a commit, a Debian
# update), so that the SBOM and the manifest follow only then.
$(IMG)/buildinfo.json: $(GSTAMP)/post-build $(KERNEL_KEYS) $(PROVENANCE_PY) FORCE
	@$(PROVENANCE_ENV) toolchain/buildinfo.py $(GOBJ) $(EXTERNAL_DIRS) > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || { printf '  %-7s %s\n' GEN $@; mv $@.tmp $@; }

$(IMG)/sbom.spdx.json: $(IMG)/buildinfo.json $(GSTAMP)/post-build $(PROVENANCE_PY) toolchain/sbom.py
	$(call quiet,GEN,$@)$(PROVENANCE_ENV) toolchain/sbom.py $(IMG) $(GOBJ) $(EXTERNAL_DIRS) > $@.tmp && mv $@.tmp $@

$(IMG)/manifest.json: $(IMG)/sbom.spdx.json $(GSTAMP)/post-build $(KERNEL_KEYS) toolchain/manifest.sh
	$(call quiet,GEN,$@)toolchain/manifest.sh $(IMG) $(GOBJ) $(EXTERNAL_DIRS) > $@.tmp && mv $@.tmp $@

$(GSTAMP)/post-image: $(IMG)/manifest.json $(EXTERNAL_FILES) $(EXTERNAL_STATE)/trees.list toolchain/external.sh
	@toolchain/external.sh post-image $(abspath $(IMG)) $(abspath $(O))/post-image $(EXTERNAL_DIRS)
	@touch $@

# $(O)/legal-info: licences, sources and the table (toolchain/legal-info.py);
# made anew each time, the .dsc files kept in $(QPOD_BUILD_CACHE)/dl.
legal-info: image $(STAMP)/qboot-extracted
	@toolchain/legal-info.py $(O) $(QPOD_BUILD_CACHE) $(EXTERNAL_DIRS)
.PHONY: legal-info

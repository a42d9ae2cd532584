# provenance: what `make image` does after the parts, in this order:
#
#   $(STAMP)/post-build    each external tree's post-build.sh (external.sh)
#   $(IMG)/manifest.json   every file's size and sha256, the kernel version,
#                          the command line, the kernels' cache keys, the
#                          external trees and what they add (manifest.sh)
#   $(STAMP)/post-image    each external tree's post-image.sh
#
# Included after every part's fragment, so that IMAGES is whole here.

IMAGE_PARTS := $(filter-out $(IMG)/manifest.json,$(IMAGES))

$(STAMP)/post-build: $(IMAGE_PARTS) $(EXTERNAL_FILES) $(EXTERNAL_STATE)/trees.list toolchain/external.sh
	@mkdir -p $(@D)
	@toolchain/external.sh post-build $(abspath $(IMG)) $(abspath $(EXTERNAL_STATE)) $(EXTERNAL_DIRS)
	@touch $@

$(IMG)/manifest.json: $(STAMP)/post-build $(OBJ)/kernel/key $(OBJ)/kernel/key-up toolchain/manifest.sh
	$(call quiet,GEN,$@)toolchain/manifest.sh $(IMG) $(OBJ) $(EXTERNAL_DIRS) > $@.tmp && mv $@.tmp $@

$(STAMP)/post-image: $(IMG)/manifest.json $(EXTERNAL_FILES) $(EXTERNAL_STATE)/trees.list toolchain/external.sh
	@toolchain/external.sh post-image $(abspath $(IMG)) $(abspath $(O))/post-image $(EXTERNAL_DIRS)
	@touch $@

# SPDX-License-Identifier: Apache-2.0
# bundle: `qpod bundle`, `qpod inspect`, `qpod verify` and the bundle path
# of `qpod run` (bundle/bundle.h draws the format). Linked into out/bin/qpod
# by cli/cli.mk; uses the packer (image roots, sha256, the cache) and the
# runner (run's flags, vm.conf).

BUNDLE_SRCS := $(wildcard bundle/*.c)
BUNDLE_OBJS := $(BUNDLE_SRCS:%.c=$(OBJ)/host/%.o)
# The index readers alone, for the fuzz target (test/fuzz/bundle_index.c).
BUNDLE_TEST_SRCS := bundle/index.c bundle/docs.c packer/common/digest.c packer/common/msg.c $(LIB_SRCS)
BUNDLE_TEST_LIBS := -Ibundle -Ipacker -Irunner -Wl,-Bstatic -lnettle -Wl,-Bdynamic

$(BUNDLE_OBJS): HOST_CFLAGS += -Ibundle -Ipacker -Irunner

bundle: $(BUNDLE_OBJS)
.PHONY: bundle

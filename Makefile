# qpod top-level Makefile.
#
# Kept short on purpose: every folder brings its own fragment (<dir>/<dir>.mk)
# that adds its outputs to IMAGES, BINS or TESTS. Local overrides go in
# config.mak (not tracked), e.g. O=/tmp/qpod-out or QPOD_BUILD_CACHE=...
#
#   make image    kernel, initrd, firmware, default image and runner -> out/
#   make test     lint, unit, fuzz and end-to-end suites; ends "N passed, N failed, N skipped"
#   make bench    boot, throughput and unpack numbers as one table
#   make help     every target

-include config.mak

O                ?= out
IMG              := $(O)/images
BIN              := $(O)/bin
OBJ              := $(O)/obj
STAMP            := $(O)/stamps
QPOD_BUILD_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/qpod-build
PREFIX           ?= /usr/local

# One timestamp for every reproducible output: the last commit's time.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1700000000)
export SOURCE_DATE_EPOCH

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation
HOST_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP -Ilib -Iproto

# Quiet recipes: "  CC      file" per step; V=1 shows the commands.
quiet = $(if $(filter 1,$(V)),,@printf '  %-7s %s\n' '$(1)' '$(2)';)

.DEFAULT_GOAL := image
.PHONY: image deps test bench install clean distclean help
.DELETE_ON_ERROR:

IMAGES :=
BINS   :=

include toolchain/toolchain.mk
include lib/lib.mk
include proto/proto.mk
include kernel/kernel.mk
include hyperstart/hyperstart.mk
include initrd/initrd.mk
include firmware/firmware.mk
include packer/packer.mk
include runner/runner.mk
include test/test.mk

image: deps $(IMAGES) $(BINS) $(IMG)/manifest.json

$(IMG)/manifest.json: $(filter-out $(IMG)/manifest.json,$(IMAGES)) toolchain/manifest.sh
	$(call quiet,GEN,$@)toolchain/manifest.sh $(IMG) > $@.tmp && mv $@.tmp $@

install: image
	runner/install.sh $(O) $(DESTDIR)$(PREFIX)

clean:
	rm -rf $(O)

distclean: clean
	rm -rf $(QPOD_BUILD_CACHE)

help:
	@sed -n 's/^#   make /  make /p' Makefile
	@echo "  make fuzz     the fuzz targets for FUZZ_SECONDS each (default 10)"
	@echo "  make lint     test/lint-bats.py on every suite: assertions that cannot fail"
	@echo "  make mutate   break the code on purpose, one way at a time: which tests catch it"
	@echo "  make install PREFIX=DIR   runner and images under DIR (default $(PREFIX))"
	@echo "  make deps     install missing Debian packages (root) or print the apt-get line"
	@echo "  parts: kernel kernel-config hyperstart initrd firmware packer runner"
	@echo "  make clean    remove $(O)/"
	@echo "  make distclean  also drop the build cache $(QPOD_BUILD_CACHE)"

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

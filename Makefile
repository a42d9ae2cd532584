# SPDX-License-Identifier: Apache-2.0
# qpod top-level Makefile.
#
# Kept short on purpose: every folder brings its own fragment (<dir>/<dir>.mk)
# that adds its outputs to IMAGES, BINS or TESTS. Local overrides go in
# config.mak (not tracked), e.g. O=/tmp/qpod-out or QPOD_BUILD_CACHE=...
#
#   make image    kernel, initrd, firmware, default image and runner -> out/
#   make image ARCH=arm64   the same guest for another architecture -> out/images-arm64/
#   make test     lint, unit, fuzz and end-to-end suites; ends "N passed, N failed, N skipped"
#   make test SANITIZE=1  the host side under ASan+UBSan (out-san/), a subset of suites
#   make bench    boot, throughput and unpack numbers as one table
#   make help     every target and variable (toolchain/help.txt)

-include config.mak

# SANITIZE=1: the host side (runner, packer, lib, proto, tools, unit tests)
# is built with ASan and UBSan into its own tree, out-san/, whose images/ is
# a link to the guest images of GUEST_O (built there as usual: hyperstart is
# static musl and is not sanitized). test/test.mk picks the suites. The
# compiler is clang: its one runtime writes ASan, LSan and UBSan reports to
# one log_path, where gcc's separate libubsan always writes to stderr.
SANITIZE         ?=
ifeq ($(SANITIZE),1)
O                ?= out-san
GUEST_O          ?= out
SAN_CC           ?= clang
CC               := $(SAN_CC)
SAN_FLAGS        := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_WARN         := -Wno-unknown-warning-option
endif
O                ?= out
BIN              := $(O)/bin
OBJ              := $(O)/obj
STAMP            := $(O)/stamps

# ARCH: the guest's architecture, one of configs/arch/* (default: the
# host's). Its facts are configs/arch/ARCH/arch.mk. The host's guest goes to
# $(O)/images as it always did; another's to $(O)/images-ARCH, its objects
# and stamps under $(OBJ)/ARCH and $(STAMP)/ARCH (GOBJ, GSTAMP). The host's
# programs (runner, packer, tools) are the same for every ARCH.
HOST_ARCH        := $(patsubst aarch64,arm64,$(shell uname -m))
ARCH             ?= $(HOST_ARCH)
ARCHES           := $(notdir $(wildcard configs/arch/*))
ifeq ($(filter $(ARCH),$(ARCHES)),)
$(error ARCH=$(ARCH): qpod has guests for $(ARCHES) (configs/arch/))
endif
include configs/arch/$(ARCH)/arch.mk
ARCH_NATIVE      := $(filter $(ARCH),$(HOST_ARCH))
ARCH_CROSS       := $(if $(ARCH_NATIVE),,$(ARCH_TRIPLET)-)
IMG              := $(O)/images$(if $(ARCH_NATIVE),,-$(ARCH))
GOBJ             := $(OBJ)$(if $(ARCH_NATIVE),,/$(ARCH))
GSTAMP           := $(STAMP)$(if $(ARCH_NATIVE),,/$(ARCH))
QPOD_BUILD_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/qpod-build
PREFIX           ?= /usr/local
QPOD_VERSION     := 0.1.0

# One timestamp for every reproducible output: the last commit's time.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1700000000)
export SOURCE_DATE_EPOCH

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation $(SAN_WARN)
HOST_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP -Ilib -Iproto $(SAN_FLAGS)
HOST_LDFLAGS := $(SAN_FLAGS)

# Quiet recipes: "  CC      file" per step; V=1 shows the commands.
quiet = $(if $(filter 1,$(V)),,@printf '  %-7s %s\n' '$(1)' '$(2)';)

.DEFAULT_GOAL := image
.PHONY: image deps test bench install clean distclean help
.DELETE_ON_ERROR:

IMAGES :=
BINS   :=

include toolchain/toolchain.mk
include toolchain/external.mk
include lib/lib.mk
include proto/proto.mk
include kernel/kernel.mk
include hyperstart/hyperstart.mk
include initrd/initrd.mk
include firmware/firmware.mk
include packer/packer.mk
include runner/runner.mk
include bundle/bundle.mk
include cli/cli.mk
include toolchain/provenance.mk
include test/test.mk

ifeq ($(SANITIZE),1)
image: deps $(BINS)
	@$(MAKE) --no-print-directory O=$(GUEST_O) SANITIZE= image
	@[ -L $(IMG) ] || rm -rf $(IMG)
	@ln -sfn $(abspath $(GUEST_O))/images $(IMG)
else
image: deps $(IMAGES) $(BINS) $(IMG)/manifest.json $(GSTAMP)/post-image
endif

# runner/install.sh installs the images the runner boots; the SBOM and the
# buildinfo go with them (qpod bundle puts the SBOM in every bundle).
install: image
	runner/install.sh $(O) $(DESTDIR)$(PREFIX)
	install -m 0644 $(IMG)/sbom.spdx.json $(IMG)/buildinfo.json $(DESTDIR)$(PREFIX)/share/qpod/images/

clean:
	rm -rf $(O)

distclean: clean
	rm -rf $(QPOD_BUILD_CACHE) $(QPOD_BUILD_CACHE)-test

help:
	@cat toolchain/help.txt

-include $(shell find $(OBJ) -name '*.d' -type f 2>/dev/null)

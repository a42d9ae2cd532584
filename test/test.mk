# SPDX-License-Identifier: Apache-2.0
# test: unit tests, fuzz targets and the end-to-end suites.
#
# Naming decides linking: test/unit/<area>_<name>.c and test/fuzz/<area>_<name>.c
# are built with the sources and libraries that the <area> fragment lists in
# <AREA>_TEST_SRCS and <AREA>_TEST_LIBS (area upper-cased: proto, packer,
# hyperstart, runner). Unit tests print TAP; fuzz targets are libFuzzer entry
# points (a FILE argument replays one input). bats suites are test/*.bats;
# test/run.sh runs test/lint.bats (the lint and its fixtures) first.

UNIT_BINS := $(patsubst test/unit/%.c,$(OBJ)/test/unit/%,$(wildcard test/unit/*.c))
FUZZ_BINS := $(patsubst test/fuzz/%.c,$(OBJ)/test/fuzz/%,$(wildcard test/fuzz/*.c))
FUZZ_CC   ?= clang
# Guest-side helpers for the suites (static musl: they run from any test root).
GUEST_TEST_BINS := $(patsubst test/net/%.c,$(GOBJ)/test/guest/%,$(wildcard test/net/*.c))
FUZZ_SECONDS ?= 10

test_area = $(shell echo $(firstword $(subst _, ,$(notdir $(1)))) | tr a-z A-Z)

.SECONDEXPANSION:
$(OBJ)/test/unit/%: test/unit/%.c $$($$(call test_area,$$*)_TEST_SRCS) $$(wildcard lib/*.h proto/*.h packer/*.h packer/*/*.h hyperstart/*.h runner/*.h runner/*/*.h test/*.h)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(HOST_CFLAGS) -Itest -o $@ $< $($(call test_area,$*)_TEST_SRCS) $($(call test_area,$*)_TEST_LIBS)

$(OBJ)/test/fuzz/%: test/fuzz/%.c $$($$(call test_area,$$*)_TEST_SRCS) $$(wildcard lib/*.h proto/*.h packer/*.h packer/*/*.h hyperstart/*.h runner/*.h runner/*/*.h test/*.h) | deps-test
	@mkdir -p $(@D)
	$(call quiet,FUZZ,$@)$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -DQPOD_FUZZ -Ilib -Iproto -Itest \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $< $($(call test_area,$*)_TEST_SRCS) $($(call test_area,$*)_TEST_LIBS)

$(GOBJ)/test/guest/%: test/net/%.c $(GSTAMP)/toolchain
	@mkdir -p $(@D)
	$(call quiet,CC-MUSL,$@)$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $<

# SANITIZE=1 (Makefile): the suites that exercise the host side, unless
# SUITES says otherwise; every ASan, LSan or UBSan report lands in SAN_LOGS,
# and test/run.sh counts any report as a failure.
ifeq ($(SANITIZE),1)
SAN_LOGS   := $(abspath $(O))/test/sanitizers
SAN_SUITES ?= $(UNIT_BINS:$(OBJ)/test/unit/%=unit-%) $(FUZZ_BINS:$(OBJ)/test/fuzz/%=fuzz-%) \
	      packer hostile runner pipe
TEST_ENV   := SUITES="$(or $(SUITES),$(SAN_SUITES))" QPOD_SAN_LOGS=$(SAN_LOGS) \
	      ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:log_path=$(SAN_LOGS)/asan \
	      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(SAN_LOGS)/ubsan
endif

# The suites that boot the other arch's guest too (arm64.bats whole; a test
# each in jail, bundle and rootless): make test builds its images first
# whenever one of them runs (SUITES unset or naming it; not under
# SANITIZE=1, whose suites boot only the host's).
ARCH_SUITES := arm64 bundle jail rootless
TEST_ARCHES := $(if $(SAN_LOGS),,$(if $(or $(if $(SUITES),,all),$(filter $(ARCH_SUITES),$(SUITES))),$(filter-out $(HOST_ARCH),$(ARCHES))))

test-arches:
	@$(foreach a,$(TEST_ARCHES),$(MAKE) --no-print-directory ARCH=$(a) image &&) true
.PHONY: test-arches

test: image test-arches deps-test $(UNIT_BINS) $(FUZZ_BINS) $(GUEST_TEST_BINS)
	$(if $(SAN_LOGS),@rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS))
	FUZZ_SECONDS=$(FUZZ_SECONDS) QPOD_OUT=$(abspath $(O)) QPOD_BUILD_CACHE=$(QPOD_BUILD_CACHE) \
		QPOD_TEST_BUILD_CACHE=$(QPOD_BUILD_CACHE)-test $(TEST_ENV) test/run.sh $(O)

# Longer fuzzing on demand: make fuzz FUZZ_SECONDS=600
fuzz: deps-test $(FUZZ_BINS)
	SUITES="$(FUZZ_BINS:$(OBJ)/test/fuzz/%=fuzz-%)" FUZZ_SECONDS=$(FUZZ_SECONDS) test/run.sh $(O)

# Assertions that cannot fail (&& lists, `! cmd` mid-body): test/lint-bats.py;
# licences: reuse lint (REUSE 3.0, Debian's reuse) and every source file's
# SPDX line (toolchain/spdx.sh --check)
lint:
	python3 test/lint-bats.py test/*.bats test/*.bash
	reuse lint --quiet || reuse lint
	toolchain/spdx.sh --check

# Deliberate bugs, one at a time, in a scratch copy: which tests go red
# (make mutate MUTATIONS="dotdot whiteouts" for some only)
mutate:
	test/mutate.sh $(MUTATIONS)

bench: image deps-test
	QPOD_OUT=$(abspath $(O)) QPOD_BUILD_CACHE=$(QPOD_BUILD_CACHE) test/bench.sh

.PHONY: fuzz lint mutate

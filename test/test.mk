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
FUZZ_SECONDS ?= 10

test_area = $(shell echo $(firstword $(subst _, ,$(notdir $(1)))) | tr a-z A-Z)

.SECONDEXPANSION:
$(OBJ)/test/unit/%: test/unit/%.c $$($$(call test_area,$$*)_TEST_SRCS) $$(wildcard lib/*.h proto/*.h packer/*.h hyperstart/*.h runner/*.h test/*.h)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(HOST_CFLAGS) -Itest -o $@ $< $($(call test_area,$*)_TEST_SRCS) $($(call test_area,$*)_TEST_LIBS)

$(OBJ)/test/fuzz/%: test/fuzz/%.c $$($$(call test_area,$$*)_TEST_SRCS) $$(wildcard lib/*.h proto/*.h packer/*.h hyperstart/*.h runner/*.h test/*.h) | deps-test
	@mkdir -p $(@D)
	$(call quiet,FUZZ,$@)$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -DQPOD_FUZZ -Ilib -Iproto -Itest \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $< $($(call test_area,$*)_TEST_SRCS) $($(call test_area,$*)_TEST_LIBS)

test: image deps-test $(UNIT_BINS) $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) QPOD_OUT=$(abspath $(O)) test/run.sh $(O)

# Longer fuzzing on demand: make fuzz FUZZ_SECONDS=600
fuzz: deps-test $(FUZZ_BINS)
	SUITES="$(FUZZ_BINS:$(OBJ)/test/fuzz/%=fuzz-%)" FUZZ_SECONDS=$(FUZZ_SECONDS) test/run.sh $(O)

# Assertions that cannot fail (&& lists, `! cmd` mid-body): test/lint-bats.py
lint:
	python3 test/lint-bats.py test/*.bats test/*.bash

# Deliberate bugs, one at a time, in a scratch copy: which tests go red
# (make mutate MUTATIONS="dotdot whiteouts" for some only)
mutate:
	test/mutate.sh $(MUTATIONS)

bench: image deps-test
	QPOD_OUT=$(abspath $(O)) QPOD_BUILD_CACHE=$(QPOD_BUILD_CACHE) test/bench.sh

.PHONY: fuzz lint mutate

# SPDX-License-Identifier: Apache-2.0
# cli: out/bin/qpod, the subcommands (qpod run|cache|...) over the runner,
# the packer, the bundle code and the protocol. ./run is `qpod run`, ./qpod is qpod.

QPOD := $(BIN)/qpod
CLI_SRCS := $(wildcard cli/*.c)
# Unit tests and fuzzers (test/unit/cli_*.c, test/fuzz/cli_*.c): the template module.
CLI_TEST_SRCS := cli/format.c $(LIB_SRCS)
CLI_TEST_LIBS := -Icli

$(OBJ)/host/cli/%.o: HOST_CFLAGS += -Irunner -Ipacker -Ibundle -DQPOD_VERSION=\"$(QPOD_VERSION)\"

$(QPOD): $(CLI_SRCS:%.c=$(OBJ)/host/%.o) $(BUNDLE_OBJS) $(RUNNER_OBJS) $(PROTO_HOST_OBJS) $(LIB_HOST_OBJS) $(PACKER_LIB)
	@mkdir -p $(@D)
	$(call quiet,LD,$@)$(CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(PACKER_LIB) $(PACKER_LDLIBS) -ldl -lm

BINS += $(QPOD)

cli: $(QPOD) $(IMG)/vm.conf
.PHONY: cli

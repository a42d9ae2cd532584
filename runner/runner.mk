# runner: the host side, out/bin/qpod (./run at the repo root execs it).
# It links the packer (image archives) and the shared protocol code.

QPOD_VERSION := 0.1.0
RUNNER := $(BIN)/qpod
RUNNER_SRCS := $(wildcard runner/*.c)
RUNNER_TEST_SRCS := $(filter-out runner/main.c,$(RUNNER_SRCS)) $(PROTO_SRCS) $(LIB_SRCS) $(PACKER_LIB)
RUNNER_TEST_LIBS := -Irunner -Ipacker -DQPOD_VERSION=\"test\" $(PACKER_LDLIBS) -lm

$(OBJ)/host/runner/%.o: HOST_CFLAGS += -Ipacker -DQPOD_VERSION=\"$(QPOD_VERSION)\"

$(RUNNER): $(RUNNER_SRCS:%.c=$(OBJ)/host/%.o) $(PROTO_HOST_OBJS) $(LIB_HOST_OBJS) $(PACKER_LIB)
	@mkdir -p $(@D)
	$(call quiet,LD,$@)$(CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(PACKER_LIB) $(PACKER_LDLIBS) -lm

$(IMG)/vm.conf: configs/vm.conf
	@mkdir -p $(@D)
	@cp $< $@

BINS += $(RUNNER)
IMAGES += $(IMG)/vm.conf

runner: $(RUNNER) $(IMG)/vm.conf
.PHONY: runner

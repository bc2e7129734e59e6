# Builds the bpfpack driver and its unit tests. ./build.sh drives this file;
# `make` alone works once the packages build.sh installs are present.
CC ?= cc
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0-dev)
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror
CPPFLAGS += -D_GNU_SOURCE -Iinclude -DBPFPACK_VERSION='"$(VERSION)"' -MMD -MP
LIBS := -lbpf -lelf -lz -linih -larchive -lzstd -llzma -lxxhash
SANITIZE ?=

LIB_SRCS := $(wildcard lib/*.c) $(wildcard btfhub/*.c) $(wildcard runtime/*.c)
CMD_SRCS := $(wildcard cmd/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=build/obj/%.o)
CMD_OBJS := $(CMD_SRCS:%.c=build/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)

all: bin/bpfpack

bin/bpfpack: $(CMD_OBJS) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@.tmp $^ $(LIBS) && mv $@.tmp $@

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c tests/unit/testutil.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(SANITIZE) $(CPPFLAGS) -Ilib -o $@ $(filter %.c %.o,$^) -lcmocka $(LIBS)

unit: $(UNIT_BINS)

# Man pages and bash completion, printed by the driver from its command and
# option tables (cmd/help.c): never written by hand.
man: bin/bpfpack
	rm -rf build/man.tmp && bin/bpfpack __man build/man.tmp && rm -rf build/man && mv build/man.tmp build/man

completion: bin/bpfpack
	@mkdir -p build/completion
	bin/bpfpack __completion >build/completion/bpfpack.tmp && mv build/completion/bpfpack.tmp build/completion/bpfpack

clean:
	rm -rf build bin

.PHONY: all unit clean man completion
-include $(shell find build/obj build/tests -name '*.d' 2>/dev/null)

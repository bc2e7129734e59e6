# fuzz.mk: builds the fuzz targets (tests/fuzz/fuzz_*.c) with clang's
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, apart from the
# driver's own build (its objects are not instrumented for coverage).
# tests/fuzz/run.sh runs it from the source root:
#   make -f tests/fuzz/fuzz.mk FUZZ_CC=clang-19 LIBS="..."
FUZZ_CC ?= clang-19
OUT ?= build/fuzz
LIBS ?= -lbpf -lelf -lz -linih -larchive -lzstd -llzma -lxxhash
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FLAGS := -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude \
	-DBPFPACK_VERSION='"fuzz"' -MMD -MP $(SAN)

LIB_SRCS := $(wildcard lib/*.c) $(wildcard formats/*.c) $(wildcard vm/*.c) $(wildcard btfhub/*.c) $(wildcard runtime/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(OUT)/obj/%.o)
TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BINS := $(TARGETS:%=$(OUT)/bin/fuzz_%)
# An archive, so each target links only the modules it uses.
LIB_A := $(OUT)/libbpfpack-fuzz.a

all: $(BINS)

$(OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(OUT)/bin/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIB_A)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FLAGS) -fsanitize=fuzzer -o $@.tmp $< $(LIB_A) $(LIBS) && mv $@.tmp $@

.PHONY: all
.DELETE_ON_ERROR:
-include $(shell find $(OUT)/obj $(OUT)/bin -name '*.d' 2>/dev/null)

# edgelm - build, test, demo. See README.md.
#
#   make            build ./edgelm (installs missing Debian packages first)
#   make test       build and run the Criterion suite (unit, CLI and interop tests)
#   make asan       the suite under AddressSanitizer + UBSan
#   make demo       run the pipeline on the embedded default model
#   make install    PREFIX=/usr/local
#   make clean

ifeq ($(origin CC),default)
CC      := gcc
endif
PREFIX  ?= /usr/local
BUILD   ?= build
OPT     ?= -O2
PKGS    := zlib libarchive libpcre2-8 libutf8proc jansson

# pkg-config runs once, when first needed (after deps.sh has installed the .pc files).
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
CRIT_LIBS  = $(eval CRIT_LIBS := $$(shell pkg-config --libs criterion))$(CRIT_LIBS)

WARN     := -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2
CFLAGS_  = -std=c11 -D_GNU_SOURCE $(OPT) -g -fopenmp $(WARN) -I. -I$(BUILD) $(PKG_CFLAGS) $(ISA) $(SAN) $(CFLAGS)
LDLIBS_  = $(PKG_LIBS) -fopenmp -lm -lpthread $(SAN) $(LDFLAGS)

LIB_SRC  := $(sort $(wildcard core/*.c formats/*.c quant/*.c engine/*.c distill/*.c eval/*.c datasets/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c)) tests/testutil.c tests/fixtures.c tests/quant_scalar.c tests/evalref.c

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libedgelm.a

.PHONY: all deps test unit asan fault fuzz check-neon demo install clean FORCE
all: edgelm

deps:
	@sh scripts/deps.sh

# The version string carries the git commit; the header is rewritten only when it changes.
$(BUILD)/el_version.h: FORCE | deps
	@mkdir -p $(BUILD)
	@v="#define EL_GIT \"$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$$(git diff --quiet HEAD 2>/dev/null || echo -dirty)\""; \
	  [ -f $@ ] && [ "$$(cat $@)" = "$$v" ] || echo "$$v" > $@

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_) -MMD -MP -c $< -o $@

$(BUILD)/cmd/main.o $(BUILD)/cmd/bench.o: $(BUILD)/el_version.h

# The SIMD kernel files, and only they, are compiled for their instruction sets; engine/kernels.c
# picks one at run time from CPUID, so the binary runs on any x86-64.
ifneq ($(filter x86_64%,$(shell $(CC) -dumpmachine)),)
$(BUILD)/engine/kernels_avx2.o: ISA = -mavx2 -mfma -mf16c
$(BUILD)/engine/gemm_avx2.o: ISA = -mavx2 -mfma -mf16c
AVX512_ISA := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vnni -mavx512vbmi
$(BUILD)/engine/kernels_avx512.o: ISA = $(AVX512_ISA)
$(BUILD)/engine/gemm_avx512.o: ISA = $(AVX512_ISA)
$(BUILD)/quant/search.o: OPT = -O3
$(BUILD)/quant/search_avx2.o: OPT = -O3
$(BUILD)/quant/search_avx2.o: ISA = -mavx2 -mf16c
endif

$(LIB): $(LIB_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

edgelm: $(CMD_OBJ) $(LIB)
	@echo "  LINK    $@"
	@$(CC) -o $@ $(CMD_OBJ) $(LIB) $(LDLIBS_)

$(BUILD)/unit-tests: $(TEST_OBJ) $(LIB)
	$(CC) -o $@ $(TEST_OBJ) $(LIB) $(CRIT_LIBS) $(LDLIBS_)

# The suite runs from the top folder; tests find the binary at ./edgelm (or $EDGELM_BIN)
# and the shared reference data at ../shared (or $EDGELM_SHARED), skipping when absent.
test: edgelm $(BUILD)/unit-tests
	./$(BUILD)/unit-tests --jobs=$${EDGELM_TEST_JOBS:-2} $(TEST_ARGS)

asan:
	$(MAKE) $(ASAN_VARS) build-asan/unit-tests edgelm-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 EDGELM_BIN=./edgelm-asan \
	  ./build-asan/unit-tests --jobs=$${EDGELM_TEST_JOBS:-2} $(TEST_ARGS)

edgelm-asan: $(CMD_OBJ) $(LIB)
	$(CC) -o $@ $(CMD_OBJ) $(LIB) $(LDLIBS_)

# Fault injection (tests/fault/): edgelm built with ASan+UBSan and linked with --wrap for its own
# allocations and file calls, so the Nth one can be made to fail (tests/fault/wrap.c); then
# tests/fault/run.sh fails every N for small runs of each command that writes files.
FAULT_WRAP := malloc calloc realloc strdup strndup posix_memalign aligned_alloc write pwrite fsync fdatasync rename close mmap
ASAN_VARS := BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
fault:
	$(MAKE) $(ASAN_VARS) edgelm-fault
	sh tests/fault/run.sh ./edgelm-fault

edgelm-fault: $(CMD_OBJ) $(LIB) tests/fault/wrap.c
	$(CC) $(CFLAGS_) -c tests/fault/wrap.c -o $(BUILD)/fault-wrap.o
	$(CC) -o $@ $(CMD_OBJ) $(BUILD)/fault-wrap.o $(LIB) $(LDLIBS_) $(foreach f,$(FAULT_WRAP),-Wl,--wrap=$(f))

# The NEON kernels: tests/test_kernels.c and tests/test_quant_simd.c cross-built for aarch64 (Criterion's macros from the shim in
# tests/cross/) and run under qemu, once with the int8 dot product instruction and once without.
NEON_SRC := tests/cross/shim.c tests/test_kernels.c tests/test_quant_simd.c tests/quant_scalar.c engine/kernels.c \
            engine/kernels_ref.c engine/kernels_neon.c quant/quant.c quant/quant_ref.c quant/search.c quant/search_avx2.c \
            formats/ggml_type.c core/fp_rows.c
check-neon:
	@sh scripts/deps.sh cross
	@mkdir -p build-aarch64
	for arch in armv8.2-a+dotprod armv8-a; do \
	  aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -march=$$arch -Wall -Wextra -Werror -I. -Itests/cross \
	    $(NEON_SRC) -lm -o build-aarch64/test-kernels-$$arch || exit 1; \
	  qemu-aarch64 -L /usr/aarch64-linux-gnu build-aarch64/test-kernels-$$arch || exit 1; \
	done

# libFuzzer targets (clang): the readers of untrusted files, the tokenizer and the dataset records. Seeds in tests/fuzz/corpus/.
FUZZ_SECONDS ?= 30
FUZZ_SRC_gguf := core/error.c core/file.c core/atomic.c core/json.c core/strmap.c formats/ggml_type.c formats/gguf_read.c
FUZZ_SRC_safetensors := core/error.c core/file.c core/atomic.c core/json.c core/strmap.c formats/ggml_type.c \
                        formats/safetensors_read.c
FUZZ_SRC_tokenize := core/error.c core/file.c core/atomic.c core/json.c core/strmap.c formats/ggml_type.c \
                     formats/gguf_read.c formats/gguf_write.c formats/hf_config.c formats/vocab.c formats/vocab_hf.c \
                     formats/spm_model.c formats/pretok.c $(wildcard engine/tok*.c)
FUZZ_SRC_records := core/error.c core/file.c core/atomic.c datasets/source.c datasets/records.c
fuzz: | deps
	@mkdir -p build-fuzz
	for t in gguf safetensors tokenize records; do \
	  case $$t in gguf) src="$(FUZZ_SRC_gguf)";; safetensors) src="$(FUZZ_SRC_safetensors)";; tokenize) src="$(FUZZ_SRC_tokenize)";; \
	    records) src="$(FUZZ_SRC_records)";; esac; \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -I. $$(pkg-config --cflags jansson libpcre2-8 libutf8proc) \
	    -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_$$t.c $$src \
	    $$(pkg-config --libs jansson libpcre2-8 libutf8proc zlib libarchive) -lm -o build-fuzz/fuzz_$$t || exit 1; \
	  mkdir -p build-fuzz/corpus-$$t tests/fuzz/corpus/$$t; \
	  ./build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

demo: edgelm
	sh scripts/demo.sh

install: edgelm
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 edgelm $(DESTDIR)$(PREFIX)/bin/edgelm

clean:
	rm -rf build build-asan build-fuzz build-aarch64 edgelm edgelm-asan edgelm-fault demo-out

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

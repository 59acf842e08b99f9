# edgelm - build, test, demo. See README.md.
#
#   make            build ./edgelm (installs missing Debian packages first)
#   make test       build and run the Criterion suite (unit, CLI and interop tests)
#   make asan       the suite under AddressSanitizer + UBSan
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS each (clang; FUZZ_TARGETS=NAME for one)
#   make demo       run the pipeline on the embedded default model
#   make man        the man pages in build/man/ (from the binary's --help)
#   make completion bash, zsh and fish completions in build/completion/ (from the option tables)
#   make install    PREFIX=/usr/local DESTDIR=; make uninstall (the same PREFIX, DESTDIR) removes it
#   make deb        a Debian package of what make install installs, in build/deb/
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
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config $(PKG_STATIC) --libs $(PKGS)))$(PKG_LIBS)
CRIT_LIBS  = $(eval CRIT_LIBS := $$(shell pkg-config --libs criterion))$(CRIT_LIBS)

WARN     := -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2
CFLAGS_  = -std=c11 -D_GNU_SOURCE $(OPT) -g -fopenmp $(WARN) -I. -I$(BUILD) $(PKG_CFLAGS) $(ISA) $(SAN) $(CFLAGS)
LDLIBS_  = $(PKG_LIBS) -fopenmp -lm -lpthread $(SAN) $(LDFLAGS)

LIB_SRC  := $(sort $(wildcard core/*.c formats/*.c quant/*.c engine/*.c engine/kernels/*.c engine/tokenizer/*.c \
                              distill/*.c eval/*.c datasets/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c)) tests/testutil.c tests/fixtures.c tests/quant_scalar.c tests/evalref.c

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libedgelm.a

.PHONY: all deps test unit asan fault fuzz fuzz-build check-neon static test-aarch64 demo man completion install uninstall deb clean FORCE
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

$(BUILD)/cmd/build_info.o $(BUILD)/cmd/bench.o: $(BUILD)/el_version.h

# The SIMD kernel files, and only they, are compiled for their instruction sets;
# engine/kernels/kernels.c picks one at run time from CPUID, so the binary runs on any x86-64.
ifneq ($(filter x86_64%,$(shell $(CC) -dumpmachine)),)
$(BUILD)/engine/kernels/kernels_avx2.o: ISA = -mavx2 -mfma -mf16c
$(BUILD)/engine/kernels/gemm_avx2.o: ISA = -mavx2 -mfma -mf16c
AVX512_ISA := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vnni -mavx512vbmi
$(BUILD)/engine/kernels/kernels_avx512.o: ISA = $(AVX512_ISA)
$(BUILD)/engine/kernels/gemm_avx512.o: ISA = $(AVX512_ISA)
$(BUILD)/quant/search.o: OPT = -O3
$(BUILD)/quant/iq4.o: OPT = -O3
$(BUILD)/quant/xtx.o: OPT = -O3
$(BUILD)/quant/xtx_avx512.o: OPT = -O3
$(BUILD)/quant/xtx_avx512.o: ISA = -mavx512f
$(BUILD)/quant/gptq.o: OPT = -O3
$(BUILD)/quant/search_avx2.o: OPT = -O3
$(BUILD)/quant/search_avx2.o: ISA = -mavx2 -mf16c
endif

# aarch64: everything for the armv8-a baseline (the cross compiler's default), the dot product table
# for armv8.2-a+dotprod, the int8 matrix multiply table for +i8mm; engine/kernels/kernels.c runs each
# only when the CPU has it (getauxval).
ifneq ($(filter aarch64%,$(shell $(CC) -dumpmachine)),)
$(BUILD)/engine/kernels/kernels_neon_dotprod.o: ISA = -march=armv8.2-a+dotprod
$(BUILD)/engine/kernels/gemm_neon_dotprod.o: ISA = -march=armv8.2-a+dotprod
$(BUILD)/engine/kernels/kernels_neon_i8mm.o: ISA = -march=armv8.2-a+dotprod+i8mm
$(BUILD)/engine/kernels/gemm_neon_i8mm.o: ISA = -march=armv8.2-a+dotprod+i8mm
endif

$(LIB): $(LIB_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

edgelm: $(CMD_OBJ) $(LIB)
	@echo "  LINK    $@"
	@$(CC) -o $@ $(CMD_OBJ) $(LIB) $(LDLIBS_)

$(BUILD)/unit-tests: $(TEST_OBJ) $(LIB)
	@echo "  LINK    $@"
	@$(CC) -o $@ $(TEST_OBJ) $(LIB) $(CRIT_LIBS) $(LDLIBS_)

# The suite runs from the top folder; tests find the binary at ./edgelm (or $EDGELM_BIN)
# and the shared reference data at ../shared (or $EDGELM_SHARED), skipping when absent.
# Two tests at a time, each running edgelm with up to 2 threads, oversubscribe 2 cores: OpenMP threads
# that sleep at a barrier instead of spinning make the suite about twice as fast there (TEST_ENV).
TEST_ENV := OMP_WAIT_POLICY=PASSIVE
# The interop tests' npm packages are installed first (tests/interop/setup.sh says what, once; exit 77:
# no node, those tests skip), so that the suite's summary is the last thing make test prints.
test: edgelm $(BUILD)/unit-tests
	@sh tests/interop/setup.sh || [ $$? -eq 77 ]
	@echo "  TEST    $(BUILD)/unit-tests --jobs=$${EDGELM_TEST_JOBS:-2} $(TEST_ARGS)"
	@$(TEST_ENV) ./$(BUILD)/unit-tests --jobs=$${EDGELM_TEST_JOBS:-2} $(TEST_ARGS)

asan:
	$(MAKE) $(ASAN_VARS) build-asan/unit-tests edgelm-asan
	$(TEST_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 EDGELM_BIN=./edgelm-asan EDGELM_SANITIZED=1 \
	  ./build-asan/unit-tests --jobs=$${EDGELM_TEST_JOBS:-2} $(TEST_ARGS)

edgelm-asan: $(CMD_OBJ) $(LIB)
	$(CC) -o $@ $(CMD_OBJ) $(LIB) $(LDLIBS_)

# One statically linked edgelm (docs/targets.md): `make static` for this machine, `make static
# ARCH=aarch64` cross-built. Debian's static archives of the libraries and of what they pull in
# (pkg-config --static; scripts/deps.sh static / cross installs them, the arm64 ones through
# multiarch); glibc and libgomp linked in too. Objects in build-static/ARCH/, the stripped binary
# is build-static/edgelm-linux-ARCH.
HOST_ARCH := $(shell uname -m)
ARCH ?= $(HOST_ARCH)
ifeq ($(ARCH),$(HOST_ARCH))
STATIC_CROSS :=
STATIC_DEPS  := static
STATIC_PKGCONFIG :=
else
STATIC_CROSS := $(ARCH)-linux-gnu-
STATIC_DEPS  := cross
STATIC_PKGCONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(ARCH)-linux-gnu/pkgconfig:/usr/share/pkgconfig
endif
static:
	@sh scripts/deps.sh $(STATIC_DEPS)
	@$(STATIC_PKGCONFIG) $(MAKE) --no-print-directory BUILD=build-static/$(ARCH) CC=$(STATIC_CROSS)gcc PKG_STATIC=--static \
	  EL_STATIC=1 build-static/$(ARCH)/edgelm
	@$(STATIC_CROSS)strip -o build-static/edgelm-linux-$(ARCH) build-static/$(ARCH)/edgelm
	@echo "  STATIC  build-static/edgelm-linux-$(ARCH) ($$(stat -c %s build-static/edgelm-linux-$(ARCH)) bytes)"

ifeq ($(EL_STATIC),1)
CFLAGS += -DEL_STATIC=1
$(BUILD)/edgelm: $(CMD_OBJ) $(LIB)
	@echo "  LINK    $@ (static)"
	@$(CC) -static -o $@ $(CMD_OBJ) $(LIB) $(LDLIBS_)
endif

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
# tests/cross/: Criterion's arm64 package cannot be installed beside the host's) and run under qemu, on a CPU with the int8
# dot product and matrix multiply (-cpu max: all three tables run), one with the dot product only (cortex-a76) and one
# without either (cortex-a53: the baseline table only).
NEON_SRC := tests/cross/shim.c tests/test_kernels.c tests/test_quant_simd.c tests/quant_scalar.c \
            engine/kernels/kernels.c engine/kernels/kernels_ref.c engine/kernels/kernels_neon.c engine/kernels/gemm.c \
            engine/kernels/gemm_neon.c quant/quant.c quant/quant_ref.c quant/search.c quant/search_avx2.c quant/iq4.c \
            formats/ggml_type.c core/fp_rows.c
NEON_CC := aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I. -Itests/cross
NEON_QEMU := qemu-aarch64 -L /usr/aarch64-linux-gnu
check-neon:
	@sh scripts/deps.sh cross
	@mkdir -p build-aarch64
	for f in kernels_neon_dotprod gemm_neon_dotprod; do \
	  $(NEON_CC) -march=armv8.2-a+dotprod -c engine/kernels/$$f.c -o build-aarch64/$$f.o || exit 1; done
	for f in kernels_neon_i8mm gemm_neon_i8mm; do \
	  $(NEON_CC) -march=armv8.2-a+dotprod+i8mm -c engine/kernels/$$f.c -o build-aarch64/$$f.o || exit 1; done
	$(NEON_CC) -march=armv8-a $(NEON_SRC) $(foreach f,kernels_neon_dotprod gemm_neon_dotprod kernels_neon_i8mm gemm_neon_i8mm,build-aarch64/$(f).o) \
	  -lm -o build-aarch64/test-kernels
	echo "qemu-aarch64 -cpu max:"; EL_EXPECT_TABLES="neon neon_dotprod neon_i8mm" $(NEON_QEMU) -cpu max build-aarch64/test-kernels
	echo "qemu-aarch64 -cpu cortex-a76:"; EL_EXPECT_TABLES="neon neon_dotprod" $(NEON_QEMU) -cpu cortex-a76 build-aarch64/test-kernels
	echo "qemu-aarch64 -cpu cortex-a53:"; EL_EXPECT_TABLES="neon" $(NEON_QEMU) -cpu cortex-a53 build-aarch64/test-kernels

# The device build under qemu (docs/targets.md): the kernel tests (check-neon), both static binaries
# as they run on a device (tests/cross/static.sh: no dynamic section, env -i in an empty folder,
# stories260K's greedy text equal to llama.cpp's), and the same pipeline on x86-64 and on aarch64
# (tests/cross/determinism.sh: convert and every quantize type byte-identical, with and without an
# imatrix; eval ppl to 1e-4 (F32) / 1e-3 (quantized); distill gen's greedy tokens equal), once on a
# CPU with the dot product and once (the forward pass only) on one without.
# Criterion suites that run as they are under qemu (the shim's runner; what they spawn - edgelm, node,
# python - runs natively, edgelm through build-aarch64/edgelm-qemu): the tokenizer against llama.cpp's
# vectors and Hugging Face tokenizers (70 s). tests/test_engine.c runs too (`make build-aarch64/test-engine`)
# but takes over 5 minutes under qemu (it quantizes 6 families to 13 types in-process), so CI covers
# the engine on aarch64 through static.sh (greedy text) and determinism.sh (PPL, greedy tokens) instead.
CROSS_SUITES := tokenizer
CROSS_PKG := PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig pkg-config
CROSS_LIBS = $(shell $(CROSS_PKG) --libs $(PKGS))
build-aarch64/test-%: tests/test_%.c tests/testutil.c tests/fixtures.c tests/cross/shim.c tests/cross/criterion/criterion.h \
                      build-static/aarch64/libedgelm.a
	@mkdir -p build-aarch64
	aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -fopenmp $(WARN) -I. -Itests/cross -Ibuild-static/aarch64 \
	  $(shell $(CROSS_PKG) --cflags $(PKGS)) $< tests/testutil.c tests/fixtures.c tests/cross/shim.c \
	  build-static/aarch64/libedgelm.a $(CROSS_LIBS) -lm -lpthread -o $@
QEMU_RUN := qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu:/lib/aarch64-linux-gnu

test-aarch64: check-neon
	@$(MAKE) --no-print-directory static
	@$(MAKE) --no-print-directory static ARCH=aarch64
	@$(MAKE) --no-print-directory $(CROSS_SUITES:%=build-aarch64/test-%)
	@printf '#!/bin/sh\nexec qemu-aarch64 -cpu max "%s/build-static/edgelm-linux-aarch64" "$$@"\n' "$(CURDIR)" > build-aarch64/edgelm-qemu
	@chmod +x build-aarch64/edgelm-qemu
	for s in $(CROSS_SUITES); do echo "qemu-aarch64: tests/test_$$s.c"; \
	  EDGELM_BIN=build-aarch64/edgelm-qemu $(QEMU_RUN) build-aarch64/test-$$s || exit 1; done
	sh tests/cross/static.sh build-static/edgelm-linux-$(HOST_ARCH)
	sh tests/cross/static.sh build-static/edgelm-linux-aarch64 qemu-aarch64 -cpu max
	build-static/edgelm-linux-$(HOST_ARCH) -q synth --preset tiny -o build-aarch64/tiny
	build-static/edgelm-linux-$(HOST_ARCH) -q convert build-aarch64/tiny -o build-aarch64/tiny.gguf
	sh tests/cross/device_bench_test.sh build-aarch64/tiny.gguf || [ $$? = 77 ]
	sh tests/cross/determinism.sh build-aarch64/det-host.txt build-aarch64/det-host build-static/edgelm-linux-$(HOST_ARCH)
	DET_IMATRIX_FROM=build-aarch64/det-host sh tests/cross/determinism.sh build-aarch64/det-max.txt build-aarch64/det-max \
	  qemu-aarch64 -cpu max build-static/edgelm-linux-aarch64
	sh tests/cross/determinism.sh --compare build-aarch64/det-host.txt build-aarch64/det-max.txt
	DET_FORWARD_ONLY=1 DET_NO_INT_GEMM=1 sh tests/cross/determinism.sh build-aarch64/det-a53.txt build-aarch64/det-a53 \
	  qemu-aarch64 -cpu cortex-a53 build-static/edgelm-linux-aarch64
	DET_FORWARD_ONLY=1 sh tests/cross/determinism.sh --compare build-aarch64/det-max.txt build-aarch64/det-a53.txt
	@echo "test-aarch64: ok"

# libFuzzer targets (clang): every reader of untrusted input, one tests/fuzz/fuzz_NAME.c each, seeds in
# tests/fuzz/corpus/NAME/ (docs at the top of each file). `make fuzz` builds them and runs each for
# FUZZ_SECONDS, one after the other; `make fuzz FUZZ_TARGETS=kld` runs one, `make fuzz-build` only builds.
# Inputs found on the way collect in build-fuzz/corpus-NAME/; a crash stops the run and is saved as
# build-fuzz/crash-* (replay: ./build-fuzz/fuzz_NAME build-fuzz/crash-...). Huge allocations, leaks
# and inputs slower than 10 s are findings too. What the targets found is fixed, with a test in
# tests/test_hostile.c (each target's header says what).
#
# The library is built once for them into build-fuzz/obj/, by this Makefile again with EL_FUZZ=1:
# clang, ASan + UBSan, coverage. Four files clang 14 does not compile (__builtin_cpu_supports("f16c"),
# a rounding mode that is a const variable) are built by gcc without instrumentation: the CPU dispatch
# (engine/kernels/kernels.c, core/fp_rows.c) and the SIMD kernel and matrix tables (clang -O1 with
# ASan took over 3 minutes on engine/kernels/gemm_avx512.c alone, a third of CI's fuzz step). fuzz_model
# decodes with the reference kernels, so the forward pass stays instrumented; the quantizer's search is
# built scalar (EL_QUANT_SCALAR) for the same reason.
FUZZ_TARGETS ?= gguf safetensors tokenize records hf_config vocab_hf spm model kld imatrix shard manifest \
                source tasks chat report gate override
FUZZ_SECONDS ?= 20
FUZZ_FLAGS   ?= -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_GCC_SRC := core/fp_rows.c engine/kernels/kernels.c engine/kernels/kernels_avx2.c engine/kernels/kernels_avx512.c \
                engine/kernels/gemm_avx2.c engine/kernels/gemm_avx512.c
FUZZ_LIBS    := build-fuzz/obj/libcmd.a build-fuzz/obj/libedgelm.a

ifeq ($(EL_FUZZ),1)
CC     := clang
OPT    := -O1
SAN    := $(FUZZ_SAN) -fsanitize=fuzzer-no-link
CFLAGS += -Wno-string-concatenation
$(FUZZ_GCC_SRC:%.c=$(BUILD)/%.o): CC := gcc
$(FUZZ_GCC_SRC:%.c=$(BUILD)/%.o): SAN :=
$(FUZZ_GCC_SRC:%.c=$(BUILD)/%.o): CFLAGS :=
$(BUILD)/quant/search.o: CFLAGS += -DEL_QUANT_SCALAR
# the command-line parsers fuzz_override goes through
$(BUILD)/libcmd.a: $(BUILD)/cmd/cli.o $(BUILD)/cmd/helpfmt.o $(BUILD)/cmd/quantize.o
	@rm -f $@
	@ar rcs $@ $^
endif

# per target: cmd_quantize prints every usage error it finds (libFuzzer keeps its own reports)
FUZZ_FLAGS_override := -close_fd_mask=2
fuzz_run = echo "fuzz_$(1): $(FUZZ_SECONDS) s" && mkdir -p build-fuzz/corpus-$(1) && \
  UBSAN_OPTIONS=print_stacktrace=1 ./build-fuzz/fuzz_$(1) $(FUZZ_FLAGS) $(FUZZ_FLAGS_$(1)) -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/ \
    build-fuzz/corpus-$(1) tests/fuzz/corpus/$(1)

fuzz: fuzz-build
	@$(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t)) && ) true

# two steps, so that the targets are relinked only when the library objects changed
fuzz-build:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory EL_FUZZ=1 BUILD=build-fuzz/obj $(FUZZ_LIBS)
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_LIBS)
	@echo "  FUZZ    $@"
	@clang -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) -I. $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer $< $(FUZZ_LIBS) \
	  $(PKG_LIBS) -fopenmp -lm -lpthread -o $@

demo: edgelm
	sh scripts/demo.sh

# The man pages, from the binary's own help (scripts/man.sh): edgelm.1, edgelm-CMD.1 for each command,
# edgelm-eval-ppl.1 style for the subcommands of eval and distill. edgelm.1 is written last.
MAN_DIR := $(BUILD)/man
man: $(MAN_DIR)/edgelm.1
$(MAN_DIR)/edgelm.1: edgelm scripts/man.sh
	@echo "  MAN     $(MAN_DIR)/"
	@rm -rf $(MAN_DIR)
	@sh scripts/man.sh ./edgelm $(MAN_DIR)

# Shell completions from the option tables (scripts/completion.sh): edgelm.bash, _edgelm (zsh), edgelm.fish.
COMP_DIR := $(BUILD)/completion
COMP_FILES := $(COMP_DIR)/edgelm.bash $(COMP_DIR)/_edgelm $(COMP_DIR)/edgelm.fish
completion: $(COMP_FILES)
$(COMP_FILES) &: edgelm scripts/completion.sh
	@echo "  COMPL   $(COMP_DIR)/"
	@sh scripts/completion.sh ./edgelm $(COMP_DIR)

# The binary, the man pages, the completions and the docs under $(DESTDIR)$(PREFIX), with a manifest
# ($(PREFIX)/share/edgelm/install-manifest) that `make uninstall` removes exactly that by (scripts/install.sh).
install: edgelm man completion
	@DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' sh scripts/install.sh install ./edgelm $(MAN_DIR) $(COMP_DIR)

uninstall:
	@DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' sh scripts/install.sh uninstall

# The Debian package, $(BUILD)/deb/edgelm_VERSION_ARCH.deb (scripts/deb.sh): a staged make install with
# PREFIX=/usr, Depends from dpkg-shlibdeps (dpkg-dev, through scripts/deps.sh deb).
deb: edgelm man completion
	@sh scripts/deps.sh deb
	@sh scripts/deb.sh ./edgelm $(MAN_DIR) $(COMP_DIR) $(BUILD)/deb

clean:
	rm -rf build build-asan build-fuzz build-aarch64 build-static edgelm edgelm-asan edgelm-fault demo-out

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

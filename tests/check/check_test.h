/* Common includes of the purpose-built objects of tests/e2e/t-check-truth.sh:
 * each object uses one feature whose availability differs between the
 * kernels of ../shared/kernels (5.10, 6.1, 6.12, the no-BTF 6.1, arm64 6.1). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* Every CO-RE relocation kind, for the differential test against libbpf
 * (tests/check/libbpf_diff.c): field offset / size / signedness / existence,
 * bitfields, array elements, type existence / size / match / ids, enum value
 * existence and values, and flavours. Everything is guarded or exists on all
 * kernels: ok everywhere. */
#include "check_test.h"

struct task_struct___flavour {
	int pid;
	int bpfpack_no_such_field;
} __attribute__((preserve_access_index));

enum bpf_func_id___local {
	BPF_FUNC_ktime_get_coarse_ns___local = 160,
	BPF_FUNC_bpfpack_nothing___local = 100000,
};

struct bpfpack_no_such_struct {
	int x;
};

__u64 out[32];

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct___flavour *f = (void *)t;
	int i = 0;

	out[i++] = bpf_core_field_size(t->pid);
	out[i++] = __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED);
	out[i++] = bpf_core_field_exists(t->comm);
	out[i++] = bpf_core_field_offset(t->comm[3]);
	out[i++] = BPF_CORE_READ(t, comm[2]);
	out[i++] = BPF_CORE_READ(t, mm, arg_start);
	out[i++] = BPF_CORE_READ_BITFIELD_PROBED(t, sched_contributes_to_load);
	out[i++] = bpf_core_field_exists(f->bpfpack_no_such_field);
	if (bpf_core_field_exists(f->bpfpack_no_such_field))
		out[i++] = BPF_CORE_READ(f, bpfpack_no_such_field);
	out[i++] = bpf_core_type_exists(struct bpf_iter__task);
	out[i++] = bpf_core_type_exists(struct bpfpack_no_such_struct);
	out[i++] = bpf_core_type_size(struct task_struct);
	out[i++] = bpf_core_type_matches(struct bpfpack_no_such_struct);
	out[i++] = bpf_core_type_matches(struct list_head);
	out[i++] = bpf_core_type_id_kernel(struct task_struct);
	out[i++] = bpf_core_type_id_local(struct task_struct);
	out[i++] = bpf_core_enum_value_exists(enum bpf_func_id___local, BPF_FUNC_ktime_get_coarse_ns___local);
	out[i++] = bpf_core_enum_value_exists(enum bpf_func_id___local, BPF_FUNC_bpfpack_nothing___local);
	if (bpf_core_enum_value_exists(enum bpf_func_id___local, BPF_FUNC_ktime_get_coarse_ns___local))
		out[i++] = bpf_core_enum_value(enum bpf_func_id___local, BPF_FUNC_ktime_get_coarse_ns___local);
	out[i++] = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_HASH);
	return 0;
}

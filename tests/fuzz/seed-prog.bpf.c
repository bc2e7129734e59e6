/* seed-prog.bpf.c: a small CO-RE program whose relocations touch kernel
 * structs that changed between 5.10, 6.1 and 6.12, so `bpfpack btf gen`
 * against real kernels gives real BTF sets (several distinct blobs) to seed
 * the btfset fuzz targets. Self-contained: no vmlinux.h, no libbpf headers. */
typedef unsigned int u32;
typedef unsigned long long u64;
#define __pai __attribute__((preserve_access_index))
#define SEC(n) __attribute__((section(n), used))

struct qstr { u32 len; const unsigned char *name; } __pai;
struct dentry { struct qstr d_name; struct dentry *d_parent; } __pai;
struct path { struct dentry *dentry; } __pai;
struct file { struct path f_path; unsigned int f_flags; } __pai;
struct mm_struct { struct file *exe_file; unsigned long arg_start; } __pai;
struct task_struct {
	struct task_struct *real_parent;
	int pid, tgid;
	unsigned int __state;
	struct mm_struct *mm;
	char comm[16];
	u64 start_time;
} __pai;

static long (*bpf_probe_read_kernel)(void *dst, u32 size, const void *src) = (void *)113;
static long (*bpf_get_current_task)(void) = (void *)35;
#define R(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))

u64 sink[16];

SEC("tp/sched/sched_process_exec")
int handle_exec(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task(), *p;
	struct mm_struct *mm;
	struct file *f;
	struct dentry *d;
	int i = 0;

	R(p, t->real_parent);
	R(sink[i++], p->tgid);
	R(sink[i++], t->pid);
	R(sink[i++], t->__state);
	R(sink[i++], t->comm);
	R(sink[i++], t->start_time);
	R(mm, t->mm);
	R(sink[i++], mm->arg_start);
	R(f, mm->exe_file);
	R(sink[i++], f->f_flags);
	R(d, f->f_path.dentry);
	R(sink[i++], d->d_name.len);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* vmtest_report: what a vmtest run prints at the end: the table per kernel,
 * the --json document, and for each VM that gave no exit status why (qemu's
 * messages, the kernel's panic, the end of the console log). */
#include "vmtest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/json.h"
#include "../lib/report.h"

#define CONSOLE_TAIL_LINES 20

/* Prints the last lines of FILE on stderr, each prefixed. */
static void print_tail(const char *file, const char *prefix, int lines)
{
	struct buf b = {0};
	FILE *f = fopen(file, "re");
	char chunk[8192];
	size_t n, start;
	int seen = 0;

	if (f) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, n);
		fclose(f);
	}
	if (!b.len) {
		fprintf(stderr, "%s(empty)\n", prefix);
		buf_free(&b);
		return;
	}
	start = b.len;
	if (b.data[start - 1] == '\n')
		start--;
	while (start > 0 && seen < lines) {
		start--;
		if (b.data[start] == '\n' && ++seen == lines) {
			start++;
			break;
		}
	}
	for (char *save = NULL, *l = strtok_r(b.data + start, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(l);

		if (len && l[len - 1] == '\r')
			l[len - 1] = '\0';
		fprintf(stderr, "%s%s\n", prefix, l);
	}
	buf_free(&b);
}

bool vmtest_run_ok(const struct vmtest_run *r)
{
	return r->result == VMTEST_EXIT && r->ch.report.exit_status == 0;
}

static const char *result_word(const struct vmtest_run *r)
{
	switch (r->result) {
	case VMTEST_EXIT:
		return r->ch.report.exit_status == 0 ? "ok" : "exit";
	case VMTEST_TIMEOUT:
		return "timeout";
	case VMTEST_NO_RESULT:
		return "no-result";
	case VMTEST_QEMU_FAILED:
		return "qemu-failed";
	case VMTEST_INTERRUPTED:
		return "interrupted";
	case VMTEST_PENDING:
		break;
	}
	return "not-run";
}

static char *result_text(const struct vmtest_run *r, const struct vmtest *t)
{
	switch (r->result) {
	case VMTEST_EXIT:
		return r->ch.report.exit_status == 0 ? xstrdup("ok")
						     : xasprintf("exit %d", r->ch.report.exit_status);
	case VMTEST_TIMEOUT:
		return xasprintf("timeout (%d s)", t->timeout_s);
	case VMTEST_NO_RESULT:
		return xstrdup("no result");
	case VMTEST_QEMU_FAILED:
		return xstrdup("qemu failed");
	case VMTEST_INTERRUPTED:
		return xstrdup("interrupted");
	case VMTEST_PENDING:
		break;
	}
	return xstrdup("not run");
}

static const char *release_of(const struct vmtest_run *r)
{
	if (r->ch.report.release && *r->ch.report.release)
		return r->ch.report.release;
	if (r->k.release)
		return r->k.release;
	return "?";
}

static double run_seconds(const struct vmtest_run *r)
{
	return r->end_ns > r->start_ns ? (double)(r->end_ns - r->start_ns) / 1e9 : 0.0;
}

void vmtest_print_table(const struct vmtest *t)
{
	int wk = 6, wr = 7;
	char **res = xcalloc(t->n, sizeof(*res));

	for (size_t i = 0; i < t->n; i++) {
		int l = (int)strlen(t->runs[i].name), m = (int)strlen(release_of(&t->runs[i]));

		wk = l > wk ? l : wk;
		wr = m > wr ? m : wr;
		res[i] = result_text(&t->runs[i], t);
	}
	fflush(stdout);
	fprintf(stderr, "%-*s  %-*s  %-12s  %-16s  %s\n", wk, "KERNEL", wr, "RELEASE", "BTF",
		"RESULT", "SECONDS");
	for (size_t i = 0; i < t->n; i++) {
		const struct vmtest_run *r = &t->runs[i];
		const char *btf = r->ch.report.btf < 0 ? "?" :
				  !r->ch.report.btf ? "no" : t->no_btf ? "yes (hidden)" : "yes";

		fprintf(stderr, "%-*s  %-*s  %-12s  %-16s  %.1f\n", wk, r->name, wr, release_of(r),
			btf, res[i], run_seconds(r));
		free(res[i]);
	}
	free(res);
}

void vmtest_print_json(const struct vmtest *t, bool keep_logs)
{
	struct json j;
	size_t passed = 0;

	json_init(&j, 2);
	json_object_begin(&j);
	json_key(&j, "arch");
	json_string(&j, t->machine ? t->machine->arch : "x86_64");
	json_key(&j, "accel");
	json_string(&j, t->kvm ? "kvm" : "tcg");
	json_key(&j, "kernels");
	json_array_begin(&j);
	for (size_t i = 0; i < t->n; i++) {
		const struct vmtest_run *r = &t->runs[i];
		const struct vm_guest_report *rep = &r->ch.report;

		passed += vmtest_run_ok(r);
		json_object_begin(&j);
		json_key(&j, "kernel");
		json_string(&j, r->name);
		json_key(&j, "path");
		json_string(&j, r->arg);
		json_key(&j, "release");
		json_string(&j, rep->release && *rep->release ? rep->release : r->k.release);
		json_key(&j, "btf");
		if (rep->btf < 0)
			json_null(&j);
		else
			json_bool(&j, rep->btf);
		json_key(&j, "btf_hidden");
		json_bool(&j, t->no_btf && rep->btf > 0);
		json_key(&j, "lsm");
		json_string(&j, rep->lsm);
		json_key(&j, "result");
		json_string(&j, result_word(r));
		json_key(&j, "exit_status");
		if (r->result == VMTEST_EXIT)
			json_int(&j, rep->exit_status);
		else
			json_null(&j);
		json_key(&j, "seconds");
		json_double(&j, run_seconds(r), 2);
		json_key(&j, "stdout");
		json_string_len(&j, r->out.data ? r->out.data : "", r->out.len);
		json_key(&j, "stderr");
		json_string_len(&j, r->err.data ? r->err.data : "", r->err.len);
		json_key(&j, "console_log");
		json_string(&j, keep_logs ? r->console : NULL);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "passed");
	json_uint(&j, passed);
	json_key(&j, "failed");
	json_uint(&j, t->n - passed);
	json_write(&j, stdout);
	json_free(&j);
}

/* The reason of the kernel panic the console log shows, or NULL. */
static char *console_panic(const char *file)
{
	static const char mark[] = "Kernel panic - not syncing: ";
	struct buf b = {0};
	FILE *f = fopen(file, "re");
	char chunk[8192], *p, *reason = NULL;
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (b.data && (p = memmem(b.data, b.len, mark, strlen(mark)))) {
		p += strlen(mark);
		reason = strndup(p, strcspn(p, "\r\n"));
	}
	buf_free(&b);
	return reason;
}

void vmtest_explain_failures(const struct vmtest *t, bool keep_logs)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct vmtest_run *r = &t->runs[i];

		if (r->result == VMTEST_EXIT || r->result == VMTEST_INTERRUPTED || !r->console)
			continue;
		fflush(stdout);
		if (r->result == VMTEST_QEMU_FAILED) {
			fprintf(stderr, "%s: qemu failed (exit %d); its messages:\n", r->name,
				r->qemu_status);
			print_tail(r->qemu_log, "  | ", CONSOLE_TAIL_LINES);
		} else {
			char *panic = console_panic(r->console);

			if (r->result == VMTEST_TIMEOUT)
				fprintf(stderr, "%s: killed at the timeout", r->name);
			else if (panic)
				fprintf(stderr, "%s: kernel panic: %s", r->name, panic);
			else
				fprintf(stderr, "%s: the guest stopped without a result", r->name);
			fprintf(stderr, "; the end of the console log:\n");
			print_tail(r->console, "  | ", CONSOLE_TAIL_LINES);
			free(panic);
		}
		if (keep_logs)
			fprintf(stderr, "%s: console log: %s\n", r->name, r->console);
	}
}


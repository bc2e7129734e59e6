#!/usr/bin/env bash
# t-hostile-longrun: a tool that runs for hours holds nothing of its embedded
# BTF set once libbpf has loaded its objects: no memfd in /proc/PID/fd, no
# mapping of it in /proc/PID/maps, and no more anonymous memory than the same
# tool without a set (kernel's own BTF). Measured while the tool runs, after
# it attached (its header line is out); no timing is asserted.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1

if ! t_is_root; then
	t_skip "a long-running tool frees the embedded set" "needs root to load BPF"
	t_done
elif [ ! -r /sys/kernel/btf/vmlinux ]; then
	t_skip "a long-running tool frees the embedded set" "this kernel has no /sys/kernel/btf/vmlinux"
	t_done
elif ! command -v objcopy >/dev/null; then
	t_skip "a long-running tool frees the embedded set" "needs objcopy (binutils)"
	t_done
fi
export BPFPACK_CACHE_DIR=$T_TMP/cache

rel=$(uname -r)
distro=$(. /etc/os-release && echo "$ID")
dver=$(. /etc/os-release && echo "${VERSION_ID:-}")
mkdir -p "tree/$distro/$dver/x86_64" stage
cp /sys/kernel/btf/vmlinux "stage/$rel.btf"
tar -C stage -cJf "tree/$distro/$dver/x86_64/$rel.btf.tar.xz" "$rel.btf"

"$BPFPACK" new lr -t raw_tp >/dev/null 2>&1
if ! (cd lr && nice "$BPFPACK" build --btf ../tree >../build.out 2>&1); then
	t_fail "build a raw_tp tool with embedded BTF" "$(cat build.out)"
	t_done
fi
cp lr/lr lr-set
objcopy --remove-section .bpfpack.btf lr/lr lr-noset

# probe NAME BINARY FORCE [HEADER]: runs BINARY for up to 30 s, waits for
# its header line (it has loaded and attached), records fd links, maps and
# RssAnon (kB) in NAME.fd, NAME.maps, NAME.rss, then stops it.
probe() {
	local name=$1 bin=$2 force=$3 header=${4:-^TIME } pid
	BPFPACK_BTF_FORCE_EMBEDDED=$force "./$bin" -v -d 30 >"$name.out" 2>"$name.err" &
	pid=$!
	T_BG_PIDS+=("$pid")
	if ! t_wait_for "$name.out" "$header" 20; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	ls -l "/proc/$pid/fd/" >"$name.fd" 2>&1
	cat "/proc/$pid/maps" >"$name.maps"
	awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" >"$name.rss"
	kill -INT "$pid"
	wait "$pid" 2>/dev/null
	return 0
}

if ! probe set lr-set 1; then
	t_fail "the tool with a set runs on it" "$(grep -v '^libbpf:' set.err)"
	t_done
fi
if grep -q "^lr: BTF: embedded, for " set.err; then t_ok "the tool with a set runs on it"
else t_fail "the tool with a set runs on it" "$(grep -v '^libbpf:' set.err)"; fi
if ! probe noset lr-noset 0; then
	t_fail "the same tool without a set runs" "$(grep -v '^libbpf:' noset.err)"
	t_done
fi

if ! grep -q 'bpfpack-btf' set.fd; then
	t_ok "after load: the memfd that handed the BTF to libbpf is closed"
else
	t_fail "after load: the memfd that handed the BTF to libbpf is closed" "$(grep bpfpack-btf set.fd)"
fi
if ! grep -qE 'bpfpack-btf|memfd:' set.maps; then
	t_ok "after load: no mapping of the set or its BTF"
else
	t_fail "after load: no mapping of the set or its BTF" "$(grep -E 'bpfpack-btf|memfd:' set.maps)"
fi
# The set's payload, its index and libbpf's parse of the blob were freed and
# the heap trimmed: anonymous memory within 256 kB of the tool that never had
# a set (the whole decompressed set of a real tool is larger than that).
rs=$(cat set.rss) rn=$(cat noset.rss)
if [ -n "$rs" ] && [ -n "$rn" ] && [ "$rs" -le $((rn + 256)) ]; then
	t_ok "after load: anonymous memory as without a set (${rs} kB vs ${rn} kB)"
else
	t_fail "after load: anonymous memory as without a set" "with the set: ${rs:-?} kB, without: ${rn:-?} kB"
fi
# Plain libbpf code that never calls bpfpack (examples/plain/execlog opens
# its skeleton itself): the wrapped open hands libbpf the memfd, the wrapped
# load releases it.
cp -r "$BPFPACK_ROOT/examples/plain" plain
rm -rf plain/.output plain/execlog plain/exitlog
if ! (cd plain && nice "$BPFPACK" build --btf ../tree execlog >../plain-build.out 2>&1); then
	t_fail "build a plain libbpf tool with embedded BTF" "$(cat plain-build.out)"
	t_done
fi
cp plain/execlog execlog-set
if probe plain execlog-set 1 '^EVT ' && grep -q "BTF: embedded, for " plain.err; then
	t_ok "a plain libbpf tool runs on its embedded set"
	if ! grep -q 'bpfpack-btf' plain.fd; then
		t_ok "plain libbpf tool, after load: the memfd is closed without a cleanup call"
	else
		t_fail "plain libbpf tool, after load: the memfd is closed without a cleanup call" "$(grep bpfpack-btf plain.fd)"
	fi
else
	t_fail "a plain libbpf tool runs on its embedded set" "$(grep -v '^libbpf: [^B]' plain.err | tail -n 5)"
fi
t_done

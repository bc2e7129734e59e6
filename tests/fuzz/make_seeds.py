#!/usr/bin/env python3
"""make_seeds.py: writes the seed corpora of the fuzz targets, made at run
time from real files, into OUT/<target>/ (tests/fuzz/run.sh calls it once
and keeps the result; nothing here is committed).

    make_seeds.py ROOT OUT

Sources, each used when it is there (a missing one is said on stdout as a
'#' line, and the committed seeds in tests/fuzz/seeds/ still apply):
  - ../shared/btf-corpus: real kernel BTFs in btfhub-archive layout. Their
    paths seed btfhub_path; one kernel's BTF, minimized for a small CO-RE
    program (tests/fuzz/seed-prog.bpf.c) with bpftool, is the BTF inside the
    btf_source and kimage seeds; `bpfpack btf gen` over the whole corpus
    gives the real BTF sets that seed btfset. Without the corpus, the running
    kernel's /sys/kernel/btf/vmlinux stands in.
  - ../shared/kernels/vmlinuz-*: the real bzImage setup code and header
    (~20 KB) in front of small payloads in each compression kernels use.
  - /etc/os-release, /usr/lib/os-release, uname: os_release.
  - depfiles the compilers write (build/obj/**/*.d and one made here):
    depfile.
  - templates/*/* and the projects' bpfpack.ini files: template, manifest.
Every seed stays under 64 KB: libFuzzer mutates small inputs fast, and what
matters is the structure (headers, archives, streams), not the bulk.
"""
import glob
import gzip
import bz2
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib

MAX_SEED = 64 * 1024

ROOT, OUT = sys.argv[1], sys.argv[2]
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
CORPUS = os.path.join(SHARED, "btf-corpus")
TMP = tempfile.mkdtemp(prefix="bpfpack-seeds.")
counts = {}


def note(msg):
    print("# seeds: " + msg)


def seed(target, name, data):
    """Writes one seed; refuses (loudly) one over the size limit."""
    if len(data) > MAX_SEED:
        note("%s/%s is %d bytes, over %d: not written" % (target, name, len(data), MAX_SEED))
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    counts[target] = counts.get(target, 0) + 1


def run(argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def which(*names):
    for n in names:
        p = shutil.which(n) or (os.path.exists("/usr/sbin/" + n) and "/usr/sbin/" + n)
        if p:
            return p
    return None


def read(path):
    with open(path, "rb") as f:
        return f.read()


def corpus_files():
    return sorted(glob.glob(os.path.join(CORPUS, "*", "*", "*", "*.btf.tar.xz")))


# ---- real BTF: a kernel's, minimized for a small program -------------------

def kernel_btf():
    """(release, path of a raw kernel BTF): from the corpus, else this kernel."""
    files = corpus_files()
    if files:
        path = [f for f in files if "6.1.0-50-amd64" in f] or files
        with tarfile.open(path[0]) as t:
            m = t.getmembers()[0]
            raw = t.extractfile(m).read()
        out = os.path.join(TMP, "kernel.btf")
        with open(out, "wb") as f:
            f.write(raw)
        return m.name[:-len(".btf")], out
    if os.access("/sys/kernel/btf/vmlinux", os.R_OK):
        note("no btf-corpus: the running kernel's BTF stands in")
        return os.uname().release, "/sys/kernel/btf/vmlinux"
    return None, None


def bpf_object():
    clang = which("clang-19", "clang")
    if not clang:
        raise RuntimeError("no clang")
    obj = os.path.join(TMP, "seed-prog.o")
    run([clang, "-g", "-O2", "-target", "bpf", "-c",
         os.path.join(ROOT, "tests", "fuzz", "seed-prog.bpf.c"), "-o", obj])
    return obj


def min_btf(obj, kbtf):
    bpftool = which("bpftool")
    if not bpftool:
        raise RuntimeError("no bpftool")
    out = os.path.join(TMP, "min.btf")
    run([bpftool, "gen", "min_core_btf", kbtf, out, obj])
    return read(out)


# ---- containers, all written here from their specs ---------------------------

def elf_with(sections):
    """A small x86_64 ELF (an empty object from the C compiler) with SECTIONS
    ({name: bytes}) added by objcopy: what a vmlinux looks like to bpfpack."""
    cc = which("clang-19", "clang", "cc")
    objcopy = which("llvm-objcopy-19", "objcopy")
    src = os.path.join(TMP, "empty.c")
    obj = os.path.join(TMP, "empty.o")
    with open(src, "w") as f:
        f.write("int kernel_marker;\n")
    run([cc, "-c", src, "-o", obj])
    argv = [objcopy]
    for i, (name, data) in enumerate(sections.items()):
        p = os.path.join(TMP, "sec%d" % i)
        with open(p, "wb") as f:
            f.write(data)
        argv += ["--add-section", "%s=%s" % (name, p)]
    out = os.path.join(TMP, "vmlinux")
    run(argv + [obj, out])
    return read(out)


def arm64_image(banner, btf):
    """A raw arm64 Image: the 64-byte boot header (magic "ARM\\x64" at 0x38),
    then the banner and the BTF where the kernel's .rodata would have them."""
    hdr = bytearray(64)
    hdr[0:4] = b"\x00\x00\x00\x14"  # b <branch to stext>, as the kernel has
    struct.pack_into("<QQQ", hdr, 8, 0, 64 + len(banner) + len(btf), 0xa)
    hdr[0x38:0x3c] = b"ARM\x64"
    return bytes(hdr) + banner + b"\0" * 8 + btf


def compressors():
    """name -> function(bytes) -> compressed stream, as kernel builds make them
    (xz, zstd, lzma, lz4, bzip2 followed by the 4-byte unpacked size)."""
    size_word = lambda data: struct.pack("<I", len(data) & 0xffffffff)
    # The kernel's filters (xz: x86 BCJ then LZMA2), but small dictionaries
    # and blocks: the decoders allocate what the header asks for, and under
    # ASan every megabyte costs time on each run.
    xz_filters = [{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2, "dict_size": 1 << 16}]
    alone_filters = [{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 16}]
    c = {
        "gzip": lambda d: gzip.compress(d, 9, mtime=0),
        "xz": lambda d: lzma.compress(d, lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                                      filters=xz_filters) + size_word(d),
        "lzma": lambda d: lzma.compress(d, lzma.FORMAT_ALONE, filters=alone_filters) + size_word(d),
        "bzip2": lambda d: bz2.compress(d, 1) + size_word(d),
    }
    for name, argv in (("zstd", ["zstd", "-q", "-19", "-c"]), ("lz4", ["lz4", "-q", "-l", "-9", "-c"])):
        if which(argv[0]):
            c[name] = (lambda a: lambda d: run(a, input=d).stdout + size_word(d))(argv)
        else:
            note("no %s program: no %s-compressed seeds" % (argv[0], name))
    return c


def bzimage(payload):
    """A real bzImage's setup code and header (from ../shared/kernels) with
    PAYLOAD as its compressed kernel."""
    imgs = sorted(glob.glob(os.path.join(SHARED, "kernels", "vmlinuz-*")))
    if not imgs:
        return None
    real = read(imgs[0])
    pm_start = (real[0x1f1] + 1) * 512
    off = struct.unpack_from("<I", real, 0x248)[0]
    img = bytearray(real[:pm_start + off])
    struct.pack_into("<I", img, 0x24c, len(payload))
    return bytes(img) + payload


def zboot(payload, comp):
    """An EFI zboot image (drivers/firmware/efi/libstub/zboot-header.S): "MZ",
    "zimg", payload offset and size, compression name, PE header for arm64."""
    img = bytearray(0x100)
    img[0:2] = b"MZ"
    img[4:8] = b"zimg"
    struct.pack_into("<II", img, 8, len(img), len(payload))
    img[0x18:0x18 + len(comp)] = comp.encode()
    struct.pack_into("<I", img, 0x3c, 0x40)
    img[0x40:0x44] = b"PE\0\0"
    struct.pack_into("<H", img, 0x44, 0xaa64)
    return bytes(img) + payload


def tar(members, comp="xz"):
    """members: [(name, bytes)] -> a compressed tar, as btfhub and dpkg write."""
    buf = io.BytesIO()
    kw = {"preset": 0} if comp == "xz" else {}
    with tarfile.open(fileobj=buf, mode="w:" + comp, format=tarfile.GNU_FORMAT, **kw) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def ar(members):
    """members: [(name, bytes)] -> a Unix ar archive, the container of a .deb."""
    out = b"!<arch>\n"
    for name, data in members:
        out += b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (name.encode(), 0, 0, 0, b"100644", len(data))
        out += data + (b"\n" if len(data) % 2 else b"")
    return out


def deb(package, version, arch, members):
    control = ("Package: %s\nVersion: %s\nArchitecture: %s\n"
               "Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>\n"
               "Description: Linux for 64-bit PCs (signed)\n" % (package, version, arch)).encode()
    return ar([("debian-binary", b"2.0\n"),
               ("control.tar.xz", tar([("./control", control)])),
               ("data.tar.xz", tar(members))])


# ---- per target ---------------------------------------------------------------

def seeds_btfhub_path():
    files = corpus_files()
    for i, f in enumerate(files[:12]):
        rel = os.path.relpath(f, CORPUS)
        seed("btfhub_path", "corpus-%d" % i, ("btf-corpus/" + rel).encode())
        seed("btfhub_path", "corpus-abs-%d" % i, f.encode())
    if not files:
        note("no btf-corpus: btfhub_path has only its committed seeds")


def seeds_btfset(obj):
    bpfpack = os.path.join(ROOT, "bin", "bpfpack")
    if not os.access(bpfpack, os.X_OK):
        note("no bin/bpfpack: btfset has only its committed seeds")
        return
    env = dict(os.environ, BPFPACK_CACHE_DIR=os.path.join(TMP, "cache"))
    runs = []
    if corpus_files():
        runs += [("corpus", ["--btf", CORPUS]),
                 ("corpus-debian12", ["--btf", CORPUS, "--filter", "debian:12"]),
                 ("corpus-one", ["--btf", corpus_files()[0]])]
    if os.access("/sys/kernel/btf/vmlinux", os.R_OK):
        runs.append(("running-kernel", ["--btf", "/sys/kernel/btf/vmlinux"]))
    for name, args in runs:
        out = os.path.join(TMP, name + ".btfset")
        try:
            # The object twice: a set for several objects has no dictionary
            # (one for one object is compressed against it, which the fuzz
            # target does not have; it has a dictionary of its own).
            run([bpfpack, "btf", "gen", "--object", obj, "--object", obj, "-o", out] + args,
                env=env)
            seed("btfset", name, read(out))
        except subprocess.CalledProcessError as e:
            note("btf gen %s failed: %s" % (name, e.stderr.decode(errors="replace").strip()))


def varint(v):
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def btfset_many_blobs(nblobs):
    """A BTF set written here from its spec (runtime/btfset.h), with more
    than 256 blobs so blob numbers take 2 bytes: the real writer needs that
    many distinct BTFs. The reader does not parse blobs, so each is one byte
    of its number; needs the zstd program for the payload's frame."""
    if not which("zstd"):
        raise RuntimeError("no zstd program")
    group = b"debian\x0012\x00x86_64\x00" + varint(nblobs)
    releases = b"".join(b"6.1.0-%d-amd64\x00" % (1000 + i) for i in range(nblobs))
    data = bytes(i & 0xff for i in range(nblobs))
    width = 1 if nblobs <= 0x100 else 2 if nblobs <= 0x10000 else 4
    payload = varint(nblobs) + varint(nblobs) + varint(1) + group
    payload += b"".join(i.to_bytes(width, "little") for i in range(nblobs))
    payload += varint(1) * nblobs + releases + data
    # From a file, so the frame records its size; with zstd's checksum (the
    # reader requires both); the set's frame is magicless.
    path = os.path.join(TMP, "payload")
    with open(path, "wb") as f:
        f.write(payload)
    frame = run(["zstd", "-q", "-19", "--check", "-c", path]).stdout
    assert frame[:4] == b"\x28\xb5\x2f\xfd"
    frame = frame[4:]
    hdr = b"BPFBTFS1" + struct.pack("<HBI", 3, 0, 0)
    return hdr + struct.pack("<I", zlib.crc32(frame, zlib.crc32(hdr))) + frame


def seeds_images(btf, release):
    banner = ("Linux version %s (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) "
              "#1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)\n" % release).encode()
    vmlinux = elf_with({".BTF": btf, ".rodata": b"\0" * 16 + banner + b"\0", ".init.text": b"\xc3" * 16})
    nobtf = elf_with({".rodata": banner + b"\0", ".init.text": b"\xc3" * 16})
    image = arm64_image(banner, btf)
    comps = compressors()

    # btf_source: the last byte picks the file name (0 "input", 1
    # "vmlinuz-<release>", 2 a btfhub-archive path).
    src = lambda name, data, sel=0: seed("btf_source", name, data + bytes([sel]))
    src("raw.btf", btf)
    src("vmlinux", vmlinux, 1)
    src("vmlinux-nobtf", nobtf)
    src("arm64-image", image)
    src("btfhub.btf.tar.xz", tar([(release + ".btf", btf)]), 2)
    src("btfhub-unnamed.btf.tar.xz", tar([(release + ".btf", btf)]))
    src("two-kernels.tar.gz", tar([(release + ".btf", btf), ("vmlinux-" + release, vmlinux)], "gz"))
    src("raw.btf.gz", gzip.compress(btf, 9, mtime=0))
    src("vmlinux.xz", comps["xz"](vmlinux)[:-4], 1)
    src("Image.gz", gzip.compress(image, 9, mtime=0))
    if "zstd" in comps:
        src("raw.btf.zst", comps["zstd"](btf)[:-4])
    for name, fn in sorted(comps.items()):
        img = bzimage(fn(vmlinux))
        if img:
            seed("kimage", "bzimage-" + name, img)
            if name in ("gzip", "xz"):
                src("bzimage-" + name, img, 1)
        seed("kimage", "zboot-" + name, zboot(fn(image), name))
    if "zstd" not in comps:
        note("no zstd program: no zstd seeds")
    seed("kimage", "image.gz", gzip.compress(image, 9, mtime=0))
    seed("kimage", "arm64-image", image)
    seed("kimage", "vmlinux", vmlinux)
    seed("kimage", "stub-then-xz", b"\x4d\x5a" + b"\0" * 5000 + comps["xz"](vmlinux))
    img = bzimage(comps["gzip"](vmlinux))
    pkg_members = [("./boot/vmlinuz-" + release, img or image),
                   ("./usr/share/doc/linux-image-%s/changelog.Debian.gz" % release, b"")]
    src("linux-image.deb", deb("linux-image-" + release, "6.1.176-1", "amd64", pkg_members))
    src("linux-image-dbg.deb", deb("linux-image-%s-dbg" % release, "6.1.176-1", "amd64",
                                   [("./usr/lib/debug/boot/vmlinux-" + release, vmlinux)]))
    # The head of a real btfhub archive: a real xz stream, cut short.
    files = corpus_files()
    if files:
        src("corpus-head.btf.tar.xz", read(files[0])[:32768], 2)


def seeds_os_release():
    u = os.uname()
    for i, p in enumerate(("/etc/os-release", "/usr/lib/os-release")):
        if os.path.exists(p):
            text = read(p)
            seed("os_release", "system-%d" % i, text)
            seed("os_release", "system-%d-uname" % i,
                 text + b"\0" + u.release.encode() + b"\0" + u.machine.encode())


def seeds_depfile(obj_dir):
    ds = sorted(glob.glob(os.path.join(obj_dir, "**", "*.d"), recursive=True))
    for d in ds[:10]:
        seed("depfile", "build-" + os.path.basename(d), read(d))
    for cc in (which("clang-19", "clang"), which("gcc", "cc")):
        if not cc:
            continue
        src = os.path.join(TMP, "my hdr$#.h")
        with open(src, "w") as f:
            f.write("#define X 1\n")
        c = os.path.join(TMP, "dep.c")
        with open(c, "w") as f:
            f.write('#include "my hdr$#.h"\n#include <stdio.h>\nint x = X;\n')
        dep = os.path.join(TMP, "dep.d")
        run([cc, "-MD", "-MP", "-MF", dep, "-c", c, "-o", os.path.join(TMP, "dep.o")])
        seed("depfile", "escapes-" + os.path.basename(cc), read(dep))


def seeds_templates():
    for f in sorted(glob.glob(os.path.join(ROOT, "templates", "*", "*"))):
        name = os.path.relpath(f, os.path.join(ROOT, "templates")).replace("/", "-")
        seed("template", name, read(f))
        seed("template", "name-" + name, os.path.basename(f).encode())
        if os.path.basename(f) == "bpfpack.ini":
            seed("manifest", name, read(f))
    for f in sorted(glob.glob(os.path.join(ROOT, "examples", "**", "bpfpack.ini"), recursive=True)):
        seed("manifest", os.path.relpath(f, ROOT).replace("/", "-"), read(f))


def main():
    os.makedirs(OUT, exist_ok=True)
    steps = [("btfhub_path", seeds_btfhub_path), ("os_release", seeds_os_release),
             ("btfset", lambda: seed("btfset", "many-blobs", btfset_many_blobs(300))),
             ("depfile", lambda: seeds_depfile(os.path.join(ROOT, "build", "obj"))),
             ("template", seeds_templates)]
    for name, fn in steps:
        try:
            fn()
        except Exception as e:  # one family failing leaves the others
            note("%s: %s" % (name, e))
    try:
        obj = bpf_object()
        release, kbtf = kernel_btf()
        if kbtf:
            seeds_images(min_btf(obj, kbtf), release)
        seeds_btfset(obj)
    except Exception as e:
        note("BTF seeds: %s" % e)
    shutil.rmtree(TMP, ignore_errors=True)
    print("# seeds: " + ", ".join("%s %d" % kv for kv in sorted(counts.items())))


main()

#!/usr/bin/env python3
"""gen_data.py - reproducible benchmark data sets for hexz (bench/run.sh drives it).

Three data sets, each a pure function of its parameters and --seed (no downloads):

  mixed OUT --size N     a disk-image-like file: 4 KiB-aligned segments of text (log lines and
                         prose), zeros, random bytes, low-entropy binary tables, exact repeats of
                         earlier regions (half of them 64 KiB-aligned, so fixed-size chunking can
                         dedup them too) and shifted copies (an earlier region re-inserted with a
                         few bytes inserted at unaligned places, which only content-defined
                         chunking can dedup).
  tree OUT               a directory tree: --files small files of 0..16 KiB (text, binary,
                         random; ~10% exact duplicates of earlier ones) in nested directories,
                         a few symbolic links, and --large large files (mixed images; the last
                         one an edited copy of the first).
  ext4 OUT --size N      a real ext4 image made with `mkfs.ext4 -d` from a copy of the regular
                         files, directories and symbolic links of --src (default /usr/share),
                         filled to about --fill of the image, in sorted path order. Fixed UUID,
                         hash seed and time make it reproducible on one machine (it depends on
                         what --src holds there).

Sizes accept K, M, G, T suffixes (binary). The layout decisions use xoshiro256** seeded through
splitmix64, the generator of tests/testutil.h (seed default 0x5EED2026, as the tests'); the bulk
bytes come from Python's Mersenne Twister (random.Random.randbytes), seeded from it, which is
fast enough to stream gigabytes. Output goes to a regular file (the generator reads earlier
regions back with pread), so `mixed` can produce inputs far larger than memory.
"""

import argparse
import bisect
import os
import random
import shutil
import stat
import subprocess
import sys

MASK64 = (1 << 64) - 1
DEFAULT_SEED = 0x5EED2026
FIXED_TIME = 1_700_000_000  # mtimes in the tree, and mkfs.ext4's clock


class Xoshiro:
    """xoshiro256** with splitmix64 seeding: the same sequence as tu_rng in tests/testutil.c."""

    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed = (seed + 0x9E3779B97F4A7C15) & MASK64
            z = seed
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK64

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def below(self, n):
        return self.next() % n

    def uniform(self):
        return (self.next() >> 11) / float(1 << 53)

    def between(self, lo, hi):
        """Uniform integer in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def log_between(self, lo, hi):
        """Log-uniform integer in [lo, hi]: many small values, some large ones."""
        import math
        return int(math.exp(math.log(lo) + self.uniform() * (math.log(hi) - math.log(lo))))

    def pick(self, weights):
        """Index chosen with the given weights."""
        total = sum(weights)
        x = self.uniform() * total
        acc = 0.0
        for i, w in enumerate(weights):
            acc += w
            if x < acc:
                return i
        return len(weights) - 1


def parse_size(text):
    text = str(text).strip()
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text and text[-1].upper() in mult:
        return int(float(text[:-1]) * mult[text[-1].upper()])
    return int(text)


# ---- text --------------------------------------------------------------------------------------

SYLLABLES = ("ka to ri ne sa mo lu ve pa di en or al is un ex ter com pro sys log net dat ser vi "
             "con fig mem ory pa ge blo ck st re am in de x ha sh ca che fi le di sk im ag").split()


class TextPool:
    """A seeded vocabulary, a pool of log-line bodies and a pool of prose sentences. Text
    segments pick from the pools (with fresh timestamps on log lines), so generating text costs
    about a microsecond a line while the byte statistics stay those of logs and prose."""

    def __init__(self, rng):
        self.r = random.Random(rng.next())
        r = self.r
        words = set()
        while len(words) < 3000:
            words.add("".join(r.choice(SYLLABLES) for _ in range(r.randint(1, 4))))
        self.words = sorted(words)
        r.shuffle(self.words)
        # Zipf-like weights: word i has weight 1/(i+1).
        acc, cum = 0.0, []
        for i in range(len(self.words)):
            acc += 1.0 / (i + 1)
            cum.append(acc)
        self.cum = cum
        self.hosts = ["node%02d" % i for i in range(12)] + ["db-primary", "web-1", "web-2", "cache"]
        self.users = [self._word() for _ in range(40)]
        self.log_bodies = [self._log_body() for _ in range(30000)]
        self.sentences = [self._sentence() for _ in range(20000)]
        self.ts = 1_700_000_000_000_000  # microseconds

    def _word(self):
        return self.words[bisect.bisect(self.cum, self.r.random() * self.cum[-1])]

    def _words(self, n):
        return " ".join(self._word() for _ in range(n))

    def _ip(self):
        r = self.r
        return "%d.%d.%d.%d" % (r.choice((10, 172, 192)), r.randint(0, 255), r.randint(0, 255),
                                r.randint(1, 254))

    def _path(self):
        return "/".join(self._word() for _ in range(self.r.randint(1, 4)))

    def _log_body(self):
        r = self.r
        host = r.choice(self.hosts)
        k = r.randint(0, 6)
        if k == 0:
            return "%s sshd[%d]: Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%s" % (
                host, r.randint(300, 65000), r.choice(self.users), self._ip(), r.randint(1024, 65535),
                "%032x" % r.getrandbits(128))
        if k == 1:
            return "%s kernel: [%d.%06d] EXT4-fs (vda%d): %s" % (
                host, r.randint(0, 999999), r.randint(0, 999999), r.randint(1, 4), self._words(6))
        if k == 2:
            return '%s nginx: %s - - "%s /%s HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64)"' % (
                host, self._ip(), r.choice(("GET", "GET", "GET", "POST", "PUT")), self._path(),
                r.choice((200, 200, 200, 304, 404, 500)), r.randint(0, 200000))
        if k == 3:
            return "%s systemd[1]: Started %s.service - %s." % (host, self._word(), self._words(5).capitalize())
        if k == 4:
            return '%s app[%d]: level=%s msg="%s" req_id=%016x dur=%dms' % (
                host, r.randint(300, 65000), r.choice(("info", "info", "debug", "warn", "error")),
                self._words(r.randint(3, 10)), r.getrandbits(64), r.randint(0, 5000))
        if k == 5:
            return "%s cron[%d]: (%s) CMD (/usr/local/bin/%s --%s %d)" % (
                host, r.randint(300, 65000), r.choice(self.users), self._word(), self._word(), r.randint(1, 99))
        return "%s postgres[%d]: LOG:  duration: %d.%03d ms  statement: SELECT %s FROM %s WHERE id = %d" % (
            host, r.randint(300, 65000), r.randint(0, 900), r.randint(0, 999),
            ", ".join(self._word() for _ in range(r.randint(1, 5))), self._word(), r.randint(1, 10 ** 7))

    def _sentence(self):
        s = self._words(self.r.randint(4, 24))
        return s[:1].upper() + s[1:] + self.r.choice((".", ".", ".", "?", "!", ";", ","))

    def logs(self, n):
        """About n bytes of log lines (the result may be a little longer)."""
        r, out, size = self.r, [], 0
        bodies = self.log_bodies
        while size < n:
            self.ts += r.randint(1, 2_000_000)
            sec, usec = divmod(self.ts, 1_000_000)
            line = "%d.%06d %s\n" % (sec, usec, bodies[r.randrange(len(bodies))])
            out.append(line)
            size += len(line)
        return "".join(out).encode()

    def prose(self, n):
        r, out, size = self.r, [], 0
        sentences = self.sentences
        while size < n:
            para = " ".join(sentences[r.randrange(len(sentences))] for _ in range(r.randint(2, 9)))
            out.append(para + "\n\n")
            size += len(para) + 2
        return "".join(out).encode()

    def source(self, n):
        """Code-like text: indented lines of identifiers and punctuation."""
        r, out, size = self.r, [], 0
        while size < n:
            ind = "    " * r.randint(0, 3)
            k = r.randint(0, 4)
            if k == 0:
                line = "%sstatic int %s_%s(struct %s *%s, size_t %s)\n" % (
                    ind, self._word(), self._word(), self._word(), self._word()[:3], self._word())
            elif k == 1:
                line = "%sif (%s->%s == %s) return %s;\n" % (
                    ind, self._word()[:3], self._word(), self._word().upper(), self._word())
            elif k == 2:
                line = "%s/* %s */\n" % (ind, self.sentences[r.randrange(len(self.sentences))])
            elif k == 3:
                line = "%s%s = %s(%s, %d);\n" % (ind, self._word(), self._word(), self._word(), r.randint(0, 4096))
            else:
                line = "%s}\n" % ind
            out.append(line)
            size += len(line)
        return "".join(out).encode()


# ---- binary ------------------------------------------------------------------------------------

def _skewed_table(rng, distinct):
    """A bytes.translate table mapping 0..255 onto `distinct` values, unevenly."""
    values = [rng.randrange(256) for _ in range(distinct)]
    table = bytearray(256)
    for i in range(256):
        # Squaring the index skews the mapping towards the first values.
        table[i] = values[(i * i * distinct) // (256 * 256)]
    return bytes(table)


class Bytes:
    """Bulk byte generators over one Mersenne Twister."""

    def __init__(self, rng):
        self.r = random.Random(rng.next())
        self.t16 = _skewed_table(self.r, 16)
        self.t4 = _skewed_table(self.r, 4)

    def random(self, n):
        out, left = [], n
        while left > 0:
            k = min(left, 1 << 20)
            out.append(self.r.randbytes(k))
            left -= k
        return b"".join(out)

    def table(self, n):
        """Low-entropy binary, like arrays of small integers: 16-byte records whose bytes come
        from skewed small alphabets, half of them zero."""
        out = bytearray(n)
        for i, t in ((0, self.t16), (1, self.t16), (2, self.t4), (4, self.t16), (8, self.t4),
                     (9, self.t4), (12, self.t16)):
            count = len(range(i, n, 16))
            out[i::16] = self.random(count).translate(t)
        return bytes(out)


# ---- the mixed image -----------------------------------------------------------------------------

SEG_KINDS = ("logs", "prose", "zeros", "random", "table", "repeat", "shifted")
SEG_WEIGHTS = (14, 8, 16, 18, 14, 18, 12)
ALIGN = 4096
BIG_ALIGN = 65536
COPY_PIECE = 4 << 20


class Out:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        self.pos = 0

    def write(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.pos += len(data)

    def read(self, off, n):
        return os.pread(self.fd, n, off)

    def close(self):
        os.close(self.fd)


def gen_mixed(path, size, seed, quiet=False):
    rng = Xoshiro(seed)
    text = TextPool(rng)
    byt = Bytes(rng)
    out = Out(path)
    counts = {k: 0 for k in SEG_KINDS}
    step = max(size // 20, 1 << 30) if size >= 4 << 30 else None
    next_note = step
    while out.pos < size:
        left = size - out.pos
        kind = SEG_KINDS[rng.pick(SEG_WEIGHTS)]
        if kind in ("repeat", "shifted") and out.pos < 1 << 20:
            kind = "random"
        n = rng.log_between(64 << 10, 4 << 20) // ALIGN * ALIGN
        n = min(n, left)
        if kind == "logs":
            data = text.logs(n)[:n]
        elif kind == "prose":
            data = text.prose(n)[:n]
        elif kind == "zeros":
            data = bytes(n)
        elif kind == "random":
            data = byt.random(n)
        elif kind == "table":
            data = byt.table(n)
        else:
            data = None
        if data is not None:
            out.write(data)
        elif kind == "repeat":
            # An exact copy of an earlier region: like a file copied inside a disk image.
            if rng.below(2) == 0:
                src = rng.below(out.pos // BIG_ALIGN) * BIG_ALIGN
                pad = (-out.pos) % BIG_ALIGN
                if pad > left // 2:
                    pad = 0
                out.write(bytes(pad))  # slack up to a 64 KiB boundary, so fixed chunks align
                left -= pad
            else:
                src = rng.below(out.pos // ALIGN) * ALIGN
            n = min(n, out.pos - src, left)
            off = 0
            while off < n:
                k = min(COPY_PIECE, n - off)
                out.write(out.read(src + off, k))
                off += k
        else:
            # A shifted copy: an earlier region with a few bytes inserted at unaligned places
            # (an edited file re-saved elsewhere), then zero slack to the next 4 KiB boundary.
            src = rng.below(out.pos // ALIGN) * ALIGN + rng.below(ALIGN)
            n = min(n, out.pos - src, 8 << 20)
            region = bytearray(out.read(src, n))
            for _ in range(rng.between(1, 4)):
                at = rng.below(len(region) + 1)
                region[at:at] = byt.random(rng.between(1, 64))
            region += bytes((-len(region)) % ALIGN)
            out.write(bytes(region[:left]))
        counts[kind] += 1
        if step and out.pos >= next_note and not quiet:
            print("gen_data: mixed %s: %d of %d MiB" % (path, out.pos >> 20, size >> 20), file=sys.stderr)
            next_note += step
    out.close()
    return counts


# ---- the tree ----------------------------------------------------------------------------------

def gen_tree(path, files, large, large_size, seed):
    rng = Xoshiro(seed)
    text = TextPool(rng)
    byt = Bytes(rng)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    dirs = [""]
    for a in range(20):
        top = "d%02d_%s" % (a, text.words[a])
        dirs.append(top)
        for b in range(rng.between(3, 12)):
            sub = "%s/s%02d_%s" % (top, b, text.words[100 + a * 12 + b])
            dirs.append(sub)
            if rng.below(3) == 0:
                dirs.append(sub + "/deep_%s" % text.words[500 + a * 12 + b])
    for d in dirs[1:]:
        os.makedirs(os.path.join(path, d), exist_ok=True)
    written = []  # paths of small files, for duplicates
    total = 0
    exts = {"text": (".log", ".txt", ".md"), "source": (".c", ".h", ".py"),
            "table": (".bin", ".dat"), "random": (".gz", ".jpg")}
    for i in range(files):
        d = dirs[rng.below(len(dirs))]
        if written and rng.below(10) == 0:
            src = written[rng.below(len(written))]
            name = "copy%05d_%s" % (i, os.path.basename(src))
            dst = os.path.join(path, d, name)
            shutil.copyfile(src, dst)
            total += os.path.getsize(dst)
        else:
            n = 0 if rng.below(50) == 0 else rng.log_between(16, 16 << 10)
            kind = ("text", "source", "table", "random")[rng.pick((40, 30, 15, 15))]
            if kind == "text":
                data = (text.logs(n) if rng.below(2) else text.prose(n))[:n]
            elif kind == "source":
                data = text.source(n)[:n]
            elif kind == "table":
                data = byt.table(n)
            else:
                data = byt.random(n)
            ext = exts[kind][rng.below(len(exts[kind]))]
            dst = os.path.join(path, d, "f%05d_%s%s" % (i, text.words[rng.below(len(text.words))], ext))
            with open(dst, "wb") as f:
                f.write(data)
            written.append(dst)
            total += n
    for i in range(min(50, files // 100)):
        src = written[rng.below(len(written))]
        link = os.path.join(path, dirs[rng.below(len(dirs))], "link%03d" % i)
        os.symlink(os.path.relpath(src, os.path.dirname(link)), link)
    os.makedirs(os.path.join(path, "large"), exist_ok=True)
    large_paths = []
    for j in range(large):
        p = os.path.join(path, "large", "image%d.img" % j)
        if j == large - 1 and large >= 2:
            # An edited copy of the first large file: a few overwritten and inserted runs.
            shutil.copyfile(large_paths[0], p)
            with open(p, "r+b") as f:
                for _ in range(8):
                    f.seek(rng.below(large_size))
                    f.write(byt.random(rng.between(1, 64 << 10)))
        else:
            gen_mixed(p, large_size, seed + 1000 + j, quiet=True)
        large_paths.append(p)
        total += os.path.getsize(p)
    # Fixed times everywhere (directories last, deepest first) for reproducible archives.
    for root, dnames, fnames in os.walk(path, topdown=False):
        for name in fnames:
            os.utime(os.path.join(root, name), (FIXED_TIME, FIXED_TIME), follow_symlinks=False)
        os.utime(root, (FIXED_TIME, FIXED_TIME))
    return total


# ---- the ext4 image ----------------------------------------------------------------------------

def gen_ext4(path, size, src, fill, seed, staging):
    if not shutil.which("mkfs.ext4") and not os.path.exists("/usr/sbin/mkfs.ext4") \
            and not os.path.exists("/sbin/mkfs.ext4"):
        sys.exit("gen_data: mkfs.ext4 not found (apt-get install e2fsprogs)")
    mkfs = shutil.which("mkfs.ext4") or ("/usr/sbin/mkfs.ext4" if os.path.exists("/usr/sbin/mkfs.ext4")
                                         else "/sbin/mkfs.ext4")
    if os.path.exists(staging):
        shutil.rmtree(staging)
    os.makedirs(staging)
    budget = int(size * fill)
    used, nfiles = 0, 0
    # Sorted walk: the same subset every time on one machine.
    for root, dnames, fnames in os.walk(src):
        dnames.sort()
        rel = os.path.relpath(root, src)
        droot = os.path.join(staging, rel) if rel != "." else staging
        os.makedirs(droot, exist_ok=True)
        for name in sorted(fnames):
            s = os.path.join(root, name)
            d = os.path.join(droot, name)
            try:
                st = os.lstat(s)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                try:
                    os.symlink(os.readlink(s), d)
                    nfiles += 1
                except OSError:
                    pass
            elif stat.S_ISREG(st.st_mode):
                cost = (st.st_size + 4095) // 4096 * 4096 + 4096
                if used + cost > budget:
                    continue
                try:
                    shutil.copyfile(s, d)
                except OSError:
                    continue
                used += cost
                nfiles += 1
        # Directories that mkfs would copy cost a block each.
        used += 4096
        if used >= budget:
            break
    for root, dnames, fnames in os.walk(staging, topdown=False):
        for name in fnames:
            os.utime(os.path.join(root, name), (FIXED_TIME, FIXED_TIME), follow_symlinks=False)
        os.utime(root, (FIXED_TIME, FIXED_TIME))
    if os.path.exists(path):
        os.unlink(path)
    uuid = "%08x-%04x-%04x-%04x-%012x" % (seed & 0xFFFFFFFF, 0x1234, 0x4567, 0x89ab, seed & 0xFFFFFFFFFFFF)
    inodes = max(nfiles * 2 + 4096, 16384)
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(FIXED_TIME))
    cmd = [mkfs, "-q", "-F", "-b", "4096", "-N", str(inodes), "-U", uuid,
           "-E", "hash_seed=%s,root_owner=0:0" % uuid, "-d", staging, path, str(size // 1024) + "k"]
    subprocess.run(cmd, check=True, env=env)
    shutil.rmtree(staging)
    return used, nfiles


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("mixed", "tree", "ext4"))
    ap.add_argument("out")
    ap.add_argument("--size", default="64M", help="mixed/ext4: bytes (default 64M)")
    ap.add_argument("--seed", default=os.environ.get("HEXZ_BENCH_SEED", str(DEFAULT_SEED)),
                    help="seed (default $HEXZ_BENCH_SEED or 0x5EED2026)")
    ap.add_argument("--files", type=int, default=20000, help="tree: small files (default 20000)")
    ap.add_argument("--large", type=int, default=3, help="tree: large files (default 3)")
    ap.add_argument("--large-size", default="16M", help="tree: size of each large file (default 16M)")
    ap.add_argument("--src", default="/usr/share", help="ext4: the directory to copy (default /usr/share)")
    ap.add_argument("--fill", type=float, default=0.7, help="ext4: fraction of the image to fill")
    ap.add_argument("--staging", help="ext4: where to copy --src first (default OUT.d)")
    a = ap.parse_args()
    seed = int(a.seed, 0)
    if a.kind == "mixed":
        counts = gen_mixed(a.out, parse_size(a.size), seed)
        print("gen_data: mixed %s: %d bytes, segments %s" % (
            a.out, os.path.getsize(a.out), " ".join("%s=%d" % kv for kv in counts.items())))
    elif a.kind == "tree":
        total = gen_tree(a.out, a.files, a.large, parse_size(a.large_size), seed)
        print("gen_data: tree %s: %d files + %d large, %d bytes of file content" % (
            a.out, a.files, a.large, total))
    else:
        used, n = gen_ext4(a.out, parse_size(a.size), a.src, a.fill, seed, a.staging or a.out + ".d")
        print("gen_data: ext4 %s: %d bytes, %d entries from %s (%d bytes of blocks)" % (
            a.out, parse_size(a.size), n, a.src, used))


if __name__ == "__main__":
    main()

"""Output files. Records of one day are buffered, sorted by time (ties in emission order) and
appended; a record may span several lines (an audit event). Tagged records are reported to the
Registry with their file, line range and identifier, which is what the manifest cites."""
import os
import random


class Registry:
    """Where each tagged record landed: tag -> list of refs."""

    def __init__(self):
        self.refs = {}

    def add(self, tag, ref):
        self.refs.setdefault(tag, []).append(ref)

    def get(self, tag):
        return self.refs.get(tag, [])


class Sink:
    """One output file in one native format (`fmt` is sluice's `--format` name)."""

    def __init__(self, directory, filename, fmt, registry):
        self.filename = filename
        self.fmt = fmt
        self.path = os.path.join(directory, filename)
        self.registry = registry
        self.lines = 0
        self.records = 0
        self.buf = []
        self.f = open(self.path, "w", encoding="utf-8", newline="\n")

    def add(self, ts, text, nlines=1, tag=None, ident=None):
        """Buffer one record of `nlines` lines at time `ts` (epoch seconds)."""
        self.buf.append((ts, len(self.buf), text, nlines, tag, ident))

    def finish(self, text, ident):
        """The final text and identifier of a record, in time order (a hook)."""
        return text, ident

    def flush(self):
        """Sort the buffered day and append it to the file."""
        self.buf.sort(key=lambda r: (r[0], r[1]))
        out = []
        for ts, _seq, text, n, tag, ident in self.buf:
            text, ident = self.finish(text, ident)
            start = self.lines + 1
            self.lines += n
            self.records += 1
            if tag is not None:
                for t in (tag if isinstance(tag, tuple) else (tag,)):
                    self.registry.add(t, {"file": self.filename, "line": start, "last_line": self.lines,
                                          "ts": ts, "id": ident})
            out.append(text)
        if out:
            self.f.write("\n".join(out))
            self.f.write("\n")
        self.buf = []

    def close(self):
        self.f.close()


SERIAL = "\x01s\x01"
PID = "\x01p\x01"
PPID = "\x01q\x01"


class AuditSink(Sink):
    """The audit log. Records are written with placeholders for the event serial, pid and
    ppid; they are numbered here, in time order, so that serials and pids grow with time on
    each node as auditd and the kernel number them. `ident` is (node, pid, ppid) as the world
    numbered them; a parent's pid maps to the same number in its children's ppid."""

    def __init__(self, directory, filename, fmt, registry, seed, starts):
        super().__init__(directory, filename, fmt, registry)
        self.rng = random.Random("%s:audit-numbers" % seed)
        self.state = {node: [serial, pid, {}] for node, (serial, pid) in starts.items()}

    def finish(self, text, ident):
        node, pid, ppid = ident
        st = self.state[node]
        st[0] += self.rng.randrange(1, 24)
        m = st[2]
        if pid not in m:
            st[1] += self.rng.randrange(1, 40)
            m[pid] = st[1]
        if ppid is not None and ppid not in m:
            m[ppid] = max(1, st[1] - self.rng.randrange(1, 300))
        text = text.replace(SERIAL, str(st[0])).replace(PID, str(m[pid]))
        if ppid is not None:
            text = text.replace(PPID, str(m[ppid]))
        return text, "%s:%d" % (node, st[0])

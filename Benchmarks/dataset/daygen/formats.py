"""Text of one record in each native format. Pure functions: same arguments, same bytes.

- Squid access.log, native layout with the request size appended by a custom logformat:
  `logformat acme %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt %>st`
  (`with_request_size=False` gives Squid's default `squid` logformat).
- BIND 9.16+ query log as named writes it to a channel file with print-time, print-category
  and print-severity.
- Linux audit log (auditd 3.x, `log_format = ENRICHED`, `name_format = hostname`), the
  records of one execve syscall event: SYSCALL, EXECVE, CWD, PATH..., PROCTITLE, EOE.
- GitHub audit log events as the audit-log streaming and REST API give them (JSON object per
  line, members in alphabetical order as GitHub exports them).
"""
import base64
import hashlib
import json
import zlib

from . import clock

# ---------------------------------------------------------------------------------------------
# Squid


def squid(ts, elapsed_ms, client, code, status, size, method, url, user, hierarchy, peer, mime,
          request_size, with_request_size=True):
    """One access.log line; `ts` is the completion time (epoch seconds)."""
    ms = int(round(ts * 1000))
    line = "%d.%03d %6d %s %s/%03d %d %s %s %s %s/%s %s" % (
        ms // 1000, ms % 1000, elapsed_ms, client, code, status, size, method, url,
        user or "-", hierarchy, peer or "-", mime or "-")
    if with_request_size:
        line += " %d" % request_size
    return line


# ---------------------------------------------------------------------------------------------
# BIND


def bind_query(ts, client_object, client_ip, client_port, name, qtype, flags, server_ip):
    """`20-Nov-2025 13:05:00.123 queries: info: client @0x7f.. 10.1.2.3#53211 (github.com):
    query: github.com IN A +E(0)K (10.0.0.53)`"""
    return "%s queries: info: client @0x%x %s#%d (%s): query: %s IN %s %s (%s)" % (
        clock.named_time(ts), client_object, client_ip, client_port, name, name, qtype, flags,
        server_ip)


# ---------------------------------------------------------------------------------------------
# Linux audit

UNSET = 4294967295
GS = "\x1d"  # auditd's separator before the ENRICHED part


def _needs_hex(b):
    for c in b:
        if c == 0x22 or c < 0x21 or c > 0x7E:
            return True
    return False


def audit_str(s):
    """A string field as the kernel writes untrusted strings: quoted, or hex when it holds a
    double quote, a space, a control or a non-ASCII byte."""
    b = s.encode("utf-8")
    if _needs_hex(b):
        return b.hex().upper()
    return '"' + s + '"'


def inode(host, path):
    """A stable inode number for a path on a host."""
    return 131072 + zlib.crc32((host + ":" + path).encode()) % 8388608


#: Where the dynamic loader lives (item 1 of every dynamically linked execve).
LD_SO = "/lib64/ld-linux-x86-64.so.2"


def auditd_exec(node, ts, serial, pid, ppid, uid, user, auid, login, tty, ses, exe, argv, cwd,
                gid=None, group=None, interpreter=None, ptrs=(0, 0, 0, 0)):
    """The records of one execve event on `node` (a list of lines, SYSCALL..EOE). serial, pid
    and ppid may be numbers or placeholders that the audit sink fills in time order.

    uid/user: the process's user id and name; auid/login: the login (audit) user id and name,
    `UNSET` and None for services; `tty` "(none)" or "pts0"; `interpreter` for scripts (PATH
    items: script, interpreter, loader); `ptrs` the a0..a3 syscall arguments."""
    ms = int(round(ts * 1000))
    stamp = "msg=audit(%d.%03d:%s):" % (ms // 1000, ms % 1000, serial)
    head = "node=%s type=" % node
    gid = uid if gid is None else gid
    group = user if group is None else group
    comm = exe.rsplit("/", 1)[-1][:15]
    if interpreter:
        comm = argv[1].rsplit("/", 1)[-1][:15] if len(argv) > 1 else comm
    items = 3 if interpreter else 2
    auid_name = login if auid != UNSET else "unset"
    sys_line = (
        "%sSYSCALL %s arch=c000003e syscall=59 success=yes exit=0 a0=%x a1=%x a2=%x a3=%x items=%d "
        "ppid=%s pid=%s auid=%d uid=%d gid=%d euid=%d suid=%d fsuid=%d egid=%d sgid=%d fsgid=%d "
        "tty=%s ses=%d comm=%s exe=%s subj=unconfined key=\"exec\"%sARCH=x86_64 SYSCALL=execve "
        "AUID=\"%s\" UID=\"%s\" GID=\"%s\" EUID=\"%s\" SUID=\"%s\" FSUID=\"%s\" EGID=\"%s\" "
        "SGID=\"%s\" FSGID=\"%s\"" % (
            head, stamp, ptrs[0], ptrs[1], ptrs[2], ptrs[3], items, ppid, pid, auid, uid, gid,
            uid, uid, uid, gid, gid, gid, tty, ses, audit_str(comm), audit_str(exe), GS,
            auid_name, user, group, user, user, user, group, group, group))
    args = " ".join("a%d=%s" % (i, audit_str(a)) for i, a in enumerate(argv))
    lines = [sys_line,
             "%sEXECVE %s argc=%d %s" % (head, stamp, len(argv), args),
             "%sCWD %s cwd=%s" % (head, stamp, audit_str(cwd))]
    paths = [exe, interpreter, LD_SO] if interpreter else [exe, LD_SO]
    for i, p in enumerate(paths):
        if p is None:
            continue
        lines.append(
            "%sPATH %s item=%d name=%s inode=%d dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 "
            "nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0%sOUID=\"root\" "
            "OGID=\"root\"" % (head, stamp, i, audit_str(p),
                                 inode(node, p), GS))
    title = "\x00".join(argv).encode("utf-8")[:128]
    if _needs_hex(title):
        pt = title.hex().upper()
    else:
        pt = '"' + title.decode("utf-8", "replace") + '"'
    lines.append("%sPROCTITLE %s proctitle=%s" % (head, stamp, pt))
    lines.append("%sEOE %s" % (head, stamp))
    return lines


def auditd_user_record(node, ts, serial, rtype, pid, uid, auid, ses, login, op, exe, hostname,
                       addr, terminal, extra=""):
    """A PAM/sshd user-space record (USER_LOGIN, USER_START, CRED_ACQ, USER_END...)."""
    ms = int(round(ts * 1000))
    acct = (' acct="%s"' % login) if rtype != "USER_LOGIN" else (" id=%d" % auid)
    return ("node=%s type=%s msg=audit(%d.%03d:%s): pid=%s uid=%d auid=%d ses=%d subj=unconfined "
            "msg='op=%s%s%s exe=\"%s\" hostname=%s addr=%s terminal=%s res=success'%sUID=\"root\" "
            "AUID=\"%s\"%s" % (node, rtype, ms // 1000, ms % 1000, serial, pid, uid, auid, ses, op,
                               acct, extra, exe, hostname, addr, terminal, GS, login,
                               (' ID="%s"' % login) if rtype == "USER_LOGIN" else ""))


# ---------------------------------------------------------------------------------------------
# GitHub audit log


def document_id(rng):
    """A `_document_id` as GitHub writes them: 16 random bytes, base64url, with padding."""
    b = rng.getrandbits(128).to_bytes(16, "big")
    return base64.urlsafe_b64encode(b).decode()


def hashed_token(token):
    """GitHub's `hashed_token`: base64 of the SHA-256 of the token."""
    return base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()


def github(event):
    """One audit event as a JSON line (members sorted, compact, as GitHub exports them)."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

"""Tests of the Acme day generator (python3 -m unittest, from Benchmarks/dataset).

The dataset is generated once per run into a temporary directory (or read from $DAYGEN_OUT when
the caller generated it already). The tests check that it is byte-identical to the committed
checksums and samples (determinism, across runs and machines), that every line is in its native
format, that the manifest points at the records it claims, and, from facts measured on the
files, that the planted attacks cross the issue's thresholds while the benign traffic stays
under them."""
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import generate  # noqa: E402
from daygen import clock, company, enrichment, facts, formats  # noqa: E402

OUT = None
MANIFEST = None
FACTS = None
TMP = None


def setUpModule():
    global OUT, MANIFEST, FACTS, TMP
    OUT = os.environ.get("DAYGEN_OUT")
    if not OUT:
        TMP = tempfile.mkdtemp(prefix="daygen-")
        OUT = TMP
        generate.generate(OUT, quiet=True)
    with open(os.path.join(OUT, "manifest.json"), encoding="utf-8") as f:
        MANIFEST = json.load(f)
    FACTS = facts.measure(OUT, company.Company(MANIFEST["seed"]), [s for s, _ in enrichment.SANCTIONED])


def tearDownModule():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def lines(name):
    with open(os.path.join(OUT, name), encoding="utf-8") as f:
        return f.read().split("\n")[:-1]


class FormatTests(unittest.TestCase):
    def test_audit_strings_are_hex_encoded_as_the_kernel_does(self):
        self.assertEqual(formats.audit_str("git"), '"git"')
        self.assertEqual(formats.audit_str("fix flaky test"), "66697820666C616B792074657374")
        self.assertEqual(formats.audit_str('a"b'), "612262")
        self.assertEqual(formats.audit_str("caf\u00e9"), "636166C3A9")

    def test_proctitle_is_quoted_for_one_argument_and_hex_for_several(self):
        one = formats.auditd_exec("h", 1.0, 1, 2, 1, 0, "root", formats.UNSET, None, "(none)", formats.UNSET,
                                  "/usr/bin/make", ["make"], "/")
        two = formats.auditd_exec("h", 1.0, 1, 2, 1, 0, "root", formats.UNSET, None, "(none)", formats.UNSET,
                                  "/usr/bin/make", ["make", "test"], "/")
        self.assertTrue(one[-2].endswith('proctitle="make"'))
        self.assertTrue(two[-2].endswith("proctitle=6D616B650074657374"))
        self.assertEqual([l.split(" ")[1] for l in two],
                         ["type=SYSCALL", "type=EXECVE", "type=CWD", "type=PATH", "type=PATH", "type=PROCTITLE",
                          "type=EOE"])

    def test_proctitle_is_truncated_to_128_bytes(self):
        argv = ["tar", "-czf", "/tmp/x.tgz"] + ["directory-%03d" % i for i in range(40)]
        recs = formats.auditd_exec("h", 1.0, 1, 2, 1, 0, "root", formats.UNSET, None, "(none)", formats.UNSET,
                                   "/usr/bin/tar", argv, "/")
        self.assertEqual(len(recs[-2].split("proctitle=")[1]), 256)

    def test_hashed_token_is_base64_sha256(self):
        # printf %s ghp_0000 | openssl dgst -sha256 -binary | base64
        self.assertEqual(formats.hashed_token("ghp_0000"), "oUSKIQqhqF1Qw2IMvtrtIoSI/Bujx+fR319gn9S1Ypk=")

    def test_squid_line_layout(self):
        line = formats.squid(1763600000.5, 42, "10.0.0.1", "TCP_MISS", 200, 1234, "GET", "https://github.com/x",
                             "alice", "HIER_DIRECT", "140.82.112.3", "text/html", 321)
        self.assertEqual(line, "1763600000.500     42 10.0.0.1 TCP_MISS/200 1234 GET https://github.com/x alice "
                               "HIER_DIRECT/140.82.112.3 text/html 321")
        default = formats.squid(1763600000.5, 42, "10.0.0.1", "TCP_MISS", 200, 1234, "GET", "https://github.com/x",
                                None, "HIER_DIRECT", "140.82.112.3", None, 321, with_request_size=False)
        self.assertTrue(default.endswith(" - HIER_DIRECT/140.82.112.3 -"))

    def test_bind_line_layout(self):
        self.assertEqual(formats.bind_query(clock.at(3, 6, 2, 3.25), 0x7F3A912C0100, "10.40.0.20", 33647,
                                            "api.github.com", "A", "+E(0)K", "10.0.0.53"),
                         "20-Nov-2025 06:02:03.250 queries: info: client @0x7f3a912c0100 10.40.0.20#33647 "
                         "(api.github.com): query: api.github.com IN A +E(0)K (10.0.0.53)")


class DeterminismTests(unittest.TestCase):
    def test_files_match_the_committed_checksums(self):
        committed = os.path.join(generate.SAMPLES, "SHA256SUMS")
        with open(committed, encoding="utf-8") as f:
            want = f.read()
        with open(os.path.join(OUT, "SHA256SUMS"), encoding="utf-8") as f:
            got = f.read()
        self.assertEqual(got, want, "the generator's output changed: if intended, regenerate with "
                                    "`python3 Benchmarks/dataset/generate.py --update-samples` and commit")

    def test_small_files_match_the_committed_samples(self):
        for name in ("context.yaml", "intel.csv", "intel.stix.json", "manifest.json"):
            with open(os.path.join(OUT, name), "rb") as a, open(os.path.join(generate.SAMPLES, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    def test_company_is_a_function_of_the_seed(self):
        a, b = company.Company("s1"), company.Company("s1")
        self.assertEqual([(p.username, p.gh_login, p.cred.hashed if p.cred else None) for p in a.people],
                         [(p.username, p.gh_login, p.cred.hashed if p.cred else None) for p in b.people])
        self.assertNotEqual([p.username for p in a.people], [p.username for p in company.Company("s2").people])


SQUID = re.compile(r"^\d{10}\.\d{3} +\d+ [0-9a-f.:]+ [A-Z_]+/\d{3} \d+ [A-Z]+ \S+ \S+ [A-Z_]+/\S+ \S+ \d+$")
BIND = re.compile(r"^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} queries: info: client @0x[0-9a-f]+ "
                  r"[0-9a-f.:]+#\d+ \((\S+)\): query: (\S+) IN [A-Z]+ [+-][A-Z()0-9]* \(10\.0\.0\.53\)$")


class NativeFormatTests(unittest.TestCase):
    def test_squid(self):
        bad = [l for l in lines("squid-access.log") if not SQUID.match(l)]
        self.assertEqual(bad[:3], [])

    def test_bind(self):
        for l in lines("bind-queries.log"):
            m = BIND.match(l)
            self.assertTrue(m, l)
            self.assertEqual(m.group(1), m.group(2))

    def test_github_audit(self):
        required = {"@timestamp", "_document_id", "action", "actor", "actor_id", "actor_location", "business",
                    "created_at"}
        ids = set()
        last = 0
        for l in lines("github-audit.jsonl"):
            e = json.loads(l)
            self.assertTrue(required <= set(e), l)
            self.assertEqual(list(e), sorted(e))
            self.assertNotIn(e["_document_id"], ids)
            ids.add(e["_document_id"])
            self.assertGreaterEqual(e["@timestamp"], last)
            last = e["@timestamp"]
            if e["action"].startswith("git.") and e["transport_protocol_name"] == "http":
                self.assertIn(e["programmatic_access_type"], company.PROG.values())
                self.assertRegex(e["hashed_token"], r"^[A-Za-z0-9+/]{43}=$")

    def test_audit_events_are_complete_and_in_kernel_order(self):
        """SYSCALL, EXECVE, CWD, PATH..., PROCTITLE, EOE per event; serials grow on each node."""
        order = {"SYSCALL": 0, "EXECVE": 1, "CWD": 2, "PATH": 3, "PROCTITLE": 4, "EOE": 5}
        cur, prev = None, -1
        serials = {}
        for l in lines("audit.log"):
            m = re.match(r"^node=(\S+) type=([A-Z_]+) msg=audit\((\d+\.\d{3}):(\d+)\):", l)
            self.assertTrue(m, l)
            key = (m.group(1), m.group(4))
            t = m.group(2)
            if t in ("USER_ACCT", "CRED_ACQ", "USER_LOGIN", "USER_START"):
                self.assertIsNone(cur, l)
                self.assertGreater(int(m.group(4)), serials.get(m.group(1), 0), l)
                serials[m.group(1)] = int(m.group(4))
                continue
            if cur is None:
                self.assertEqual(t, "SYSCALL", l)
                self.assertGreater(int(m.group(4)), serials.get(m.group(1), 0), l)
                serials[m.group(1)] = int(m.group(4))
                cur, prev = key, 0
                continue
            self.assertEqual(key, cur, l)
            self.assertGreaterEqual(order[t], prev, l)
            prev = order[t]
            if t == "EOE":
                cur = None
        self.assertIsNone(cur)


class ManifestTests(unittest.TestCase):
    def test_every_cited_record_is_where_the_manifest_says(self):
        cache = {}
        for story in MANIFEST["attacks"] + [b for b in MANIFEST["bait"] if "events" in b]:
            refs = story["events"] if isinstance(story["events"], list) else [r for v in story["events"].values() for r in v]
            self.assertTrue(refs, story["id"])
            for r in refs:
                if r["file"] not in cache:
                    cache[r["file"]] = lines(r["file"])
                text = cache[r["file"]]
                first = text[r["line"] - 1]
                if "_document_id" in r:
                    self.assertEqual(json.loads(first)["_document_id"], r["_document_id"])
                if "audit_event" in r:
                    node, serial = r["audit_event"].split(":")
                    last = r.get("last_line", r["line"])
                    for l in text[r["line"] - 1:last]:
                        self.assertTrue(l.startswith("node=%s " % node) and (":%s):" % serial) in l, l)
                    if last > r["line"]:
                        self.assertIn("type=EOE", text[last - 1])

    def test_expected_alerts_name_the_issue_rules(self):
        rules = {"github_pat_mass_clone", "github_bulk_clone", "repo_archive_mass_download",
                 "github_token_then_bulk_clone", "github_token_new_origin", "github_repo_exposure",
                 "github_new_repo_push", "repo_upload_volume", "repo_upload_unsanctioned", "repo_domain_first_seen",
                 "archive_staging_then_upload", "repo_push_unsanctioned", "repo_exfil_chain"}
        got = {a["rule"] for a in MANIFEST["expected_alerts"]}
        self.assertEqual(got, rules, "every rule of the pack has at least one planted trigger")
        for b in MANIFEST["bait"]:
            self.assertTrue(set(b["must_not_trigger"]) <= rules, b["id"])
        for a in MANIFEST["expected_alerts"]:
            self.assertIn(a["severity"], ("low", "medium", "high", "critical"))

    def test_planted_events_are_on_the_last_day_after_learning(self):
        until = clock.DAY0 + 72 * 3600
        for s in MANIFEST["attacks"]:
            self.assertGreaterEqual(s["time"]["from"], clock.iso(until), s["id"])

    def test_every_file_starts_in_the_first_minutes(self):
        first = {"github-audit.jsonl": lambda l: json.loads(l)["@timestamp"] / 1000.0,
                 "squid-access.log": lambda l: float(l.split()[0])}
        for name, ts in first.items():
            with open(os.path.join(OUT, name), encoding="utf-8") as f:
                self.assertLess(ts(f.readline()) - clock.DAY0, 900, name)


def planted_actors():
    return {s["entities"].get("github_login") for s in MANIFEST["attacks"]} - {None}


class FactsTests(unittest.TestCase):
    """Thresholds from issue 13's rule table."""

    def test_pat_clones(self):
        pat = FACTS["clones"]["pat_like"]
        c = company.Company(MANIFEST["seed"])
        self.assertGreaterEqual(pat[c.by_user["jliu"].gh_login][0], 50)
        self.assertGreaterEqual(pat[c.by_user["nkowalski"].gh_login][0], 25)
        self.assertTrue(10 <= pat[c.by_user["rgordon"].gh_login][0] < 25)
        benign = {a: v[0] for a, v in pat.items() if a not in planted_actors() and a != c.release_bot}
        self.assertLess(max(benign.values()), 10, sorted(benign.items(), key=lambda kv: -kv[1])[:3])
        self.assertGreaterEqual(pat[c.release_bot][0], 25, "the allowlisted machine user is the noisy one")
        intel = {"priya-mehta": 7, "lfischer-dev": 6}
        for a, n in intel.items():
            self.assertEqual(pat[a][0], n)

    def test_any_credential_clones(self):
        anyc = FACTS["clones"]["any"]
        c = company.Company(MANIFEST["seed"])
        self.assertGreaterEqual(anyc[c.by_user["jliu"].gh_login][0], 60)
        humans = {a: v[0] for a, v in anyc.items()
                  if a not in planted_actors() and not a.endswith("[bot]") and a != c.release_bot}
        self.assertLess(max(humans.values()), 25)
        bots = {a: v[0] for a, v in anyc.items() if a.endswith("[bot]")}
        self.assertLess(max(bots.values()), 100)
        self.assertGreaterEqual(max(bots.values()), 60, "CI bots are noisy")

    def test_archive_downloads(self):
        ad = FACTS["archive_downloads"]
        self.assertEqual(ad[("actor", "junliu-pay")][0], 8)
        benign = [v[0] for k, v in ad.items() if k != ("actor", "junliu-pay")]
        self.assertLessEqual(max(benign), 5)

    def test_token_grants(self):
        big = {(g["actor"]) for g in FACTS["token_grants"] if g["distinct_private_clones_30m"] > 5}
        self.assertEqual(big, {"ninak"})

    def test_exposures(self):
        public = [e for e in FACTS["exposures"] if e["visibility"] == "public"
                  or e["action"] in ("repo.transfer", "migration.create", "private_repository_forking.enable")]
        self.assertEqual([(e["repo"], e["previous_visibility"]) for e in public], [("acme/ml-feature-store", "private")])

    def test_new_repo_push(self):
        hits = [x for x in FACTS["new_repo_push"] if x["created_with_token"]]
        self.assertEqual([x["repo"] for x in hits], ["acme/Shai-Hulud"])
        self.assertTrue(hits[0]["public"])
        self.assertIn("acme/payments-reconciler", [x["repo"] for x in FACTS["new_repo_push"]])

    def test_token_new_origins(self):
        c = company.Company(MANIFEST["seed"])
        toks = {x["hashed_token"] for x in FACTS["token_new_origins"][0]}
        self.assertEqual(toks, {c.by_user["jliu"].cred.hashed, c.by_user["tvoss"].cred.hashed})

    def test_unsanctioned_uploads(self):
        got = sorted({(u["host"], u["namespace"]) for u in FACTS["unsanctioned_uploads"]})
        self.assertEqual(got, [("build-03", "github.com/ryang-dev"), ("fin-report-01", "github.com/xk-backup-7741"),
                               ("lt-nkowalski", "github.com/ninak")])

    def test_first_seen(self):
        self.assertEqual([(x["host"], x["domain"]) for x in FACTS["first_seen"]], [("fin-report-01", "api.github.com")])

    def test_archive_then_upload(self):
        interactive = sorted({x["host"] for x in FACTS["archive_then_upload"] if x["interactive"]})
        self.assertEqual(interactive, ["build-03", "lt-nkowalski"])
        others = {x["role"] for x in FACTS["archive_then_upload"] if not x["interactive"] and x["host"] != "build-03"}
        self.assertEqual(others, {"ci_runner"}, "only CI jobs (release uploads, cache saves before the release train)")
        a2 = clock.at(clock.LAST, 21, 17, 30.0)
        for x in FACTS["archive_then_upload"]:
            if x["host"] == "build-03" and not x["interactive"]:
                # Jenkins keeps building on build-03 during A2: its artifact tar precedes rgordon's upload
                self.assertEqual(x["user"], "jenkins")
                self.assertLessEqual(x["ts"], a2)
                self.assertGreaterEqual(x["ts"] + 1800, a2)

    def test_unsanctioned_git(self):
        self.assertEqual([(x["host"], x["namespaces"], x["credentials_in_url"]) for x in FACTS["unsanctioned_git"]],
                         [("build-03", ["github.com/ryang-dev"], True)])

    def test_upload_volume(self):
        learn = int((FACTS["learn_until"] - clock.DAY0) // 3600)
        planted = {"build-03", "fin-report-01", "lt-nkowalski"}
        for host, hours in FACTS["upload_hours"].items():
            learned = facts.p95([hours.get(h, 0) for h in range(learn)])
            last = max([hours.get(h, 0) for h in range(learn, learn + 24)])
            if host in planted:
                self.assertGreater(last, 300_000_000, host)
                self.assertGreater(last, 1000 * max(learned, 1), host)
            else:
                self.assertTrue(last <= 20_000_000 or last <= 5 * learned, (host, last, learned))
                self.assertLess(last, 300_000_000, host)


if __name__ == "__main__":
    unittest.main()

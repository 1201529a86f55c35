import Foundation
import SluiceTestSupport
import XCTest

/// The pipelines shipped in `Pipelines/` (collector.yaml is also the embedded default and the
/// packaged /etc/sluice/sluice.yaml): they validate with every switch off and on, and the
/// collector runs as operators start it, receiving syslog from `logger` and files, writing
/// events and the rule pack's alerts.
final class ShippedPipelinesTests: XCTestCase {
    var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// A configuration folder as an operator keeps it: context and intel from the Acme day,
    /// and (when `tls`) a server certificate made by openssl.
    func configDir(_ dir: URL, tls: Bool = false) throws -> URL {
        let etc = dir.appendingPathComponent("etc")
        try FileManager.default.createDirectory(at: etc.appendingPathComponent("intel"), withIntermediateDirectories: true)
        let day = packageRoot.appendingPathComponent("Pipelines/samples/day")
        try FileManager.default.copyItem(at: day.appendingPathComponent("context.yaml"), to: etc.appendingPathComponent("context.yaml"))
        try FileManager.default.copyItem(at: day.appendingPathComponent("intel.csv"), to: etc.appendingPathComponent("intel/intel.csv"))
        if tls {
            let tlsDir = etc.appendingPathComponent("tls")
            try FileManager.default.createDirectory(at: tlsDir, withIntermediateDirectories: true)
            let r = try runProcess("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                                                    "-subj", "/CN=collector.test", "-keyout", tlsDir.appendingPathComponent("server.key").path,
                                                    "-out", tlsDir.appendingPathComponent("server.pem").path])
            guard r.status == 0 else { throw MissingTestDependency("openssl could not make a certificate (make deps installs openssl)") }
            // The HEC receiver of github-audit.yaml uses the same pair.
            try FileManager.default.copyItem(at: tlsDir.appendingPathComponent("server.pem"), to: tlsDir.appendingPathComponent("hec.pem"))
            try FileManager.default.copyItem(at: tlsDir.appendingPathComponent("server.key"), to: tlsDir.appendingPathComponent("hec.key"))
        }
        return etc
    }

    func validate(_ pipeline: String, _ env: [String: String], in dir: URL) throws -> (Int32?, String) {
        let (status, out, err) = try SluiceProcess.run(["validate", "--config", packageRoot.appendingPathComponent(pipeline).path],
                                                       directory: dir, environment: env)
        return (status, out + err)
    }

    func testShippedPipelinesValidateWithEverySwitchOffAndOn() throws {
        let dir = makeTempDir()
        let etc = try configDir(dir, tls: true)
        for pipeline in ["Pipelines/collector.yaml", "Pipelines/github-audit.yaml", "Pipelines/demo.yaml"] {
            let (status, out) = try validate(pipeline, ["SLUICE_CONFIG_DIR": etc.path], in: dir)
            XCTAssertEqual(status, 0, "\(pipeline): \(out)")
        }
        // Collector: TLS listener and CEF to the SIEM switched on; both are checked then.
        var (status, out) = try validate("Pipelines/collector.yaml", ["SLUICE_CONFIG_DIR": etc.path, "SLUICE_SYSLOG_TLS": "true",
                                                                     "SLUICE_SIEM_CEF": "true", "SLUICE_SIEM_ADDRESS": "127.0.0.1:6514"], in: dir)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("(9 sources, 10 transforms, 4 sinks)"), out)
        (status, out) = try validate("Pipelines/collector.yaml", ["SLUICE_CONFIG_DIR": etc.path], in: dir)
        XCTAssertTrue(out.contains("not enabled: syslog_tls, siem_cef"), out)
        // TLS on without certificates: the error names the component and the line.
        (status, out) = try validate("Pipelines/collector.yaml", ["SLUICE_CONFIG_DIR": dir.appendingPathComponent("none").path,
                                                                 "SLUICE_SYSLOG_TLS": "true"], in: dir)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(out.contains("collector.yaml:") && out.contains("component 'syslog_tls'"), out)
        // GitHub audit: every way in switched on.
        (status, out) = try validate("Pipelines/github-audit.yaml", ["SLUICE_CONFIG_DIR": etc.path, "SLUICE_GITHUB_HEC": "true",
                                                                    "SLUICE_HEC_TOKEN": "8c5b0f0e-6c1e-4d2a-9a57-0b0b6c1f5e11",
                                                                    "SLUICE_HEC_TLS": "true", "SLUICE_GITHUB_API": "true",
                                                                    "SLUICE_GITHUB_ORG": "acme"], in: dir)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("(4 sources, 4 transforms, 4 sinks)"), out)
        // The HEC receiver on without a token is an error, not a listener anyone can write to.
        (status, out) = try validate("Pipelines/github-audit.yaml", ["SLUICE_CONFIG_DIR": etc.path, "SLUICE_GITHUB_HEC": "true"], in: dir)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(out.contains("SLUICE_HEC_TOKEN"), out)
    }

    /// Twelve clones of distinct private repositories with one classic PAT in four minutes.
    func patMassClone(from start: Int64) -> String {
        let repos = ["payments-api", "ledger-core", "fraud-rules", "billing-docs", "auth-service", "kyc-worker",
                     "risk-models", "web-checkout", "ios-app", "android-app", "infra-terraform", "k8s-manifests"]
        return repos.enumerated().map { i, r in
            let t = start + Int64(i) * 20_000
            return #"{"@timestamp":\#(t),"_document_id":"clone-\#(i)","action":"git.clone","actor":"junliu-pay","actor_id":178926743,"actor_ip":"198.51.100.77","actor_location":{"country_code":"US"},"business":"acme-corp","created_at":\#(t),"hashed_token":"gzwPTFlP25xNOxzAHgqFCtI7iPXDuzhWWvOU3McLMrY=","org":"acme","programmatic_access_type":"Personal access token (classic)","repo":"acme/\#(r)","repository":"acme/\#(r)","repository_public":false,"token_id":501751372,"token_scopes":"repo,workflow","transport_protocol":1,"transport_protocol_name":"http","user_agent":"go-git/5.x"}"#
        }.joined(separator: "\n") + "\n"
            // The stream goes on (another developer's clone 6 minutes later): event time passes
            // the detect stage's allowed lateness (2 minutes) beyond the burst.
            + #"{"@timestamp":\#(start + 360_000),"_document_id":"clone-later","action":"git.clone","actor":"carol","actor_ip":"203.0.113.10","org":"acme","repo":"acme/mobile-app","repository_public":false,"programmatic_access_type":"GitHub App server-to-server token","transport_protocol_name":"http","user_agent":"git/2.43.0"}"# + "\n"
    }

    func logger(_ args: [String]) throws {
        let r = try runProcess("/usr/bin/env", ["logger"] + args)
        XCTAssertEqual(r.status, 0, "logger \(args): \(r.err)")
    }

    func testCollectorIsTheEmbeddedDefaultAndFindsAMassCloneWhileForwardingSyslogAndFiles() throws {
        guard !FileManager.default.fileExists(atPath: "/etc/sluice/sluice.yaml") else {
            throw XCTSkip("/etc/sluice/sluice.yaml exists: `sluice run` would use it instead of the embedded default")
        }
        let dir = makeTempDir()
        let etc = try configDir(dir)
        let out = dir.appendingPathComponent("out"), logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let audit = logs.appendingPathComponent("github-audit.log"), squid = logs.appendingPathComponent("access.log")
        try patMassClone(from: 1_763_608_320_000).write(to: audit, atomically: false, encoding: .utf8)
        try "1763608400.123    182 10.20.30.41 TCP_TUNNEL/200 6120 CONNECT github.com:443 - HIER_DIRECT/140.82.112.3 - 48213\n"
            .write(to: squid, atomically: false, encoding: .utf8)
        let port = TCPReceiver().port, apiPort = TCPReceiver().port
        let p = try SluiceProcess(["run"], directory: dir, environment: [
            "SLUICE_DATA_DIR": dir.appendingPathComponent("state").path, "SLUICE_CONFIG_DIR": etc.path,
            "SLUICE_OUTPUT_DIR": out.path, "SLUICE_SYSLOG_PORT": "\(port)", "SLUICE_JOURNALD": "false",
            "SLUICE_API_ADDRESS": "127.0.0.1:\(apiPort)",
            "SLUICE_GITHUB_AUDIT_LOG": audit.path, "SLUICE_SQUID_LOG": squid.path,
            "SLUICE_BIND_QUERY_LOG": logs.appendingPathComponent("query.log").path,
            "SLUICE_DNSMASQ_LOG": logs.appendingPathComponent("dnsmasq.log").path,
            "SLUICE_AUDIT_LOG": logs.appendingPathComponent("audit.log").path,
        ])
        let alerts = out.appendingPathComponent("alerts.json"), events = out.appendingPathComponent("events.json")
        func text(_ u: URL) -> String { (try? String(contentsOf: u, encoding: .utf8)) ?? "" }
        XCTAssertTrue(waitUntil(timeout: 60) { text(alerts).contains(#""github_pat_mass_clone""#) },
                      "no mass-clone alert; stderr: \(p.stderr.suffix(3000))")
        XCTAssertTrue(Loopback.canConnect(port), "the TCP syslog listener is not up")
        try logger(["--server", "127.0.0.1", "--port", "\(port)", "--udp", "-t", "sshd", "udp-collector-probe from 203.0.113.9"])
        try logger(["--server", "127.0.0.1", "--port", "\(port)", "--tcp", "--rfc5424", "-t", "sudo", "tcp-collector-probe"])
        XCTAssertTrue(waitUntil(timeout: 30) {
            let t = text(events)
            return t.contains("udp-collector-probe") && t.contains("tcp-collector-probe") && t.contains(#""clone-11""#)
                && t.contains("HIER_DIRECT/140.82.112.3")
        }, "events.json lacks the syslog messages, the audit events or the proxy line: \(text(events).suffix(2000))")
        // Enriched on the way: the repo-services catalog names GitHub in the proxy event.
        XCTAssertTrue(text(events).contains(#""github""#), "proxy event not enriched")
        // Health as `sluice top` and monitoring read it: every component running.
        let health = httpGet(port: apiPort, "/health")
        XCTAssertTrue(health.contains("\"detect\"") && health.contains("\"syslog_udp\"") && health.hasSuffix("\n200"), health)
        XCTAssertFalse(health.contains("syslog_tls"), "a component that is not enabled is not reported: \(health)")
        p.signal(SIGTERM)
        XCTAssertEqual(p.wait(timeout: 30), 0, p.stderr.suffix(2000).description)
        let firing = text(alerts).split(separator: "\n").filter { $0.contains(#""github_pat_mass_clone""#) }
        XCTAssertEqual(firing.count, 1, "one alert for one burst: \(firing)")
        XCTAssertTrue(firing.first?.contains("junliu-pay") ?? false)
        // Missing optional enrichment files are not errors; dead letters stay empty.
        XCTAssertEqual(text(out.appendingPathComponent("dead-letter.json")), "")
    }
}

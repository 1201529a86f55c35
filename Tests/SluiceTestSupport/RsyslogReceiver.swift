import Foundation

/// A real rsyslog (`rsyslogd -n`) listening on 127.0.0.1 with its own configuration: imtcp
/// (optionally TLS through rsyslog-gnutls, certificates made with `openssl`), writing every
/// message twice: raw (`%rawmsg%`) and parsed (`app-name|procid|facility|severity|hostname|msg`).
public final class RsyslogReceiver {
    public let dir: String
    /// The port it listens on: chosen free at init; moved once more if another process took
    /// it before rsyslogd bound it (see `start`).
    public private(set) var port: Int
    public let tls: Bool
    private let clientCertificates: Bool
    /// Whether `port` was chosen here (and may be moved) rather than given.
    private let portChosen: Bool
    /// Whether rsyslogd has listened once: a restart keeps the port clients were given.
    private var listened = false
    public private(set) var process: Process?
    public var rawPath: String { dir + "/raw.log" }
    public var parsedPath: String { dir + "/parsed.log" }
    public var caPath: String { dir + "/ca.pem" }

    /// `clientCertificates`: TLS with `x509/certvalid`, so a client must show a certificate
    /// signed by the test CA.
    public init(tls: Bool = false, clientCertificates: Bool = false, port: Int? = nil) throws {
        guard let _ = which("rsyslogd") else { throw MissingTestDependency("rsyslog not installed (listed in .ci/apt-packages)") }
        if tls && !FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so")
            && !FileManager.default.fileExists(atPath: "/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_gtls.so") {
            throw MissingTestDependency("rsyslog-gnutls not installed (listed in .ci/apt-packages)")
        }
        self.dir = tempDir("rsyslog")
        self.port = port ?? Loopback.freePort()
        self.portChosen = port == nil
        self.tls = tls
        self.clientCertificates = clientCertificates
        if tls { try Self.makeCertificates(in: dir) }
        try writeConfiguration()
    }

    private func writeConfiguration() throws {
        var global = "global(workDirectory=\"\(dir)\" maxMessageSize=\"128k\""
        var module = "module(load=\"imtcp\""
        if tls {
            global += " defaultNetstreamDriverCAFile=\"\(dir)/ca.pem\" defaultNetstreamDriverCertFile=\"\(dir)/server.pem\" defaultNetstreamDriverKeyFile=\"\(dir)/server.key\""
            module += " streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"\(clientCertificates ? "x509/certvalid" : "anon")\""
        }
        global += ")"
        module += ")"
        let conf = """
        \(global)
        \(module)
        template(name="raw" type="string" string="%rawmsg%\\n")
        template(name="parsed" type="string" string="%app-name%|%procid%|%syslogfacility%|%syslogseverity%|%hostname%|%msg%\\n")
        ruleset(name="in") {
          action(type="omfile" file="\(dir)/raw.log" template="raw")
          action(type="omfile" file="\(dir)/parsed.log" template="parsed")
        }
        input(type="imtcp" address="127.0.0.1" port="\(port)" ruleset="in")
        """
        try conf.write(toFile: dir + "/rsyslog.conf", atomically: true, encoding: .utf8)
    }

    /// Makes a CA and a server certificate for `localhost` (DNS name only, so a host-name check can fail) with openssl (EC P-256).
    public static func makeCertificates(in dir: String) throws {
        guard let openssl = which("openssl") else { throw MissingTestDependency("openssl not installed") }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try check(runProcess(openssl, ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Sluice Test CA"], cwd: dir))
        try check(runProcess(openssl, ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], cwd: dir))
        try "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n".write(toFile: dir + "/ext.cnf", atomically: true, encoding: .utf8)
        try check(runProcess(openssl, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                                            "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"], cwd: dir))
        try check(runProcess(openssl, ["req"] + ec + ["-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=sluice-agent"], cwd: dir))
        try "extendedKeyUsage=clientAuth\n".write(toFile: dir + "/client.cnf", atomically: true, encoding: .utf8)
        try check(runProcess(openssl, ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                                            "-out", "client.pem", "-days", "2", "-extfile", "client.cnf"], cwd: dir))
    }

    static func check(_ r: ProcessResult) throws {
        if r.status != 0 { throw NSError(domain: "openssl", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.err]) }
    }

    /// Starts rsyslogd and waits until it accepts connections. The port was free when it was
    /// chosen, but the certificates are made in between and the other shards' connections
    /// take ephemeral ports too: when rsyslogd does not listen and the port was chosen here
    /// (and never handed out by a start that listened), it is stopped and started again on
    /// another free port, up to three times.
    public func start() throws {
        for attempt in 1...3 {
            if attempt > 1 || (portChosen && !listened && !Loopback.isFree(port)) {
                port = Loopback.freePort()
                try writeConfiguration()
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: which("rsyslogd")!)
            p.arguments = ["-n", "-f", dir + "/rsyslog.conf", "-i", dir + "/rsyslogd.pid"]
            p.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: dir + "/rsyslogd.err", contents: nil)
            p.standardError = FileHandle(forWritingAtPath: dir + "/rsyslogd.err")
            try p.run()
            process = p
            if waitUntil(timeout: 10, { Loopback.canConnect(port) }) {
                listened = true
                return
            }
            let e = (try? String(contentsOfFile: dir + "/rsyslogd.err", encoding: .utf8)) ?? ""
            stop()
            guard portChosen, !listened, attempt < 3 else {
                throw NSError(domain: "rsyslog", code: 1, userInfo: [NSLocalizedDescriptionKey: "rsyslogd did not listen on \(port): \(e)"])
            }
        }
    }

    public func stop() {
        guard let p = process else { return }
        p.terminate()
        p.waitUntilExit()
        process = nil
        try? FileManager.default.removeItem(atPath: dir + "/rsyslogd.pid")
    }

    deinit { stop() }

    public func lines(_ path: String) -> [String] {
        guard let d = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: d, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    public var parsed: [String] { lines(parsedPath) }
    public var raw: [String] { lines(rawPath) }

    /// The parsed lines once there are at least `n` of them (or all there are after `timeout`).
    public func waitForLines(_ n: Int, timeout: Double = 10) -> [String] {
        _ = waitUntil(timeout: timeout) { parsed.count >= n }
        return parsed
    }
}

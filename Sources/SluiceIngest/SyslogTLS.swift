import Foundation
import NIOSSL
import SluiceCore

/// TLS settings of a syslog listener (RFC 5425) and the current server context.
///
/// Guarantees: TLS 1.2 is the minimum (`min_version` raises it to 1.3, never lowers it);
/// when a `ca_file` is configured, clients are verified: a client must present a
/// certificate that chains to it or the handshake fails (a CA is never only advertised);
/// `reload()` builds a new
/// context from the files and swaps it in atomically (new connections use it, open ones
/// keep theirs); a reload that fails keeps the old context and reports the error.
public final class SyslogTLS: Sendable {
    public let certFile: String
    public let keyFile: String
    public let caFile: String?
    public let verifyClient: Bool
    public let minimumVersion: TLSVersion
    private let current: Locked<NIOSSLContext>

    /// `verifyClient` defaults to whether a CA is given: a configured CA means verify.
    public init(certFile: String, keyFile: String, caFile: String?, verifyClient: Bool? = nil,
                minimumVersion: TLSVersion = .tlsv12) throws {
        self.certFile = certFile; self.keyFile = keyFile; self.caFile = caFile
        self.verifyClient = verifyClient ?? (caFile != nil)
        self.minimumVersion = minimumVersion == .tlsv13 ? .tlsv13 : .tlsv12
        current = Locked(try Self.makeContext(certFile: certFile, keyFile: keyFile, caFile: caFile,
                                        verifyClient: self.verifyClient, minimumVersion: self.minimumVersion))
    }

    public var context: NIOSSLContext { current.withLock { $0 } }

    /// The `tls:` block of a listener (syslog, HEC): `cert_file`, `key_file`, `ca_file`,
    /// `verify_client` (default: whether `ca_file` is set — a configured CA means verify;
    /// `ca_file` with `verify_client: false` is an error), `min_version` ("1.2" default, or
    /// "1.3"). Problems are reported on `t`; nil when the files cannot be loaded.
    public static func read(_ t: ComponentOptions) -> SyslogTLS? {
        let cert = t.requiredString("cert_file"), key = t.requiredString("key_file")
        let ca = t.string("ca_file")
        let verify = t.bool("verify_client", default: ca != nil)
        if verify && ca == nil { t.fail("verify_client needs ca_file", at: "verify_client") }
        if !verify && ca != nil {
            t.fail("ca_file is only used to verify clients; remove it, or remove 'verify_client: false'", at: "verify_client")
        }
        var minVersion = TLSVersion.tlsv12
        switch t.string("min_version", default: "1.2") {
        case "1.2", "TLSv1.2": minVersion = .tlsv12
        case "1.3", "TLSv1.3": minVersion = .tlsv13
        case let v: t.fail("min_version must be \"1.2\" or \"1.3\" (TLS below 1.2 is not offered), got \"\(v)\"", at: "min_version")
        }
        guard !cert.isEmpty, !key.isEmpty else { return nil }
        do {
            return try SyslogTLS(certFile: cert, keyFile: key, caFile: ca, verifyClient: verify, minimumVersion: minVersion)
        } catch {
            t.fail("cannot load TLS certificate/key: \(error)")
            return nil
        }
    }

    /// Re-reads the certificate, key and CA files.
    public func reload() throws {
        let c = try Self.makeContext(certFile: certFile, keyFile: keyFile, caFile: caFile, verifyClient: verifyClient,
                                     minimumVersion: minimumVersion)
        current.withLock { $0 = c }
    }

    static func makeContext(certFile: String, keyFile: String, caFile: String?, verifyClient: Bool,
                            minimumVersion: TLSVersion = .tlsv12) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certFile).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        config.minimumTLSVersion = minimumVersion
        if verifyClient {
            config.certificateVerification = .noHostnameVerification
            if let ca = caFile { config.trustRoots = .file(ca) }
        }
        return try NIOSSLContext(configuration: config)
    }
}

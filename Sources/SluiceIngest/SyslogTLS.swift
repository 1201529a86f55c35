import Foundation
import NIOSSL

/// TLS settings of a syslog listener (RFC 5425) and the current server context.
///
/// Guarantees: TLS 1.2 is the minimum (`min_version` raises it to 1.3, never lowers it);
/// when a `ca_file` is configured, clients are verified: a client must present a
/// certificate that chains to it or the handshake fails (a CA is never only advertised);
/// `reload()` builds a new
/// context from the files and swaps it in atomically (new connections use it, open ones
/// keep theirs); a reload that fails keeps the old context and reports the error.
public final class SyslogTLS: @unchecked Sendable {
    public let certFile: String
    public let keyFile: String
    public let caFile: String?
    public let verifyClient: Bool
    public let minimumVersion: TLSVersion
    private let lock = NSLock()
    private var _context: NIOSSLContext

    /// `verifyClient` defaults to whether a CA is given: a configured CA means verify.
    public init(certFile: String, keyFile: String, caFile: String?, verifyClient: Bool? = nil,
                minimumVersion: TLSVersion = .tlsv12) throws {
        self.certFile = certFile; self.keyFile = keyFile; self.caFile = caFile
        self.verifyClient = verifyClient ?? (caFile != nil)
        self.minimumVersion = minimumVersion == .tlsv13 ? .tlsv13 : .tlsv12
        _context = try Self.makeContext(certFile: certFile, keyFile: keyFile, caFile: caFile,
                                        verifyClient: self.verifyClient, minimumVersion: self.minimumVersion)
    }

    public var context: NIOSSLContext { lock.lock(); defer { lock.unlock() }; return _context }

    /// Re-reads the certificate, key and CA files.
    public func reload() throws {
        let c = try Self.makeContext(certFile: certFile, keyFile: keyFile, caFile: caFile, verifyClient: verifyClient,
                                     minimumVersion: minimumVersion)
        lock.lock(); _context = c; lock.unlock()
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

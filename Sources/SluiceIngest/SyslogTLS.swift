import Foundation
import NIOSSL

/// TLS settings of a syslog listener (RFC 5425) and the current server context.
///
/// Guarantees: TLS 1.2 is the minimum; with `verify_client` the client must present a
/// certificate that chains to `ca_file` or the handshake fails; `reload()` builds a new
/// context from the files and swaps it in atomically (new connections use it, open ones
/// keep theirs); a reload that fails keeps the old context and reports the error.
public final class SyslogTLS: @unchecked Sendable {
    public let certFile: String
    public let keyFile: String
    public let caFile: String?
    public let verifyClient: Bool
    private let lock = NSLock()
    private var _context: NIOSSLContext

    public init(certFile: String, keyFile: String, caFile: String?, verifyClient: Bool) throws {
        self.certFile = certFile; self.keyFile = keyFile; self.caFile = caFile; self.verifyClient = verifyClient
        _context = try Self.makeContext(certFile: certFile, keyFile: keyFile, caFile: caFile, verifyClient: verifyClient)
    }

    public var context: NIOSSLContext { lock.lock(); defer { lock.unlock() }; return _context }

    /// Re-reads the certificate, key and CA files.
    public func reload() throws {
        let c = try Self.makeContext(certFile: certFile, keyFile: keyFile, caFile: caFile, verifyClient: verifyClient)
        lock.lock(); _context = c; lock.unlock()
    }

    static func makeContext(certFile: String, keyFile: String, caFile: String?, verifyClient: Bool) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certFile).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        config.minimumTLSVersion = .tlsv12
        if verifyClient {
            config.certificateVerification = .noHostnameVerification
            if let ca = caFile { config.trustRoots = .file(ca) }
        } else if let ca = caFile {
            // A CA without verify_client is only used to advertise acceptable issuers.
            config.trustRoots = .file(ca)
        }
        return try NIOSSLContext(configuration: config)
    }
}

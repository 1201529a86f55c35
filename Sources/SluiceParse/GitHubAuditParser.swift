import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Field keys the GitHub audit parser writes, interned once.
public enum GitHubKeys {
    public static let parent = FieldKey("github")
    public static let org = FieldKey("github.org")
    public static let repo = FieldKey("github.repo")
    public static let repositoryPublic = FieldKey("github.repository_public")
    public static let programmaticAccessType = FieldKey("github.programmatic_access_type")
    public static let tokenKind = FieldKey("github.token_kind")
    public static let hashedToken = FieldKey("github.hashed_token")
    public static let tokenID = FieldKey("github.token_id")
    public static let tokenScopes = FieldKey("github.token_scopes")
    public static let transportProtocolName = FieldKey("github.transport_protocol_name")
    public static let externalIdentityNameID = FieldKey("github.external_identity_nameid")
    public static let business = FieldKey("github.business")
    public static let documentID = FieldKey("github._document_id")
    public static let actorLocation = FieldKey("github.actor_location")
    public static let splunkHost = FieldKey("splunk.host")
    public static let splunkSource = FieldKey("splunk.source")
    public static let splunkSourcetype = FieldKey("splunk.sourcetype")
    public static let splunkIndex = FieldKey("splunk.index")
    static let countryCode = FieldKey("country_code")
}

/// Normalized kind of credential behind a GitHub audit event (`github.token_kind`).
///
/// Derived from `programmatic_access_type` (the values GitHub writes, e.g.
/// `Personal access token (classic)`, `Fine-grained personal access token`,
/// `OAuth access token`, `GitHub App server-to-server token`,
/// `GitHub App user-to-server token`, and for SSH `SSH key` / `Deploy key`) and, when that
/// is absent, from `transport_protocol_name: ssh` (an SSH key).
public enum GitHubTokenKind: String, Sendable, CaseIterable {
    case pat_classic, pat_fine_grained, oauth, app_installation, app_user, ssh_key, deploy_key, none, other

    /// Classifies a `programmatic_access_type` value (case-insensitive keyword match, so
    /// wording variants across GitHub versions still map) and the transport.
    public static func classify(accessType: String?, transport: String?) -> GitHubTokenKind {
        guard var raw = accessType else { return classify(accessTypeBytes: nil, transport: transport) }
        return raw.withUTF8 { classify(accessTypeBytes: $0, transport: transport) }
    }

    /// `classify(accessType:transport:)` over the value's UTF-8 bytes as they lie in the
    /// record (the parser keeps the value as a span and makes no `String` of it).
    public static func classify(accessTypeBytes raw: UnsafeBufferPointer<UInt8>?, transport: String?) -> GitHubTokenKind {
        if let raw, !raw.isEmpty {
            // The values GitHub writes today, compared byte for byte (no case folding).
            for (value, kind) in exact where equal(raw, value) { return kind }
            // Other wordings: ASCII case-folded keyword search over the bytes (no Foundation
            // string search on the parse path).
            var t = Array(raw)
            for i in t.indices where t[i] >= 0x41 && t[i] <= 0x5A { t[i] |= 0x20 }
            func has(_ k: StaticString) -> Bool { containsBytes(t, k) }
            if has("fine-grained") || has("fine grained") { return .pat_fine_grained }
            if has("personal access token") || has("personal_access_token") { return .pat_classic }
            if has("server-to-server") || has("installation") { return .app_installation }
            if has("user-to-server") { return .app_user }
            if has("oauth") { return .oauth }
            if has("deploy key") || has("deploy_key") { return .deploy_key }
            if has("ssh") { return .ssh_key }
            return .other
        }
        if let tr = transport, tr.utf8.count == 3, tr.lowercased() == "ssh" { return .ssh_key }
        return .none
    }

    /// Position in `allCases` (read from a copy made once: `allCases` builds its array anew).
    var ordinal: Int { Self.ordered.firstIndex(of: self)! }
    private static let ordered = allCases

    /// The `programmatic_access_type` values GitHub writes today.
    private static let exact: [(StaticString, GitHubTokenKind)] = [
        ("Personal access token (classic)", .pat_classic), ("Fine-grained personal access token", .pat_fine_grained),
        ("OAuth access token", .oauth), ("GitHub App server-to-server token", .app_installation),
        ("GitHub App user-to-server token", .app_user), ("SSH key", .ssh_key), ("Deploy key", .deploy_key),
    ]

    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: StaticString) -> Bool {
        a.count == b.utf8CodeUnitCount && memcmp(a.baseAddress!, b.utf8Start, a.count) == 0
    }

    /// Whether `hay` holds the bytes of `needle` (lower-case ASCII) as a contiguous run.
    private static func containsBytes(_ hay: [UInt8], _ needle: StaticString) -> Bool {
        let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard n.count > 0, hay.count >= n.count else { return n.count == 0 }
        var i = 0
        while i + n.count <= hay.count {
            if hay[i] == n[0] {
                var j = 1
                while j < n.count && hay[i + j] == n[j] { j += 1 }
                if j == n.count { return true }
            }
            i += 1
        }
        return false
    }
}

/// `github-audit`: GitHub enterprise/organization audit-log events as streamed or exported.
///
/// Accepts, per record: one JSON object; a JSON array of objects (an API page: one event per
/// element); a Splunk HEC envelope `{"event": {...}, "time": ..., "host": ...}` (the audit
/// object is `event`; `time` is used when the audit object carries no time; envelope
/// `host`/`source`/`sourcetype`/`index` go to `splunk.*`). Inside syslog, use the syslog
/// parser with `payload_format: github-audit`.
///
/// Mapping: `@timestamp` (epoch ms) or else `created_at` (epoch ms or RFC 3339) is the event
/// time; `action` → `event.action` (+ `event.category` by action family); `actor` →
/// `user.name` and `related.user`; `actor_ip` → `source.ip` and `related.ip`;
/// `actor_location.country_code` → `source.geo.country_iso_code`; `user_agent` →
/// `user_agent.original`; `repo`/`repository` → `github.repo`; `repository_public`/
/// `public_repo` → `github.repository_public`; `github.token_kind` is derived (see
/// `GitHubTokenKind`); every other member is kept verbatim as `github.<name>` (empty
/// strings and nulls are left out). Constant: `event.kind: event`, `event.module: github`,
/// `event.dataset: github.audit`.
///
/// Failures: `empty_record`, `invalid_json`, `not_an_object`, `missing_field` (no `action`),
/// `wrong_type` (`action`, `actor`, `actor_ip`, `@timestamp` of the wrong JSON type).
/// Member names the field registry refuses go to `sluice.overflow_fields`; an array's
/// events each keep only their own element as `event.original`.
public final class GitHubAuditParser: Parser {
    let interner: FieldKeyInterner
    /// Role of each `github.<name>` key by FieldKey id (`.keep`, verbatim, beyond the end).
    private let roles: [Role]
    private let envelopeKeys: [FieldKey]

    private enum Role: UInt8 {
        case keep = 0, timestamp, createdAt, action, actor, actorIP, actorLocation, userAgent, repo, repository,
             repoPublic, accessType, transport, event, envTime, envHost, envSource, envSourcetype, envIndex, skip
    }

    public init() {
        interner = FieldKeyInterner()
        predictor = MemberKeyPredictor(interner: interner, parent: GitHubKeys.parent)
        var table: [(String, Role)] = [
            ("@timestamp", .timestamp), ("created_at", .createdAt), ("action", .action), ("actor", .actor),
            ("actor_ip", .actorIP), ("actor_location", .actorLocation), ("user_agent", .userAgent),
            ("repo", .repo), ("repository", .repository), ("repository_public", .repoPublic),
            ("public_repo", .repoPublic), ("programmatic_access_type", .accessType),
            ("transport_protocol_name", .transport), ("event", .event), ("time", .envTime),
            ("host", .envHost), ("source", .envSource), ("sourcetype", .envSourcetype), ("index", .envIndex),
            ("fields", .skip),
        ]
        table.sort { $0.0 < $1.0 }
        var keys: [FieldKey] = []
        var roles: [Role] = []
        for (name, role) in table {
            let k = FieldKey("github." + name)
            keys.append(k)
            if roles.count <= Int(k.id) { roles += [Role](repeating: .keep, count: Int(k.id) + 1 - roles.count) }
            roles[Int(k.id)] = role
        }
        self.roles = roles
        envelopeKeys = keys
    }

    public convenience init(options o: ComponentOptions) { self.init() }


    /// Member names predicted from the member before them (audit events of one stream list
    /// their members in the same order): a byte compare instead of hashing in the interner.
    private let predictor: MemberKeyPredictor

    /// The `github.<name>` key for the member after the one `previous` stands for.
    @inline(__always)
    private func memberKey(_ name: UnsafeBufferPointer<UInt8>, after previous: inout UInt32) -> FieldKey? {
        predictor.key(name, after: &previous)
    }

    /// `github.token_kind` values, by `GitHubTokenKind.ordinal`.
    static let kindValues: [FieldValue] = GitHubTokenKind.allCases.map { FieldValue.string($0.rawValue) }
    static let kindEvent = FieldValue.string("event")
    static let moduleGitHub = FieldValue.string("github")
    static let datasetAudit = FieldValue.string("github.audit")

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        // Verbatim text members of one object stay spans of the record (zero-copy) when the
        // record lies inside the event's `original`.
        let spanBase = RecordCursor.spanBase(of: record, in: event)
        var pending: Event? = consume event  // one object: moved into the output, not copied
        try record.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            do {
                switch s.peek() {
                case UInt8(ascii: "{"):
                    output.append(try parseObject(&s, base: pending.take()!, spanBase: spanBase))
                case UInt8(ascii: "["):
                    s.index += 1
                    if s.peek() == UInt8(ascii: "]") { s.index += 1; break }
                    let base = record.startIndex
                    while true {
                        guard s.peek() == UInt8(ascii: "{") else { throw ParseFailure("not_an_object", "array element at byte \(s.index) is not an object") }
                        // Each event keeps only its own element as `event.original` (a slice
                        // of the record: no copy), never the whole array. No spans: they would
                        // be relative to the whole record, and are made strings when
                        // `original` is set.
                        let start = s.index
                        var element = try parseObject(&s, base: pending!)
                        element.original = record[(base + start)..<(base + s.index)]
                        output.append(element)
                        guard let c = s.peek() else { throw s.error("unexpected end of input in array") }
                        s.index += 1
                        if c == UInt8(ascii: ",") { continue }
                        if c == UInt8(ascii: "]") { break }
                        s.index -= 1; throw s.error("expected ',' or ']'")
                    }
                case nil:
                    throw ParseFailure("empty_record", "no JSON object")
                default:
                    throw ParseFailure("not_an_object", "expected a JSON object or array at byte \(s.index)")
                }
                s.skipWhitespace()
                guard s.atEnd else { throw s.error("unexpected data after the JSON value") }
            } catch let err as JSONError {
                throw ParseFailure("invalid_json", err.description)
            }
        }
    }

    /// Parses one audit object (or HEC envelope) at the scanner into a copy of `base`.
    /// `spanBase` (where the scanner's bytes start in `base.original`, or -1): when known,
    /// text members kept verbatim (and `user_agent`, `repo`, `programmatic_access_type`)
    /// without escapes become `.span`s of the record instead of new `String`s.
    func parseObject(_ s: inout JSONScanner, base: consuming Event, spanBase: Int = -1) throws -> Event {
        var e = base
        let fresh = e.fields.isEmpty
        // Room for the record's members (about 33 fields for a streamed-export record) and
        // what the enrichers add after (identity, asset and repository fields, intel): the
        // list is allocated once, not grown again in a later stage.
        e.fields.reserveCapacity(e.fields.count + 48)
        if !fresh { index.begin(e.fields) }
        s.overflow.removeAll()
        put(&e, ECS.eventKind, Self.kindEvent, fresh)
        put(&e, ECS.eventModule, Self.moduleGitHub, fresh)
        put(&e, ECS.eventDataset, Self.datasetAudit, fresh)
        var st = State()
        var envelope: [(FieldKey, FieldValue)] = []
        try readAudit(&s, into: &e, fresh: fresh, state: &st, envelope: &envelope, depth: 0, spanBase: spanBase)
        if st.sawEnvelope {
            if st.timestamp == nil, let t = st.envTime { st.timestamp = t }
            for (k, v) in envelope {
                switch roleOf(k) {
                case .envHost: put(&e, GitHubKeys.splunkHost, v, fresh)
                case .envSource: put(&e, GitHubKeys.splunkSource, v, fresh)
                case .envSourcetype: put(&e, GitHubKeys.splunkSourcetype, v, fresh)
                case .envIndex: put(&e, GitHubKeys.splunkIndex, v, fresh)
                default: break
                }
            }
        } else {
            // Not an envelope: those members belong to the audit event itself.
            for (k, v) in envelope { put(&e, k, v, fresh) }
        }
        guard st.sawAction else { throw ParseFailure("missing_field", "no 'action' member") }
        if let t = st.timestamp { e.timestamp = t }
        if !st.repoSet, let r = st.repositoryValue { put(&e, GitHubKeys.repo, r, fresh) }
        let kind: GitHubTokenKind
        switch st.accessType {
        case .span(let sp)?:
            // A span counts from `original`'s start; the scanner's bytes start `spanBase` in.
            let lo = Int(sp.start) - spanBase
            kind = GitHubTokenKind.classify(accessTypeBytes: UnsafeBufferPointer(rebasing: s.bytes[lo..<(lo + Int(sp.count))]), transport: st.transport)
        case .string(let a)?: kind = GitHubTokenKind.classify(accessType: a, transport: st.transport)
        default: kind = GitHubTokenKind.classify(accessTypeBytes: nil, transport: st.transport)
        }
        put(&e, GitHubKeys.tokenKind, Self.kindValues[kind.ordinal], fresh)
        OverflowFields.add(s.overflow, to: &e)
        return e
    }

    private struct State {
        var timestamp: Int64?
        var createdAt: Int64?
        var envTime: Int64?
        var sawAction = false
        var sawEnvelope = false
        var repoSet = false
        var repositoryValue: FieldValue?
        /// `programmatic_access_type` as read (a span or a string).
        var accessType: FieldValue?
        var transport: String?
        /// The member before the next one (`MemberKeyPredictor`).
        var previous: UInt32 = 0
    }

    @inline(__always)
    private func roleOf(_ k: FieldKey) -> Role {
        let i = Int(k.id)
        return roles.withUnsafeBufferPointer { i < $0.count ? $0[i] : .keep }
    }

    /// Positions of the event's keys while it is filled (non-fresh events): linear insertion
    /// whatever the number of members.
    private let index = FieldIndex()

    /// `field_names_refused`: member names the registry refused (kept under
    /// `sluice.overflow_fields`).
    public var counters: [(name: String, value: Int)] { [("field_names_refused", interner.refused)] }

    /// Sets a member on the event being filled: `parseObject` reserved room in this very
    /// list and no copy of it is made while it is filled (`setAssumingUnique`: no uniqueness
    /// check a field; debug builds verify it).
    @inline(__always)
    private func put(_ e: inout Event, _ k: FieldKey, _ v: FieldValue, _ fresh: Bool) {
        if fresh { e.fields.appendAssumingUnique(Field(k, v)) } else { index.setAssumingUnique(k, v, in: &e.fields) }
    }

    private func readAudit(_ s: inout JSONScanner, into e: inout Event, fresh: Bool, state st: inout State,
                           envelope: inout [(FieldKey, FieldValue)], depth: Int, spanBase: Int) throws {
        try s.readObject { (s, name) in
            guard let k = self.memberKey(name, after: &st.previous) else {
                let text = "github." + String(decoding: name, as: UTF8.self)
                let mark = s.overflow.count
                let v = try s.readValue(interner: self.interner)
                s.prefixOverflow(from: mark, with: text)
                s.overflow.append((text, v))
                return
            }
            let role = self.roleOf(k)
            if role == .event && depth == 0 && s.peek() == UInt8(ascii: "{") {
                st.sawEnvelope = true
                try self.readAudit(&s, into: &e, fresh: fresh, state: &st, envelope: &envelope, depth: 1, spanBase: spanBase)
                return
            }
            if role == .repository && st.repoSet { try s.skipValue(); return }
            let v: FieldValue
            switch role {
            case .keep, .event, .userAgent, .repo, .repository, .accessType: v = try s.readValue(interner: self.interner, spanBase: spanBase)
            default: v = try s.readValue(interner: self.interner)
            }
            switch role {
            case .keep, .event:
                switch v {
                case .null: return
                case .string(let str) where str.isEmpty: return
                case .span(let sp) where sp.count == 0: return
                default: self.put(&e, k, v, fresh)
                }
            case .timestamp:
                guard let t = TimestampFormat.auto.nanos(v) else {
                    if case .null = v { return }
                    throw ParseFailure("wrong_type", "'@timestamp' is not a time")
                }
                st.timestamp = t
            case .createdAt:
                if st.timestamp == nil, let t = TimestampFormat.auto.nanos(v) { st.timestamp = t }
            case .action:
                guard case .string(let a) = v, !a.isEmpty else { throw ParseFailure("wrong_type", "'action' is not a non-empty string") }
                st.sawAction = true
                self.put(&e, ECS.eventAction, v, fresh)
                if let cat = self.cachedCategory(a) { self.put(&e, ECS.eventCategory, cat, fresh) }
            case .actor:
                switch v {
                case .string(let a):
                    if a.isEmpty { return }
                    self.put(&e, ECS.userName, v, fresh)
                    self.put(&e, ECS.relatedUser, .array([v]), fresh)
                case .null: return
                default: throw ParseFailure("wrong_type", "'actor' is not a string")
                }
            case .actorIP:
                switch v {
                case .string(let a):
                    if a.isEmpty { return }
                    self.put(&e, ECS.sourceIP, v, fresh)
                    self.put(&e, ECS.relatedIP, .array([v]), fresh)
                case .null: return
                default: throw ParseFailure("wrong_type", "'actor_ip' is not a string")
                }
            case .actorLocation:
                if case .object(let members) = v {
                    for m in members where m.key == GitHubKeys.countryCode {
                        if case .string(let c) = m.value, !c.isEmpty { self.put(&e, ECS.sourceGeoCountry, m.value, fresh) }
                    }
                    self.put(&e, k, v, fresh)
                }
            case .userAgent:
                if Self.isNonEmptyText(v) { self.put(&e, ECS.userAgent, v, fresh) }
            case .repo:
                if Self.isNonEmptyText(v) { self.put(&e, GitHubKeys.repo, v, fresh); st.repoSet = true }
            case .repository:
                if Self.isNonEmptyText(v) { st.repositoryValue = v }
            case .repoPublic:
                switch v {
                case .bool: self.put(&e, GitHubKeys.repositoryPublic, v, fresh)
                case .string(let b) where b == "true" || b == "false": self.put(&e, GitHubKeys.repositoryPublic, .bool(b == "true"), fresh)
                default: break
                }
            case .accessType:
                if Self.isNonEmptyText(v) { st.accessType = v; self.put(&e, k, v, fresh) }
            case .transport:
                if case .string(let a) = v, !a.isEmpty { st.transport = a; self.put(&e, k, v, fresh) }
            case .envTime, .envHost, .envSource, .envSourcetype, .envIndex, .skip:
                // Possibly HEC envelope members: decided once the whole object is read.
                if depth > 0 { self.put(&e, k, v, fresh); return }
                if role == .envTime { st.envTime = TimestampFormat.auto.nanos(v) }
                envelope.append((k, v))
            }
        }
    }

    /// Whether `v` is text (a string or a span) holding at least one byte.
    @inline(__always)
    private static func isNonEmptyText(_ v: FieldValue) -> Bool {
        switch v {
        case .string(let a): return !a.isEmpty
        case .span(let sp): return sp.count > 0
        default: return false
        }
    }

    /// `category(action)` memoized; bounded (cleared when it reaches 4096 actions).
    private var categoryCache: [String: FieldValue?] = [:]

    private func cachedCategory(_ action: String) -> FieldValue? {
        if let c = categoryCache[action] { return c }
        let c = Self.category(action)
        if categoryCache.count >= 4096 { categoryCache.removeAll(keepingCapacity: true) }
        categoryCache[action] = c
        return c
    }

    static let catNetwork = FieldValue.array([.string("network")])
    static let catIAM = FieldValue.array([.string("iam")])
    static let catConfiguration = FieldValue.array([.string("configuration")])
    static let catAuthentication = FieldValue.array([.string("authentication")])

    /// ECS `event.category` by action family (nil when none fits).
    static func category(_ action: String) -> FieldValue? {
        if action.hasPrefix("git.") { return catNetwork }
        if action.hasPrefix("personal_access_token.") || action.hasPrefix("oauth_") || action.hasPrefix("public_key.")
            || action.hasPrefix("deploy_key.") || action.hasPrefix("team.") || action.hasPrefix("org.add_member")
            || action.hasPrefix("org.remove_member") || action.hasPrefix("org.update_member") || action.hasPrefix("business.add_")
            || action.hasPrefix("two_factor_authentication.") || action.hasPrefix("org_credential_authorization.") {
            return catIAM
        }
        if action.hasPrefix("user.login") || action.hasPrefix("user.failed_login") || action.hasPrefix("user.two_factor") { return catAuthentication }
        if action.hasPrefix("repo.") || action.hasPrefix("protected_branch.") || action.hasPrefix("hook.")
            || action.hasPrefix("repository_") || action.hasPrefix("org.") || action.hasPrefix("business.") {
            return catConfiguration
        }
        return nil
    }
}

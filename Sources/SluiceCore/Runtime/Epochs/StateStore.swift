import Foundation

/// What one completed epoch committed: where each source resumes, and which stages wrote a
/// snapshot for it.
public struct CommittedEpoch: Codable, Sendable, Equatable {
    public var epoch: UInt64
    /// Source name → its encoded position (`PositionedSource.barrierPosition()`).
    public var sources: [String: Data]
    /// Stateful stages whose snapshot of `epoch` is on disk.
    public var stages: [String]
    public init(epoch: UInt64, sources: [String: Data] = [:], stages: [String] = []) {
        self.epoch = epoch; self.sources = sources; self.stages = stages
    }
}

/// Durable state of stateful stages and the epoch record, under `<data_dir>/state/`:
/// `epoch.json` (the last committed epoch) and `stages/<stage>/<epoch>.snap`.
///
/// Guarantees: every file is written atomically and durably (temp file, fsync, rename,
/// directory fsync), so after a crash the record is the old or the new one, never torn; the
/// snapshot named by the record is never deleted before a newer record replaced it.
public final class StateStore: Sendable {
    public let directory: String

    public init(dataDirectory: String) {
        directory = dataDirectory + "/state"
    }

    private var recordPath: String { directory + "/epoch.json" }
    private func stageDirectory(_ stage: String) -> String { directory + "/stages/" + Self.safe(stage) }
    private func snapshotPath(_ stage: String, _ epoch: UInt64) -> String { stageDirectory(stage) + "/\(epoch).snap" }

    static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    /// The last committed epoch, if any.
    public func committed() throws -> CommittedEpoch? {
        guard let data = FileManager.default.contents(atPath: recordPath) else { return nil }
        do { return try JSONDecoder().decode(CommittedEpoch.self, from: data) } catch {
            throw CheckpointError.corrupt(path: recordPath, detail: "\(error)")
        }
    }

    /// Writes a stage's snapshot of `epoch` durably, streamed: the stage writes it to the
    /// output in chunks (`StatefulTransform.snapshot(to:)`), so a snapshot of tens of
    /// megabytes (detection state) is never held whole in memory. With `digest`, returns the
    /// digest of the bytes written (taken as they pass).
    @discardableResult
    public func writeSnapshot(of stage: StatefulTransform, named name: String, epoch: UInt64, digest: Bool = false) throws -> SnapshotDigest? {
        try FileManager.default.createDirectory(atPath: stageDirectory(name), withIntermediateDirectories: true)
        var d = SnapshotDigest()
        try CheckpointStore.writeAtomically(to: snapshotPath(name, epoch)) { write in
            // The output lives for this call only (a stage does not keep it).
            try withoutActuallyEscaping(write) { write in
                try stage.snapshot(to: SnapshotOutput { bytes in
                    if digest { d.add(bytes) }
                    try write(bytes)
                })
            }
        }
        return digest ? d : nil
    }

    /// The digest of the snapshot a stage would write now, computed without writing it.
    public static func digest(of stage: StatefulTransform) throws -> SnapshotDigest {
        var digest = SnapshotDigest()
        try stage.snapshot(to: SnapshotOutput { digest.add($0) })
        return digest
    }

    /// Makes the stage's snapshot of epoch `to` the file of epoch `from` (a hard link: no byte
    /// written), durably. False when that file is gone or cannot be linked; the caller then
    /// writes the snapshot.
    public func reuseSnapshot(named name: String, from: UInt64, to: UInt64) -> Bool {
        let target = snapshotPath(name, to)
        unlink(target)   // a leftover of an earlier run's epoch of the same number
        guard link(snapshotPath(name, from), target) == 0 else { return false }
        return CheckpointStore.syncDirectory(stageDirectory(name))
    }

    /// A stage's snapshot of `epoch`, if it was written.
    public func snapshot(stage: String, epoch: UInt64) -> [UInt8]? {
        // Read straight into one array: through `Data` a snapshot of tens of megabytes would
        // be held twice.
        try? WholeFile.read(snapshotPath(stage, epoch), maxBytes: .max)
    }

    /// Makes `record` the committed epoch, then deletes the snapshots it superseded.
    public func commit(_ record: CommittedEpoch) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try CheckpointStore.writeAtomically(try enc.encode(record), to: recordPath)
        let stagesDir = directory + "/stages"
        for stage in (try? FileManager.default.contentsOfDirectory(atPath: stagesDir)) ?? [] {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: stagesDir + "/" + stage)) ?? [] {
                guard f.hasSuffix(".snap"), let e = UInt64(f.dropLast(5)), e < record.epoch else { continue }
                unlink(stagesDir + "/" + stage + "/" + f)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore

/// How `FileSource` keeps its positions: the checkpoint file saved as sinks acknowledge
/// (`commitCheckpoints`), expiry of vanished files, and the position taken at epoch
/// barriers in pipelines with stateful stages (`barrierPosition`).
extension FileSource {
    /// Saves advanced positions. Serialized: the read loop and the shutdown commit may call
    /// it at the same time.
    func saveCheckpoints() {
        saveLock.withLock {
            guard let context, let store = context.checkpoints else { return }
            var changed = false
            let now = Int64(Date().timeIntervalSince1970)
            for f in currentFiles() {
                if let pos = f.tracker.takeIfAdvanced() {
                    saved.files[f.key] = FileCheckpoint(path: f.path, offset: pos, updated: now,
                                                        fingerprint: Fingerprint.hex(f.prefix), fingerprintLength: f.prefix.count)
                    changed = true
                }
            }
            if pruneCheckpoints() { changed = true }
            guard changed else { return }
            do { try store.save(saved, for: context.name) } catch {
                context.logger.error("cannot save checkpoint: \(error)")
            }
        }
    }

    /// Removes checkpoints of files not open and not updated for `checkpoint_ttl`.
    @discardableResult
    func pruneCheckpoints() -> Bool {
        let now = Int64(Date().timeIntervalSince1970)
        let open = Set(currentFiles().map(\.key)).union(gzKeys)
        let expired = saved.files.filter { !open.contains($0.key) && Double(now - $0.value.updated) > checkpointTTL }.map(\.key)
        for k in expired { saved.files.removeValue(forKey: k) }
        return !expired.isEmpty
    }

    public func commitCheckpoints() {
        saveCheckpoints()
    }

    /// Every file's position just after its last emitted record, as a checkpoint file's JSON.
    public func barrierPosition() -> [UInt8] {
        // Files gone for `checkpoint_ttl` are forgotten, as `pruneCheckpoints` does.
        let now = Int64(Date().timeIntervalSince1970)
        let open = Set(currentFiles().map(\.key)).union(gzKeys)
        emittedPositions = emittedPositions.filter { open.contains($0.key) || Double(now - $0.value.updated) <= checkpointTTL }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return (try? [UInt8](enc.encode(FileSourceCheckpoints(files: emittedPositions)))) ?? []
    }
}

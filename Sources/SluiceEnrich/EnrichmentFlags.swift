import Foundation
import SluiceCore

/// The enrichment transforms that `sluice replay --intel FILE --context FILE` adds in front of
/// detection, as pipeline YAML (for a command that builds its pipeline from flags).
public enum EnrichmentFlags {
    /// The `transforms:` entries (indented two spaces, without the `transforms:` line) that
    /// enrich the output of `inputs`: `enrich_context` (when `context` is not empty), then
    /// `enrich_repo_services` (when `repoServices`), then `enrich_intel` (when `intel` is not
    /// empty), each reading the previous. `output` is the name to read from next (`inputs`
    /// joined when nothing was added).
    ///
    /// Context comes first so that identities and assets are on the event when later stages
    /// (and the detections) look; credentials are masked before anything else sees them.
    public static func transforms(intel: [String], context: [String], inputs: [String],
                                  repoServices: Bool = true) -> (yaml: String, output: [String]) {
        var yaml = ""
        var upstream = inputs
        func list(_ xs: [String]) -> String { "[" + xs.map(quote).joined(separator: ", ") + "]" }
        if !context.isEmpty {
            yaml += "  enrich_context:\n    type: context\n    inputs: \(list(upstream))\n    files: \(list(context))\n"
            upstream = ["enrich_context"]
        }
        if repoServices, !(intel.isEmpty && context.isEmpty) {
            yaml += "  enrich_repo_services:\n    type: repo_services\n    inputs: \(list(upstream))\n"
            upstream = ["enrich_repo_services"]
        }
        if !intel.isEmpty {
            yaml += "  enrich_intel:\n    type: threat_intel\n    inputs: \(list(upstream))\n    files: \(list(intel))\n"
            upstream = ["enrich_intel"]
        }
        return (yaml, upstream)
    }

    /// A YAML double-quoted scalar (JSON string syntax) with `$` doubled, so a path is taken
    /// literally rather than as `${VAR}` interpolation.
    static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        JSONWriter.appendQuoted(s.replacingOccurrences(of: "$", with: "$$"), to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

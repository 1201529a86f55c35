import XCTest
import SluiceCore
@testable import SluiceEnrich

/// The YAML `sluice replay --intel/--context` adds: a pipeline that parses and builds.
final class EnrichmentFlagsTests: XCTestCase {
    func testTransformsChainAndParse() throws {
        let (yaml, out) = EnrichmentFlags.transforms(intel: ["/srv/intel/tor.csv", "/srv/$HOME/x.json"], context: ["/etc/sluice/context.yaml"], inputs: ["parse_0", "parse_1"])
        XCTAssertEqual(out, ["enrich_intel"])
        let full = "sources:\n  s:\n    type: stdin\ntransforms:\n  parse_0:\n    type: parse\n    inputs: [s]\n    format: json\n  parse_1:\n    type: parse\n    inputs: [s]\n    format: json\n" + yaml + "sinks:\n  o:\n    type: stdout\n    inputs: [enrich_intel]\n"
        let cfg = try PipelineConfig.parse(full, file: "<command line>", environment: [:])
        XCTAssertEqual(cfg.transforms.map(\.name), ["parse_0", "parse_1", "enrich_context", "enrich_repo_services", "enrich_intel"])
        XCTAssertEqual(cfg.transforms[2].inputs, ["parse_0", "parse_1"])
        XCTAssertEqual(cfg.transforms[4].inputs, ["enrich_repo_services"])
        let ctx = BuildContext(name: "enrich_intel", mode: .toEnd, dataDir: nil, logger: ET.logger, registry: EnrichComponents.registry)
        let t = try XCTUnwrap(try EnrichComponents.registry.transforms["threat_intel"]!(cfg.transforms[4].options, ctx) as? ThreatIntelEnricher)
        XCTAssertEqual(t.watchedFiles, ["/srv/intel/tor.csv", "/srv/$HOME/x.json"], "a `$` in a path is literal")
        XCTAssertEqual(t.files[1].format, .stix)

        let none = EnrichmentFlags.transforms(intel: [], context: [], inputs: ["p"])
        XCTAssertEqual(none.yaml, "")
        XCTAssertEqual(none.output, ["p"])
    }
}

import XCTest
@testable import SluiceCore

final class TopViewTests: XCTestCase {
    let first = """
    # TYPE sluice_component_received_events_total counter
    sluice_component_received_events_total{component="parse_github",kind="transform",type="parse"} 1000
    sluice_component_sent_events_total{component="github_hec",kind="source",type="splunk_hec"} 1000
    sluice_component_sent_events_total{component="parse_github",kind="transform",type="parse"} 990
    sluice_component_failed_events_total{component="parse_github",kind="transform",type="parse"} 10
    sluice_component_received_events_total{component="siem",kind="sink",type="syslog"} 990
    sluice_component_sent_events_total{component="siem",kind="sink",type="syslog"} 900
    sluice_component_queue_depth_events{component="siem",kind="sink",type="syslog"} 8192
    sluice_hec_requests_busy_total{component="github_hec",type="splunk_hec"} 2
    sluice_alerts_total{component="detect",rule="git-mass-clone"} 3
    process_cpu_seconds_total 1.5
    """

    func testParsesPrometheusText() {
        let s = PrometheusText.parse(first + "\nweird{a=\"x\\\"y\"} 2 1700000000000\nbroken{ 1\n")
        XCTAssertEqual(s.count, 11)
        XCTAssertEqual(s[0], PrometheusSample(name: "sluice_component_received_events_total",
                                              labels: ["component": "parse_github", "kind": "transform", "type": "parse"], value: 1000))
        XCTAssertEqual(s.last?.labels["a"], "x\"y")
        XCTAssertEqual(s.last?.value, 2)
    }

    func testRendersRatesQueueFillAndStates() {
        let a = TopSnapshot(samples: PrometheusText.parse(first))
        let later = first.replacingOccurrences(of: "type=\"splunk_hec\"} 1000", with: "type=\"splunk_hec\"} 3000")
            .replacingOccurrences(of: "type=\"syslog\"} 900", with: "type=\"syslog\"} 1900")
        let b = TopSnapshot(samples: PrometheusText.parse(later),
                            health: [HealthEntry(name: "siem", kind: "sink", type: "syslog", health: "backing_off", queueCapacity: 16384)])
        XCTAssertEqual(b.rows.map(\.name), ["github_hec", "parse_github", "siem", "detect"], "sources, transforms, sinks, others")
        let text = b.render(previous: a, elapsed: 2, title: "sluice top")
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "sluice top")
        XCTAssertTrue(lines[1].hasPrefix("COMPONENT"), text)
        XCTAssertTrue(lines[1].contains("IN/S") && lines[1].contains("OUT/S"), text)
        let hec = lines.first { $0.hasPrefix("github_hec") }!
        XCTAssertTrue(hec.contains(" 1k "), hec)  // (3000 - 1000) / 2 s out
        let siem = lines.first { $0.hasPrefix("siem") }!
        XCTAssertTrue(siem.contains("backing_off") && siem.contains("8192 (50%)") && siem.contains(" 500 "), siem)
        let parse = lines.first { $0.hasPrefix("parse_github") }!
        XCTAssertTrue(parse.contains(" 10 "), parse)
        XCTAssertTrue(lines.first { $0.hasPrefix("detect") }!.hasSuffix(" 3"), text)
        XCTAssertTrue(TopSnapshot(samples: []).render(previous: nil, elapsed: 0, title: "t").contains("no component metrics yet"))
        XCTAssertEqual(TopSnapshot.compact(950), "950")
        XCTAssertEqual(TopSnapshot.compact(12_345), "12.3k")
        XCTAssertEqual(TopSnapshot.compact(4_500_000), "4.5M")
    }
}

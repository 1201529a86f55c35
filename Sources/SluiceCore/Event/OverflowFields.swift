/// Where a value goes when the field-name registry refuses its name (longer than
/// `FieldRegistry.maxNameBytes`, or the registry at its bounds): into the event's
/// `sluice.overflow_fields`, an array of `{"name": <the dotted name as written>, "value":
/// <the value>}` objects. Nothing is lost and nothing fails; the parsers count such names
/// (`sluice_field_names_refused_total` per parse component).
public enum OverflowFields {
    public static let key = FieldKey("sluice.overflow_fields")
    static let nameKey = FieldKey("name")
    static let valueKey = FieldKey("value")

    /// One `{"name":…,"value":…}` entry.
    public static func entry(_ name: String, _ value: FieldValue) -> FieldValue {
        .object([Field(nameKey, .string(name)), Field(valueKey, value)])
    }

    /// Appends `entries` to the event's `sluice.overflow_fields`.
    public static func add(_ entries: [(name: String, value: FieldValue)], to e: inout Event) {
        guard !entries.isEmpty else { return }
        var items: [FieldValue] = []
        if case .array(let old)? = e[key] { items = old }
        items.reserveCapacity(items.count + entries.count)
        for (n, v) in entries { items.append(entry(n, v)) }
        e[key] = .array(items)
    }
}

/// How far sources read.
public enum RunMode: Sendable {
    /// `sluice run`: keep following inputs until asked to stop.
    case follow
    /// `sluice replay`: read every input to its end, then finish.
    case toEnd
}

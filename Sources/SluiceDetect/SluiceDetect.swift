import SluiceCore

// SluiceDetect: Sigma rule loading, matching, windows, correlation, baselines and state
// (DESIGN.md). Detectors implement `Transform` and emit events carrying an `Alert`;
// nothing is registered yet.

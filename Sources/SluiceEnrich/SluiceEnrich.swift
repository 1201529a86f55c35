import SluiceCore

// SluiceEnrich: threat intelligence, asset/identity inventory and the repository-service
// catalog (DESIGN.md). Components implement `Transform` and register in this module's
// table when they land; nothing is registered yet.

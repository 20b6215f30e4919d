//! Skulk conformance suites, data generators, real-data loaders, crash and corruption harnesses

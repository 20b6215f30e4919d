//! Integration tests of skulk-codec that need nothing but the codec: the
//! Gorilla codecs' behaviour on nanosecond intervals and their appenders.
//! The conformance suites, golden vectors and real-data tests of every
//! codec run from `skulk-testkit`'s own tests (`tests/it/codec_*.rs`
//! there), so that this crate's test binaries link nothing but the codec.

mod gorilla;

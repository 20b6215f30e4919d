//! What the conformance suites report about codecs from outside the
//! workspace: a correct one passes under its own external id, and broken
//! ones fail with the case, the first differing index (numbers and bits)
//! and the input, or with the panic they raised.

use std::panic::{AssertUnwindSafe, catch_unwind};

use skulk_codec::{CodecError, CodecId, CodecKind, RawValues, ValueCodec};
use skulk_testkit::codec_suite::run_value_codec_suite;

/// What the codec under test does wrong.
#[derive(Clone, Copy)]
enum Flaw {
    None,
    /// Decodes `-0.0` as `0.0`.
    LosesNegativeZero,
    /// Panics on a payload whose first byte is 0xff.
    PanicsOnFf,
}

/// Raw values under an external id, with an optional flaw.
struct External(Flaw);

const ID: CodecId = match CodecId::external(0xC5, CodecKind::Value) {
    Ok(id) => id,
    Err(_) => panic!("0xC5 is in the external range"),
};

impl ValueCodec for External {
    fn id(&self) -> CodecId {
        ID
    }
    fn max_encoded_len(&self, points: usize) -> usize {
        RawValues.max_encoded_len(points)
    }
    fn encode(&self, values: &[f64], out: &mut Vec<u8>) -> Result<(), CodecError> {
        RawValues.encode(values, out)
    }
    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize, CodecError> {
        if matches!(self.0, Flaw::PanicsOnFf) && input.first() == Some(&0xff) {
            panic!("byte 0xff is not handled");
        }
        let start = out.len();
        let consumed = RawValues.decode(input, count, out)?;
        if matches!(self.0, Flaw::LosesNegativeZero) {
            for v in out.iter_mut().skip(start) {
                if v.to_bits() == (-0.0f64).to_bits() {
                    *v = 0.0;
                }
            }
        }
        Ok(consumed)
    }
}

fn report(flaw: Flaw) -> String {
    let outcome = catch_unwind(AssertUnwindSafe(|| run_value_codec_suite(&External(flaw))));
    let payload = outcome.expect_err("the suite passed a broken codec");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_else(|| "(no message)".into())
}

#[test]
fn an_external_codec_passes_under_its_own_id() {
    run_value_codec_suite(&External(Flaw::None));
}

#[test]
fn a_wrong_value_is_reported_with_its_case_index_bits_and_input() {
    let report = report(Flaw::LosesNegativeZero);
    assert!(report.starts_with("External(0xc5), case "), "{report}");
    assert!(report.contains("first difference at index"), "{report}");
    assert!(
        report.contains("expected -0.0 (bits 0x8000000000000000)"),
        "{report}"
    );
    assert!(
        report.contains("got 0.0 (bits 0x0000000000000000)"),
        "{report}"
    );
    assert!(report.contains("; input: "), "{report}");
}

#[test]
fn a_panicking_decoder_is_reported_with_its_case_and_step() {
    let report = report(Flaw::PanicsOnFf);
    assert!(report.starts_with("External(0xc5), case "), "{report}");
    assert!(
        report.contains("panicked: byte 0xff is not handled"),
        "{report}"
    );
    assert!(report.contains("; input: "), "{report}");
}

#[test]
fn a_block_names_its_external_codec_and_a_reader_without_it_refuses_it() {
    let (ts, vs) = ([1i64, 2, 3], [0.5, -0.0, f64::NAN]);
    let block = skulk_codec::CompressedBlock::encode_with_codecs(
        &ts,
        &vs,
        &skulk_codec::GorillaTimestamps,
        &External(Flaw::None),
    )
    .unwrap();
    assert_eq!(block.header().value_codec, ID);
    let parsed = skulk_codec::BlockView::parse(block.as_bytes());
    assert_eq!(parsed.err(), Some(CodecError::UnknownCodec { id: 0xC5 }));
}

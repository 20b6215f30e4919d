//! Skulk's engine against the in-memory model: seeded random scenarios of
//! writes, flushes, compactions, retention, clean restarts and crashes.

use skulk_format::{SeriesMeta, TimeRange};
use skulk_testkit::engine_suite::{Op, ScenarioConfig, SkulkEngine, random_scenario, run_scenario};

#[test]
fn random_scenarios_match_the_model() {
    let config = ScenarioConfig::default();
    let mut totals = (0, 0, 0);
    for seed in 0..10 {
        let ops = random_scenario(seed, 60, &config);
        let dir = tempfile::tempdir().unwrap();
        let report = run_scenario::<SkulkEngine>(dir.path(), &config, &ops)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        totals.0 += report.ops;
        totals.1 += report.points_written;
        totals.2 += report.reopens;
    }
    println!(
        "{} ops, {} points written, {} restarts or crashes",
        totals.0, totals.1, totals.2
    );
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 6,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    #[test]
    fn proptest_scenarios_match_the_model(
        ops in skulk_testkit::engine_suite::scenario_strategy(ScenarioConfig::default(), 40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = ScenarioConfig::default();
        if let Err(e) = run_scenario::<SkulkEngine>(dir.path(), &config, &ops) {
            proptest::prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn scenarios_exercise_every_kind_of_operation() {
    let ops = random_scenario(1, 400, &ScenarioConfig::default());
    let has = |f: fn(&Op) -> bool| ops.iter().any(f);
    assert!(has(|o| matches!(o, Op::Write(_))));
    assert!(has(|o| matches!(o, Op::Flush)));
    assert!(has(|o| matches!(o, Op::Compact)));
    assert!(has(|o| matches!(o, Op::Retention(_))));
    assert!(has(|o| matches!(o, Op::Restart)));
    assert!(has(|o| matches!(o, Op::Crash)));
    assert!(has(|o| matches!(o, Op::Delete(..))));
}

#[test]
fn the_runner_notices_a_lost_write() {
    /// Skulk's engine, except that it forgets every third batch.
    struct Forgetful(SkulkEngine, std::cell::Cell<u32>);
    impl skulk_testkit::engine_suite::EngineUnderTest for Forgetful {
        fn open(dir: &std::path::Path, c: &ScenarioConfig, now: i64) -> Result<Self, String> {
            Ok(Self(
                SkulkEngine::open(dir, c, now)?,
                std::cell::Cell::new(0),
            ))
        }
        fn write_batch(&self, points: &[skulk_format::DataPoint]) -> Result<(), String> {
            self.1.set(self.1.get() + 1);
            if self.1.get().is_multiple_of(3) {
                Ok(())
            } else {
                self.0.write_batch(points)
            }
        }
        fn flush(&self) -> Result<(), String> {
            self.0.flush()
        }
        fn compact(&self) -> Result<(), String> {
            self.0.compact()
        }
        fn apply_retention(&self, now: i64) -> Result<(), String> {
            self.0.apply_retention(now)
        }
        fn delete(&self, series: &SeriesMeta, range: TimeRange) -> Result<(), String> {
            self.0.delete(series, range)
        }
        fn read_all(&self) -> Result<skulk_testkit::engine_suite::Snapshot, String> {
            self.0.read_all()
        }
        fn close(self) -> Result<(), String> {
            self.0.close()
        }
    }
    let config = ScenarioConfig::default();
    let ops = random_scenario(3, 40, &config);
    let dir = tempfile::tempdir().unwrap();
    let result = run_scenario::<Forgetful>(dir.path(), &config, &ops);
    assert!(result.is_err_and(|e| e.contains("engine holds")));
}

#[test]
fn the_runner_notices_an_ignored_delete() {
    /// Skulk's engine, except that it acknowledges deletes without doing them.
    struct Deaf(SkulkEngine);
    impl skulk_testkit::engine_suite::EngineUnderTest for Deaf {
        fn open(dir: &std::path::Path, c: &ScenarioConfig, now: i64) -> Result<Self, String> {
            Ok(Self(SkulkEngine::open(dir, c, now)?))
        }
        fn write_batch(&self, points: &[skulk_format::DataPoint]) -> Result<(), String> {
            self.0.write_batch(points)
        }
        fn flush(&self) -> Result<(), String> {
            self.0.flush()
        }
        fn compact(&self) -> Result<(), String> {
            self.0.compact()
        }
        fn apply_retention(&self, now: i64) -> Result<(), String> {
            self.0.apply_retention(now)
        }
        fn delete(&self, _: &SeriesMeta, _: TimeRange) -> Result<(), String> {
            Ok(())
        }
        fn read_all(&self) -> Result<skulk_testkit::engine_suite::Snapshot, String> {
            self.0.read_all()
        }
        fn close(self) -> Result<(), String> {
            self.0.close()
        }
    }
    let config = ScenarioConfig::default();
    let found = (0..20).any(|seed| {
        let ops = random_scenario(seed, 80, &config);
        let dir = tempfile::tempdir().unwrap();
        run_scenario::<Deaf>(dir.path(), &config, &ops).is_err_and(|e| e.contains("Delete"))
    });
    assert!(found, "no scenario caught the ignored delete");
}

use super::*;

fn run(f: AggregateFn, step: i64, ts: &[i64], vals: &[f64]) -> (Vec<i64>, Vec<f64>) {
    Aggregation::new(step, f).unwrap().apply(ts, vals)
}

fn q(phi: f64) -> AggregateFn {
    AggregateFn::Quantile(Quantile::new(phi).unwrap())
}

#[test]
fn every_function_over_two_windows() {
    let ts = [0, 3, 9, 10, 15];
    let vals = [4.0, 1.0, 7.0, 2.0, 6.0];
    let want = [
        (AggregateFn::Min, [1.0, 2.0]),
        (AggregateFn::Max, [7.0, 6.0]),
        (AggregateFn::Sum, [12.0, 8.0]),
        (AggregateFn::Count, [3.0, 2.0]),
        (AggregateFn::Mean, [4.0, 4.0]),
        (AggregateFn::First, [4.0, 2.0]),
        (AggregateFn::Last, [7.0, 6.0]),
        (q(0.5), [4.0, 4.0]),
        (q(0.0), [1.0, 2.0]),
        (q(1.0), [7.0, 6.0]),
        (q(0.25), [2.5, 3.0]),
    ];
    for (f, expected) in want {
        let (wts, wvals) = run(f, 10, &ts, &vals);
        assert_eq!(wts, vec![0, 10], "{f:?}");
        assert_eq!(wvals, expected.to_vec(), "{f:?}");
    }
}

#[test]
fn increase_and_rate_handle_counter_resets_like_prometheus() {
    // 0 1 3 | reset to 2, 5 | 6: the increases are 3, 5 (the reset adds
    // the new value 2, then 3 more) and 1 (from the previous window's 5).
    let ts = [0, 4, 8, 10, 14, 25];
    let vals = [0.0, 1.0, 3.0, 2.0, 5.0, 6.0];
    let (wts, inc) = run(AggregateFn::Increase, 10, &ts, &vals);
    assert_eq!(wts, vec![0, 10, 20]);
    assert_eq!(inc, vec![3.0, 5.0, 1.0]);
    let (_, rate) = run(AggregateFn::Rate, 10, &ts, &vals);
    assert_eq!(rate, vec![3.0e8, 5.0e8, 1.0e8]);
    // A lone first point has no difference: no value.
    assert_eq!(
        run(AggregateFn::Increase, 10, &[5], &[1.0]).0,
        Vec::<i64>::new()
    );
}

#[test]
fn names_read_back() {
    for f in [
        AggregateFn::Min,
        AggregateFn::Max,
        AggregateFn::Sum,
        AggregateFn::Count,
        AggregateFn::Mean,
        AggregateFn::First,
        AggregateFn::Last,
        AggregateFn::Increase,
        AggregateFn::Rate,
        q(0.99),
        q(0.0),
    ] {
        assert_eq!(f.to_string().parse::<AggregateFn>().unwrap(), f);
    }
    assert_eq!("avg".parse::<AggregateFn>().unwrap(), AggregateFn::Mean);
    for bad in ["median", "quantile(2)", "quantile(x)", "quantile(0.5"] {
        assert!(bad.parse::<AggregateFn>().is_err(), "{bad}");
    }
}

#[test]
fn negative_timestamps_align_to_the_epoch_and_empty_windows_are_skipped() {
    let (wts, wvals) = run(AggregateFn::Count, 10, &[-11, -1, 35], &[0.0; 3]);
    assert_eq!(wts, vec![-20, -10, 30]);
    assert_eq!(wvals, vec![1.0, 1.0, 1.0]);
    let (wts, _) = run(AggregateFn::Count, 7, &[i64::MIN, i64::MAX], &[0.0; 2]);
    assert_eq!(wts.len(), 2);
}

#[test]
fn step_must_be_positive() {
    assert!(Aggregation::new(0, AggregateFn::Sum).is_err());
    assert!(Aggregation::new(-5, AggregateFn::Sum).is_err());
    assert!(Quantile::new(1.5).is_err() && Quantile::new(f64::NAN).is_err());
}

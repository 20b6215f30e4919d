//! The partitions of one execution of a scan, cut from one snapshot.

use std::sync::Mutex;

use datafusion::error::Result;

/// The parts of the running execution of a plan node: made together (from
/// one snapshot of the engine) when the first partition starts, each then
/// taken once by its partition. A partition asking again starts a new
/// execution.
#[derive(Debug)]
pub struct Parts<T> {
    parts: Mutex<Vec<Part<T>>>,
    count: usize,
}

#[derive(Debug)]
enum Part<T> {
    Ready(Box<T>),
    /// The snapshot had fewer series than partitions.
    Empty,
    Taken,
}

impl<T> Parts<T> {
    /// Room for `count` partitions (at least one).
    pub fn new(count: usize) -> Parts<T> {
        Parts {
            parts: Mutex::new(Vec::new()),
            count: count.max(1),
        }
    }

    /// Room for as many partitions, none of them started: the state of a
    /// new run of the plan node.
    pub fn fresh(&self) -> Parts<T> {
        Parts::new(self.count)
    }

    /// How many partitions there are.
    pub fn count(&self) -> usize {
        self.count
    }

    /// An error naming `plan` when `partition` is not one of them.
    pub fn check(&self, partition: usize, plan: &str) -> Result<()> {
        if partition < self.count {
            return Ok(());
        }
        Err(datafusion::error::DataFusionError::Internal(format!(
            "{plan} has {} partitions, not {}",
            self.count,
            partition + 1
        )))
    }

    /// Partition `partition`'s part (`None`: it has nothing to read);
    /// `make` cuts a fresh execution into at most [`Parts::count`] parts.
    pub fn take(
        &self,
        partition: usize,
        make: impl FnOnce(usize) -> Result<Vec<T>>,
    ) -> Result<Option<T>> {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(parts.get(partition), None | Some(Part::Taken)) {
            let mut fresh: Vec<Part<T>> = make(self.count)?
                .into_iter()
                .map(|p| Part::Ready(Box::new(p)))
                .collect();
            fresh.resize_with(self.count, || Part::Empty);
            *parts = fresh;
        }
        Ok(
            match parts
                .get_mut(partition)
                .map(|p| std::mem::replace(p, Part::Taken))
            {
                Some(Part::Ready(part)) => Some(*part),
                _ => None,
            },
        )
    }
}

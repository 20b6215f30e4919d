//! The tables of an engine as a DataFusion schema.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::catalog::SchemaProvider;
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result};
use skulk_engine::{Engine, METRIC_LABEL, SeriesSelector};

use crate::table::{POINTS_TABLE, SkulkTable};

/// Every metric of an engine as a table of its own, plus `points`, the
/// table of every point. The list follows the engine: a metric written
/// after the schema was made is a table at once.
///
/// A metric called `points` is read from `points` with
/// `WHERE metric = 'points'`. Other tables may be registered beside the
/// engine's (a CSV file to join with, say), under names no metric has.
#[derive(Debug)]
pub struct SkulkSchema {
    engine: Arc<Engine>,
    others: RwLock<BTreeMap<String, Arc<dyn TableProvider>>>,
}

impl SkulkSchema {
    /// The schema of `engine`'s tables.
    pub fn new(engine: Arc<Engine>) -> SkulkSchema {
        SkulkSchema {
            engine,
            others: RwLock::new(BTreeMap::new()),
        }
    }

    /// The metrics, sorted.
    fn metrics(&self) -> Result<Vec<String>> {
        self.engine
            .label_values(METRIC_LABEL, &SeriesSelector::all())
            .map_err(|e| DataFusionError::from(crate::Error::from(e)))
    }

    /// True when `name` is a metric: one index lookup, not a walk of
    /// every metric.
    fn is_metric(&self, name: &str) -> Result<bool> {
        self.engine
            .label_values(METRIC_LABEL, &SeriesSelector::metric(name))
            .map(|values| !values.is_empty())
            .map_err(|e| DataFusionError::from(crate::Error::from(e)))
    }

    fn is_engine_table(&self, name: &str) -> Result<bool> {
        Ok(name == POINTS_TABLE || self.is_metric(name)?)
    }

    fn others(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<dyn TableProvider>>> {
        // A poisoned lock only means a panic elsewhere while holding it; the
        // map itself is always whole.
        self.others.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SchemaProvider for SkulkSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names = vec![POINTS_TABLE.to_string()];
        names.extend(
            self.metrics()
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m != POINTS_TABLE),
        );
        names.extend(self.others().keys().cloned());
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if name == POINTS_TABLE {
            return Ok(Some(Arc::new(SkulkTable::points(Arc::clone(
                &self.engine,
            ))?)));
        }
        if self.is_metric(name)? {
            return Ok(Some(Arc::new(SkulkTable::metric(
                Arc::clone(&self.engine),
                name,
            )?)));
        }
        Ok(self.others().get(name).cloned())
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        if self.is_engine_table(&name)? {
            return Err(DataFusionError::Plan(format!(
                "table {name} is a table of the Skulk engine; choose another name"
            )));
        }
        let mut others = self.others.write().unwrap_or_else(|e| e.into_inner());
        Ok(others.insert(name, table))
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let mut others = self.others.write().unwrap_or_else(|e| e.into_inner());
        Ok(others.remove(name))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.is_engine_table(name).unwrap_or(false) || self.others().contains_key(name)
    }
}

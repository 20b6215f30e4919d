//! Integration tests of skulk-memtable.

mod manager;
mod manager_model;
mod model;
mod support;
mod table;
mod wal;

//! The engine on the simulated disk: every file of a data directory (TSM
//! files, WAL, checkpoint, folders) on one `SimFs`, cut by power losses
//! and failing operations.

mod faults;
mod fuse;
mod power;
mod read_only;
